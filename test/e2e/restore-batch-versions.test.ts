/** The bulk path on a versioned bucket: the manifest pins the version listed, and the job restores that version, not one written after. */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedVersion, submitBatch, type BatchSubmitDeps } from '../../cli/commands/batch-submit.js';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { BatchBook, type BatchRecord } from '../../functions/domain/stores/batches.js';
import { BATCH_STATE_MACHINE_ARN, MANIFEST_BUCKET } from '../../local/deployment.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'bulk-versioned';
const REQUESTER = 'AKIABULKVERSIONS0001';

beforeAll(async () => {
  // Three real seconds per simulated hour, as in restore-batch.test.ts: a Standard restore takes 12 s.
  h = await startHarness({ realMsPerSimulatedHour: 3000 });
  await h.createBucket(BUCKET);
  await h.s3().send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  await h.principals.put(REQUESTER, 'owner@example.com', new Date());
});
afterAll(async () => {
  await h.stop();
});

const putArchived = async (key: string, body: string) => (await h.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, StorageClass: 'GLACIER' }))).VersionId!;

describe('bulk restore of a versioned bucket', () => {
  it('writes each listed version id as the third manifest column, and the job restores that version, not one written after the listing', async () => {
    const keys = ['v/a 1+x.bin', 'v/b.bin', 'v/c.bin'];
    const listed = new Map<string, string>();
    for (const key of keys) listed.set(key, await putArchived(key, `first ${key}`));
    // A newer (also archived) version of one object is written once the prefix is listed, before the job runs.
    let newer: string | undefined;
    const book = Object.create(h.batches) as BatchBook;
    book.create = async (batch: BatchRecord) => {
      newer = await putArchived('v/a 1+x.bin', 'written after the listing');
      return h.batches.create(batch);
    };
    const deps: BatchSubmitDeps = { s3: h.s3(), sfn: h.sfn, batches: book, manifestBucket: MANIFEST_BUCKET, batchStateMachineArn: BATCH_STATE_MACHINE_ARN, now: () => new Date() };
    const restoresBefore = h.cloud.s3.calls.get('RestoreObject') ?? 0;

    const submitted = await submitBatch(deps, { bucket: BUCKET, prefix: 'v/', tier: 'STANDARD', days: 2, recipients: [ordererReader(REQUESTER, undefined)] });
    if (submitted.outcome !== 'submitted') throw new Error(`not submitted: ${submitted.outcome}`);
    expect(submitted.objectCount).toBe(3);
    expect(newer).toBeDefined();
    expect(newer).not.toBe(listed.get('v/a 1+x.bin'));

    const batch = (await h.batches.get(submitted.batchId))!;
    expect(batch.jobs).toMatchObject([{ kind: 'archive', versioned: true, count: 3 }]);
    const manifest = await (await h.s3().send(new GetObjectCommand({ Bucket: MANIFEST_BUCKET, Key: batch.jobs[0]!.manifestKey }))).Body!.transformToString();
    expect(manifest.trim().split('\n').sort()).toEqual(keys.map((key) => `${BUCKET},${encodeURIComponent(key)},${listed.get(key)!}`).sort());

    const execution = await eventually(
      async () => {
        const out = await h.sfn.send(new DescribeExecutionCommand({ executionArn: submitted.executionArn }));
        return out.status !== 'RUNNING' ? out : undefined;
      },
      'the batch workflow to end',
      60_000,
      200,
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(await h.batches.get(submitted.batchId)).toMatchObject({ status: 'READY', expectedCount: 3, restoredCount: 3 });
    expect((h.cloud.s3.calls.get('RestoreObject') ?? 0) - restoresBefore).toBe(3);
    for (const key of keys) {
      const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, VersionId: listed.get(key) }));
      expect(head.Restore, key).toMatch(/ongoing-request="false"/);
    }
    // The version written after the listing is the current one, and it was not restored.
    const current = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'v/a 1+x.bin' }));
    expect(current.VersionId).toBe(newer);
    expect(current.Restore).toBeUndefined();
  });

  it('finds the version listed when another was written between the listing and the lookup of its id; none when it was deleted', async () => {
    const first = await putArchived('w/k.bin', 'listed bytes');
    const listedEtag = (await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'w/k.bin' }))).ETag!;
    await putArchived('w/k.bin', 'written after the listing');
    await putArchived('w/k.bin-other', 'a key after it, with the same prefix');
    expect(await listedVersion(h.s3(), BUCKET, 'w/k.bin', listedEtag)).toBe(first);
    // The version listed was deleted since: there is no version of it left to restore.
    const gone = await putArchived('w/gone.bin', 'listed, then deleted');
    const goneEtag = (await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'w/gone.bin' }))).ETag!;
    await putArchived('w/gone.bin', 'the version left');
    await h.s3().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'w/gone.bin', VersionId: gone }));
    expect(await listedVersion(h.s3(), BUCKET, 'w/gone.bin', goneEtag)).toBeUndefined();
  });
});
