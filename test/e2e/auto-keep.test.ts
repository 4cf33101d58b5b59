/** The auto-keep policy on the local cloud: an object read again and again is kept on its K-th restore, and not before. */
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'popular-archive';
const KEY = 'datasets/census 2020.parquet';
const READER = 'AKIAREADERAUTOKEEP01';
const objectId = objectIdOf({ bucket: BUCKET, key: KEY });

beforeAll(async () => {
  // Kept on the 2nd restore within 30 days; a restored copy lives 1 simulated day (4.8 real seconds).
  h = await startHarness({ realMsPerSimulatedHour: 200, restoreDays: 1, restoreTiers: { GLACIER: 'Expedited' }, autoKeep: { afterRestores: 2, withinDays: 30 } });
  await h.createBucket(BUCKET);
  await h.s3().send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: KEY,
      Body: 'rows',
      StorageClass: 'GLACIER',
      ContentType: 'application/vnd.apache.parquet',
      Metadata: { source: 'census' },
      Tagging: 'dataset=census',
    }),
  );
});
afterAll(() => h.stop());

const head = () => h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
const decisions = async () => (await h.audit.history(objectId)).filter((e) => e.type === 'AUTO_KEEP_DECIDED').map((e) => e.detail);

describe('auto-keep', () => {
  it('the first restore is not kept; the second is, with its metadata and tags; the decisions are in the audit history', async () => {
    expect(await h.read(BUCKET, KEY, READER)).toBe('InvalidObjectState');
    await eventually(async () => (await decisions()).length === 1, 'the first decision');
    expect(await decisions()).toEqual([{ keep: false, restores: 1, afterRestores: 2, withinDays: 30 }]);
    expect((await head()).StorageClass).toBe('GLACIER');

    // The copy expires; the next read restores it a second time.
    await eventually(async () => (await h.records.get(objectId))?.status === 'EXPIRED', 'the first copy expired', 30_000);
    expect(await h.read(BUCKET, KEY, READER)).toBe('InvalidObjectState');
    await eventually(async () => (await h.auditTypes(BUCKET, KEY)).includes('KEPT'), 'kept on the second restore', 30_000);
    expect((await decisions())[0]).toEqual({ keep: true, restores: 2, afterRestores: 2, withinDays: 30, storageClass: 'STANDARD' });
    const kept = await head();
    expect({ class: kept.StorageClass ?? 'STANDARD', restore: kept.Restore, type: kept.ContentType, metadata: kept.Metadata }).toEqual({
      class: 'STANDARD',
      restore: undefined,
      type: 'application/vnd.apache.parquet',
      metadata: { source: 'census' },
    });
    expect((await h.s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: KEY }))).TagSet).toEqual([{ Key: 'dataset', Value: 'census' }]);
    const keptEntry = (await h.audit.history(objectId)).find((e) => e.type === 'KEPT');
    expect(keptEntry?.detail).toMatchObject({ storageClass: 'STANDARD', previousStorageClass: 'GLACIER', method: 'CopyObject', by: 'auto-keep policy' });

    // Two simulated days on (the second copy's expiry passed twice over), the object still reads.
    const executions = (await h.executions()).length;
    const restoredAt = Date.now();
    await eventually(() => Date.now() - restoredAt > h.cloud.clock.real(48 * 3_600_000) || undefined, 'two simulated days', 30_000);
    expect(await h.read(BUCKET, KEY, READER)).toBe('OK');
    expect((await h.executions()).length).toBe(executions);
  });
});
