/** Several readers, many files, unknown readers: who gets which email, and how many. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'team-archive';
// At 1.5 s per simulated hour: restores take 6 s (Glacier) and 18 s (Deep Archive), the debounce
// window is 1.5 s, so "started" goes out before "ready" replaces it; the maximum wait (6 s) leaves
// room for a busy machine to spread the twenty reads of one reader without splitting the email.
const DEBOUNCE_SECONDS = 3600;

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 1500, debounceSeconds: DEBOUNCE_SECONDS, maxWaitSeconds: 4 * DEBOUNCE_SECONDS });
  await h.createBucket(BUCKET);
});
afterAll(() => h.stop());

const emailsTo = (address: string) => h.cloud.ses.list().filter((m) => m.to.includes(address));

describe('readers', () => {
  it('five readers of one object: one restore, one execution, five people emailed twice', async () => {
    const key = 'shared/dataset.parquet';
    await h.putObject(BUCKET, key, 'GLACIER');
    const readers = Array.from({ length: 5 }, (_, i) => `AKIAFIVEREADERS0000${i}`);
    for (const [i, reader] of readers.entries()) await h.principals.put(reader, `reader${i}@example.com`, new Date());
    expect(await Promise.all(readers.map((r) => h.read(BUCKET, key, r)))).toEqual(Array(5).fill('InvalidObjectState'));

    await eventually(() => readers.every((_, i) => emailsTo(`reader${i}@example.com`).length === 2), 'two emails for each reader', 120_000);
    for (let i = 0; i < 5; i++) expect(emailsTo(`reader${i}@example.com`).map((m) => m.subject)).toEqual(['Restoring 1 file from archive', '1 file restored and ready to download']);
    const executions = (await h.executions()).filter((e) => e.name!.startsWith('dataset_parquet-'));
    expect(executions).toHaveLength(1);
    const record = await h.records.get(objectIdOf({ bucket: BUCKET, key }));
    expect(Object.keys(record!.subscribers)).toHaveLength(5);
    expect((await h.auditTypes(BUCKET, key)).filter((t) => t === 'READ_DETECTED')).toHaveLength(5);
    expect((await h.auditTypes(BUCKET, key)).filter((t) => t === 'RESTORE_REQUESTED')).toHaveLength(1);
  });

  it('one reader, twenty objects within the debounce window: one "started" email listing all twenty', async () => {
    const reader = 'AKIATWENTYFILES00001';
    await h.principals.put(reader, 'bulk@example.com', new Date());
    const keys = Array.from({ length: 20 }, (_, i) => `batch/part-${String(i).padStart(2, '0')}.csv`);
    for (const key of keys) await h.putObject(BUCKET, key, 'DEEP_ARCHIVE');
    const restoresBefore = h.cloud.s3.calls.get('RestoreObject') ?? 0;
    expect(new Set(await Promise.all(keys.map((k) => h.read(BUCKET, k, reader))))).toEqual(new Set(['InvalidObjectState']));

    const readyText = () =>
      emailsTo('bulk@example.com')
        .filter((m) => m.subject.includes('ready'))
        .map((m) => m.text)
        .join('\n');
    await eventually(() => keys.every((k) => readyText().includes(k)), 'every file in a ready email', 120_000);
    const started = emailsTo('bulk@example.com').filter((m) => m.subject.startsWith('Restoring'));
    expect(started.map((m) => m.subject)).toEqual(['Restoring 20 files from archive']);
    for (const key of keys) {
      expect(started[0]!.text).toContain(key);
      // The restores finish at slightly different times: "ready" may come in more than one email, each file once.
      expect(readyText().split(`Key: ${key}\n`).length - 1).toBe(1);
    }
    expect((h.cloud.s3.calls.get('RestoreObject') ?? 0) - restoresBefore).toBe(20);
  });

  it('an unknown reader gets no email and is recorded; a mapping added later catches the pending notices', async () => {
    const key = 'orphans/unclaimed.bin';
    const reader = 'AKIANOBODYKNOWSME001';
    await h.putObject(BUCKET, key, 'GLACIER');
    expect(await h.read(BUCKET, key, reader)).toBe('InvalidObjectState');
    await eventually(async () => (await h.auditTypes(BUCKET, key)).includes('RECIPIENT_UNRESOLVED'), 'the unresolved reader in the audit history', 120_000);
    await eventually(async () => (await h.auditTypes(BUCKET, key)).filter((t) => t === 'NOTICES_QUEUED').length === 2, 'both notices queued', 120_000);
    expect(emailsTo('late@example.com')).toEqual([]);

    await h.principals.put(reader, 'late@example.com', new Date());
    const mail = await eventually(() => (emailsTo('late@example.com').length >= 1 ? emailsTo('late@example.com') : undefined), 'the email after the mapping', 120_000);
    // The restore finished before the mapping existed: only "ready" remains to be said.
    expect(mail.map((m) => m.subject)).toEqual(['1 file restored and ready to download']);
  });
});
