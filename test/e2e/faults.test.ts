/** At-least-once delivery, lost events, throttling and a flaky mail service. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/shared/object-id.js';
import { NO_FAULTS } from '../../local/faults.js';
import { eventually } from '../support/eventually.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const BUCKET = 'faulty-archive';

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 50 });
  await h.createBucket(BUCKET);
});
afterAll(() => h.stop());
beforeEach(() => Object.assign(h.cloud.faults, NO_FAULTS));

const executionsOf = async (prefix: string) => (await h.executions()).filter((e) => e.name!.startsWith(prefix));
const emailsTo = (address: string) => h.cloud.ses.list().filter((m) => m.to.includes(address));

describe('faults', () => {
  it('every CloudTrail event delivered ten times: one restore, one execution, one audit entry per read', async () => {
    h.cloud.faults.duplicateS3Events = 9;
    await h.principals.put('AKIADUPLICATES000001', 'dup@example.com', new Date());
    await h.putObject(BUCKET, 'dup/duplicated.bin', 'GLACIER');
    const restores = h.cloud.s3.calls.get('RestoreObject') ?? 0;
    expect(await h.read(BUCKET, 'dup/duplicated.bin', 'AKIADUPLICATES000001')).toBe('InvalidObjectState');
    await eventually(() => emailsTo('dup@example.com').some((m) => m.subject.includes('ready')), 'the ready email');
    await h.cloud.settle();
    expect(await executionsOf('duplicated_bin-')).toHaveLength(1);
    expect((h.cloud.s3.calls.get('RestoreObject') ?? 0) - restores).toBe(1);
    const types = await h.auditTypes(BUCKET, 'dup/duplicated.bin');
    expect(types.filter((t) => t === 'READ_DETECTED')).toHaveLength(1);
    expect(types.filter((t) => t === 'RESTORE_COMPLETED')).toHaveLength(1);
  });

  it('completion events lost: the HeadObject fallback after the wait timeout still finishes', async () => {
    h.cloud.faults.dropRestoreEvents = 1;
    await h.principals.put('AKIALOSTEVENTS000001', 'lost@example.com', new Date());
    await h.putObject(BUCKET, 'lost/lost.bin', 'GLACIER');
    expect(await h.read(BUCKET, 'lost/lost.bin', 'AKIALOSTEVENTS000001')).toBe('InvalidObjectState');
    const [execution] = await eventually(async () => {
      const found = await executionsOf('lost_bin-');
      return found.length === 1 && found[0]!.status === 'SUCCEEDED' ? found : undefined;
    }, 'the execution to finish', 30_000);
    const path = await h.path(execution!.executionArn!);
    expect(path.slice(-5)).toEqual(['Wait for restore', 'Check restore after timeout', 'Is the restore done?', 'Notify: file ready', 'File is ready']);
    expect(await h.auditTypes(BUCKET, 'lost/lost.bin')).not.toContain('RESTORE_COMPLETED');
    await eventually(() => emailsTo('lost@example.com').some((m) => m.subject.includes('ready')), 'the ready email');
  });

  it('SES failing half the time: every email still delivered exactly once', async () => {
    h.cloud.faults.sesFailureRate = 0.5;
    const readers = Array.from({ length: 6 }, (_, i) => `AKIAFLAKYMAIL000000${i}`);
    for (const [i, r] of readers.entries()) await h.principals.put(r, `flaky${i}@example.com`, new Date());
    for (const [i, r] of readers.entries()) {
      await h.putObject(BUCKET, `flaky/file-${i}.bin`, 'GLACIER');
      expect(await h.read(BUCKET, `flaky/file-${i}.bin`, r)).toBe('InvalidObjectState');
    }
    await eventually(() => readers.every((_, i) => emailsTo(`flaky${i}@example.com`).some((m) => m.subject.includes('ready'))), 'every ready email', 45_000);
    await h.cloud.settle();
    for (let i = 0; i < readers.length; i++) {
      const subjects = emailsTo(`flaky${i}@example.com`).map((m) => m.subject);
      expect(new Set(subjects).size).toBe(subjects.length);
    }
  });

  it('a burst of 1,000 reads with StartExecution throttled: no read lost, one execution per object', async () => {
    h.cloud.faults.startExecutionPerSecond = 25;
    const objects = Array.from({ length: 100 }, (_, i) => `burst/obj-${String(i).padStart(3, '0')}.bin`);
    await Promise.all(objects.map((k) => h.putObject(BUCKET, k, 'DEEP_ARCHIVE')));
    const readers = Array.from({ length: 10 }, (_, i) => `AKIABURSTREADER0000${i}`);
    const reads = objects.flatMap((k) => readers.map((r) => [k, r] as const));
    expect(reads).toHaveLength(1000);
    for (let i = 0; i < reads.length; i += 100) {
      const outcomes = await Promise.all(reads.slice(i, i + 100).map(([k, r]) => h.read(BUCKET, k, r)));
      expect(new Set(outcomes)).toEqual(new Set(['InvalidObjectState']));
    }
    await eventually(async () => {
      const perObject = await Promise.all(objects.map((k) => h.audit.history(objectIdOf({ bucket: BUCKET, key: k }))));
      return perObject.every((entries) => entries.filter((e) => e.type === 'READ_DETECTED').length === readers.length && entries.some((e) => e.type === 'EXECUTION_STARTED'));
    }, 'every read recorded and every object started', 90_000);
    const started = (await h.executions()).filter((e) => e.name!.startsWith('obj-'));
    expect(started).toHaveLength(100);
    expect(h.cloud.bus.deadLetters).toEqual([]);
  }, 120_000);
});
