/**
 * Custom metrics as CloudWatch embedded metric format (EMF) lines: a JSON log line with an
 * `_aws` member that CloudWatch Logs turns into a metric, with no API call from the function.
 * Written to stdout like Powertools Metrics does, so the log level never hides a metric.
 */
export const METRIC_NAMESPACE = 'S3Autorestore';

export const METRIC_NAMES = ['NoticesUndeliverable'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface Metrics {
  count(name: MetricName, value: number): void;
}

/** One EMF document: the metric under the namespace, with the service as its only dimension. */
export function emfRecord(name: MetricName, value: number, service: string, time: Date): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: time.getTime(),
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    service,
    [name]: value,
  };
}

export function emfMetrics(service: string, now: () => Date, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Metrics {
  return {
    count(name, value) {
      write(JSON.stringify(emfRecord(name, value, service, now())));
    },
  };
}
