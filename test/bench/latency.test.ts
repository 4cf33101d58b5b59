/** The latency figures of the benchmark: nearest-rank percentiles, and which notices count. */
import { describe, expect, it } from 'vitest';
import { percentiles, readerLatencies, readKey } from '../../bench/latency.js';
import { renderLatency, type LatencyRun } from '../../bench/latency-report.js';
import { SimulatedClock } from '../../local/clock.js';
import { restoredObjectKey } from '../../local/s3/server.js';
import type { Notice } from '../../functions/domain/stores/notices.js';

describe('percentiles', () => {
  it('are nearest-rank: p50 of 1..10 is 5, p95 is 10, max is 10', () => {
    expect(percentiles([10, 1, 9, 2, 8, 3, 7, 4, 6, 5])).toEqual({ count: 10, p50: 5, p95: 10, max: 10 });
  });

  it('of one sample are that sample, and of none are undefined', () => {
    expect(percentiles([42])).toEqual({ count: 1, p50: 42, p95: 42, max: 42 });
    expect(percentiles([])).toBeUndefined();
  });

  it('p95 of 1..100 is 95', () => {
    expect(percentiles(Array.from({ length: 100 }, (_, i) => 100 - i))).toMatchObject({ p50: 50, p95: 95, max: 100 });
  });
});

describe('reader latencies', () => {
  // One simulated hour = 1 real second: a real millisecond is 3.6 simulated seconds.
  const clock = new SimulatedClock(1000);
  const t0 = Date.parse('2026-11-23T00:00:00.000Z');
  const notice = (kind: Notice['kind'], key: string, sentAfterMs: number, to = 'r@example.com'): Notice => ({
    readerId: 'arn:aws:iam::000000000000:user/r',
    noticeKey: `${key}#1#${kind}`,
    kind,
    reader: { id: 'arn:aws:iam::000000000000:user/r' },
    file: { objectId: `s3://b/${key}`, cycle: 1, bucket: 'b', key },
    createdAt: new Date(t0).toISOString(),
    status: 'sent',
    sentTo: to,
    sentAt: new Date(t0 + sentAfterMs).toISOString(),
  });

  it('read → first email takes the earliest email about the object; completion → "ready" uses the S3 completion time', () => {
    const reads = new Map([
      [readKey('r@example.com', 'b', 'k1'), t0],
      [readKey('r@example.com', 'b', 'k2'), t0 + 100],
    ]);
    const completed = new Map([[restoredObjectKey('b', 'k1'), t0 + 1000]]);
    const latencies = readerLatencies([notice('started', 'k1', 500), notice('ready', 'k1', 1500), notice('ready', 'k2', 1100)], reads, completed, clock);
    // k1: 500 ms after its read (1,800 simulated s); k2: its "ready" replaced the "started", 1,000 ms (3,600 s).
    expect(latencies.readToFirstEmail).toEqual({ count: 2, p50: 1800, p95: 3600, max: 3600 });
    // Only k1 completed in S3 during the run: 500 ms (1,800 s) to its "ready".
    expect(latencies.completedToReady).toEqual({ count: 1, p50: 1800, p95: 1800, max: 1800 });
  });

  it('a read the scenario did not see refused, or a reader it did not plan, is not a sample', () => {
    const latencies = readerLatencies([notice('started', 'k1', 500, 'other@example.com')], new Map([[readKey('r@example.com', 'b', 'k1'), t0]]), new Map(), clock);
    expect(latencies.readToFirstEmail).toBeUndefined();
    expect(latencies.completedToReady).toBeUndefined();
  });
});

describe('the latency section of RESULTS.md', () => {
  const targets = { debounceSeconds: 120, maxWaitSeconds: 900, waitTimeoutSeconds: 600, emailP95: 180, lostCompletion: 4200, aggregatorTickSeconds: 60 };
  const run = (path: string, readToFirstEmail: number, completedToReady: number): LatencyRun => ({
    path,
    objects: 20,
    wallMs: 1,
    simulatedHourMs: 600_000,
    glacierTier: 'Expedited',
    readEverySeconds: 23,
    latency: {
      readToFirstEmail: { count: 20, p50: readToFirstEmail, p95: readToFirstEmail, max: readToFirstEmail },
      completedToReady: { count: 20, p50: completedToReady, p95: completedToReady, max: completedToReady },
    },
    latencyTargets: targets,
  });

  it('judges p95 against debounce + 60 s, and a lost completion event against the wait timeout + 1 hour', () => {
    const rows = renderLatency([run('happy', 181, 180), run('completion-events-lost', 180, 4200)], [], undefined).filter((l) => l.startsWith('| happy') || l.startsWith('| completion'));
    expect(rows.map((l) => l.split('|').at(-2)!.trim())).toEqual(['not met', 'met', 'met', 'met']);
    // 4,200 s is 70 minutes: the lost event's target, not the 3 minutes of the others.
    expect(rows[3]).toContain('| 70.0 min (wait timeout + 1 h) |');
  });

  it("puts the design's runs apart from, and before, the rows that measure the local cloud's lag", () => {
    const lines = renderLatency([run('happy', 150, 150)], [{ path: 'happy', latency: run('happy', 20_000, 20_000).latency!, latencyTargets: targets }], undefined);
    const design = lines.findIndex((l) => l.startsWith('### The design'));
    const lag = lines.findIndex((l) => l.startsWith("### The local cloud's lag"));
    expect(design).toBeGreaterThan(-1);
    expect(lag).toBeGreaterThan(design);
    expect(lines.slice(design, lag).filter((l) => l.startsWith('| happy | 10 min | Glacier Expedited |'))).toHaveLength(2);
    expect(lines.slice(lag).filter((l) => l.startsWith('| happy |') && l.endsWith('| not met |'))).toHaveLength(2);
  });
});
