/** The functions' metrics through Powertools Metrics: EMF lines in the stack's namespace, with the function as `service`. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { functionMetrics, METRIC_NAMESPACE } from '../../functions/domain/wiring/metrics.js';

/** Every EMF document written to stdout while `run` runs. */
function emfLines(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// As on AWS, whatever a local cloud started earlier in this process set.
beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'false');
});
afterEach(() => vi.unstubAllEnvs());

describe('function metrics', () => {
  it('writes the invocation’s metrics as one EMF line in the S3Autorestore namespace, with the function as the service dimension', () => {
    const metrics = functionMetrics('notify-aggregator');
    const [line, ...more] = emfLines(() => {
      metrics.count('NoticesUndeliverable', 2);
      metrics.milliseconds('ReadyEmailDelay', 1500);
      metrics.flush();
    });
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [['service']],
            Metrics: expect.arrayContaining([
              { Name: 'NoticesUndeliverable', Unit: 'Count' },
              { Name: 'ReadyEmailDelay', Unit: 'Milliseconds' },
            ]) as unknown,
          },
        ],
      },
      service: 'notify-aggregator',
      NoticesUndeliverable: 2,
      ReadyEmailDelay: 1500,
    });
    expect(METRIC_NAMESPACE).toBe('S3Autorestore');
  });

  it('writes a metric with its own dimension at once, on its own line', () => {
    const metrics = functionMetrics('restore-steps');
    const lines = emfLines(() => metrics.count('RestoresRequested', 1, { name: 'tier', value: 'Bulk' }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'S3Autorestore', Dimensions: [expect.arrayContaining(['service', 'tier']) as unknown] }] },
      service: 'restore-steps',
      tier: 'Bulk',
      RestoresRequested: 1,
    });
  });

  it('writes nothing, and warns of nothing, when the invocation recorded nothing', () => {
    // Powertools writes its warning through its own console, to stderr.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(emfLines(() => functionMetrics('restore-steps').flush())).toEqual([]);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });
});
