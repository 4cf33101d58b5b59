/**
 * The functions' custom metrics, published with Powertools Metrics: embedded metric format (EMF)
 * log lines that CloudWatch Logs turns into metrics, so publishing costs no API call. Every
 * metric is in one namespace with the function's short name as its `service` dimension; the
 * stack's dashboard and alarms (infra/constructs/dashboard.ts, notifications.ts) read them there.
 */
import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRIC_NAMESPACE = 'S3Autorestore';

export const METRIC_NAMES = [
  /** Notices whose email SES refused for good (the aggregator gave up on them). */
  'NoticesUndeliverable',
  /** Emails SES accepted, one per batch; dimension `kind` (started, ready, failed). */
  'EmailsSent',
  /** Sends SES refused or that failed; the notices stay pending and are retried. */
  'EmailsFailed',
  /** From the read (CloudTrail's eventTime) to its detection, for reads that open a restore cycle: CloudTrail's delivery delay, mostly. */
  'ReadDetectionDelay',
  /** From the "started" notice being queued (right after the restore request, itself right after the read is detected) to its email. */
  'StartedEmailDelay',
  /** From the "ready" notice being queued (as the workflow learns the restore completed) to its email. */
  'ReadyEmailDelay',
  /** RestoreObject requests S3 accepted; dimension `tier` (Expedited, Standard, Bulk). */
  'RestoresRequested',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** What the function code sees: counts and durations, optionally under one extra dimension. */
export interface Metrics {
  count(name: MetricName, value: number, dimension?: { name: string; value: string }): void;
  milliseconds(name: MetricName, value: number): void;
  /** Writes what was recorded during the invocation as one EMF line (nothing when nothing was recorded). */
  flush(): void;
}

/** Metrics with the function's short name (`notify-aggregator`) as the `service` dimension. */
export function functionMetrics(service: string, metrics = new PowertoolsMetrics({ namespace: METRIC_NAMESPACE, serviceName: service })): Metrics {
  return {
    count(name, value, dimension) {
      if (!dimension) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      // A metric with its own dimension is written at once in its own EMF line: the invocation's other metrics keep only `service`.
      const single = metrics.singleMetric();
      single.addDimension(dimension.name, dimension.value);
      single.addMetric(name, MetricUnit.Count, value);
    },
    milliseconds(name, value) {
      metrics.addMetric(name, MetricUnit.Milliseconds, Math.max(0, value));
    },
    flush() {
      // publishStoredMetrics warns on every invocation that recorded nothing: only call it when there is something.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
