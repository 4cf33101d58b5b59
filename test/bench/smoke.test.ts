/** A small run of the benchmark scenarios: the counts they report, not their times. */
import { describe, expect, it } from 'vitest';
import { perObject } from '../../bench/cost.js';
import type { LatencyRun } from '../../bench/latency-report.js';
import { runScenario as scenario } from '../../bench/run-scenario.js';

describe('benchmark smoke', () => {
  it('burst: one restore per distinct object, one "started" and one "ready" email per reader, no read lost', { timeout: 300_000 }, async () => {
    const result = await scenario<Record<string, unknown>>('burst', { objects: 30, readers: 5, reads: 150, msPerHour: 2000 });
    expect(result).toMatchObject({
      reads: 150,
      refusedReads: 150,
      restoresRequested: result.distinctObjectsRead,
      executions: result.distinctObjectsRead,
      readsRecorded: 150,
      readsLost: 0,
      emailsSent: 10,
      startedEmailsPerReader: { min: 1, max: 1 },
      readyEmailsPerReader: { min: 1, max: 1 },
      deadLetters: 0,
    });
  });

  // Two HeadObject per object: the workflow's inspection, and restore-completed confirming the
  // completion event against S3 before it resumes the wait.
  it('happy path: 5 state transitions per object, two HeadObject and one RestoreObject each', { timeout: 300_000 }, async () => {
    const run = await scenario<Parameters<typeof perObject>[0] & { statuses: Record<string, number> }>('path', { path: 'happy', objects: 5 });
    expect(run.statuses).toEqual({ SUCCEEDED: 5 });
    expect(perObject(run).stateTransitions).toBe(5);
    expect(run.s3).toMatchObject({ GetObject: 5, HeadObject: 10, RestoreObject: 5 });
    // The workflow's steps: the inspection and the request with its wait; the completion hands the "ready" notices over.
    expect(run.lambda).toMatchObject({ 'detect-access': 5, 'restore-completed': 5, 'restore-steps': 10 });
  });

  it('latency run: each staggered reader gets a "started" and a "ready" email, each a sample, none before the debounce window', { timeout: 300_000 }, async () => {
    const run = await scenario<LatencyRun & { statuses: Record<string, number>; sesSent: number }>('path', {
      path: 'happy',
      objects: 3,
      msPerHour: 600_000,
      glacierTier: 'Expedited',
      staggerSeconds: 23,
    });
    expect(run.statuses).toEqual({ SUCCEEDED: 3 });
    expect(run.sesSent).toBe(6);
    expect(run.readEverySeconds).toBe(23);
    expect(run.glacierTier).toBe('Expedited');
    // A notice is due only once the debounce window has passed since it was queued: no email can come sooner.
    expect(run.latency?.readToFirstEmail).toMatchObject({ count: 3 });
    expect(run.latency?.completedToReady).toMatchObject({ count: 3 });
    expect(Math.min(run.latency!.readToFirstEmail!.p50, run.latency!.completedToReady!.p50)).toBeGreaterThanOrEqual(run.latencyTargets!.debounceSeconds);
  });
});
