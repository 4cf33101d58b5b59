/** The bulk path end to end on the local cloud: manifests, S3 Batch Operations jobs, completions counted, one email of each kind. */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitBatch, type BatchSubmitDeps } from '../../cli/commands/batch-submit.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { resolvePolicy, restorePolicySchema } from '../../functions/domain/rules/restore-policy.js';
import { restoreCost } from '../../functions/domain/rules/restore-cost.js';
import { batchNoticeFile } from '../../functions/restore-batch/steps.js';
import { loadPriceTable } from '../../infra/price-table.js';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { BATCH_STATE_MACHINE_ARN, MANIFEST_BUCKET, STATE_MACHINE_ARN } from '../../local/deployment.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli, type CliRun } from '../support/cli.js';

let h: Harness;
let deps: BatchSubmitDeps;
const BUCKET = 'bulk-source';
const REQUESTER = 'AKIABULKREQUESTER001';
const READER = 'AKIABULKREADER000001';

beforeAll(async () => {
  // Three real seconds per simulated hour: a Standard restore of Flexible Retrieval takes 12 s, the
  // batch's partial report comes 33 s after its jobs are prepared. The deadline is simulated time
  // passing in real seconds: at one second per hour it came 11 s after the jobs were prepared, and
  // a loaded machine slowing jobs and completions by a few seconds could reach it before the
  // restores were counted (the batch then ends PARTIAL).
  h = await startHarness({ realMsPerSimulatedHour: 3000 });
  deps = { s3: h.s3(), sfn: h.sfn, batches: h.batches, manifestBucket: MANIFEST_BUCKET, batchStateMachineArn: BATCH_STATE_MACHINE_ARN, now: () => new Date() };
  await h.createBucket(BUCKET);
  await h.principals.put(REQUESTER, 'owner@example.com', new Date());
  await h.principals.put(READER, 'reader@example.com', new Date());
});
afterAll(async () => {
  await h.stop();
});

describe('bulk restore', () => {
  it('restores a prefix through Batch Operations: each object once, no per-object execution, one started and one ready email', async () => {
    const archived = Array.from({ length: 40 }, (_, i) => `big/part ${i}+x.bin`);
    await h.putObjects(BUCKET, archived, 'GLACIER');
    for (let i = 0; i < 3; i++) await h.putObject(BUCKET, `big/tiered-${i}.bin`, 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
    await h.putObject(BUCKET, 'big/tiered-frequent.bin', 'INTELLIGENT_TIERING');
    await h.putObject(BUCKET, 'big/plain.txt', 'STANDARD');
    await h.putObject(BUCKET, 'other/outside.bin', 'GLACIER');
    const restoresBefore = h.cloud.s3.calls.get('RestoreObject') ?? 0;

    const request = { bucket: BUCKET, prefix: 'big/', tier: 'STANDARD' as const, days: 3, recipients: [ordererReader(REQUESTER, undefined), ordererReader(REQUESTER, 'team@example.com')] };
    const submitted = await submitBatch(deps, request);
    expect(submitted).toMatchObject({ outcome: 'submitted', objectCount: 43, skipped: 2 });
    if (submitted.outcome !== 'submitted') throw new Error('not submitted');
    expect(submitted.jobs.map((j) => [j.kind, j.count]).sort()).toEqual([
      ['archive', 40],
      ['intelligent-tiering', 3],
    ]);

    // The same request while the batch runs joins it.
    expect(await submitBatch(deps, request)).toEqual({ outcome: 'joined', batchId: submitted.batchId });
    // Someone reads one of the batch's objects while it runs: they join the batch, no restore of their own.
    expect(await h.read(BUCKET, 'big/part 3+x.bin', READER)).toBe('InvalidObjectState');
    await h.cloud.settle();
    expect(Object.keys((await h.batches.get(submitted.batchId))!.joiners ?? {})).toHaveLength(1);

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
    const path = await h.path(submitted.executionArn);
    expect(path.slice(0, 6)).toEqual([
      'No jobs created yet',
      'Prepare jobs',
      'Archive job to create?',
      'Create job: Glacier and Deep Archive',
      'Intelligent-Tiering job to create?',
      'Create job: Intelligent-Tiering',
    ]);
    expect(path.at(-2)).toBe('Finish: ready or partial report');

    const batch = (await h.batches.get(submitted.batchId))!;
    expect(batch).toMatchObject({ status: 'READY', expectedCount: 43, restoredCount: 43, objectCount: 43 });
    expect((h.cloud.s3.calls.get('RestoreObject') ?? 0) - restoresBefore).toBe(43);
    // Zero per-object executions.
    expect((await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN }))).executions).toEqual([]);
    // The Glacier copies stay the days asked; the object outside the prefix was left alone.
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/part 7+x.bin' }));
    expect(head.Restore).toMatch(/ongoing-request="false"/);
    expect((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'other/outside.bin' }))).Restore).toBeUndefined();
    // The object's own record says which batch restored it.
    // When the batch was found ready by asking S3 (completion events late under load), the event reaches the record after.
    const record = await eventually(
      async () => {
        const got = await h.records.get(objectIdOf({ bucket: BUCKET, key: 'big/part 7+x.bin' }));
        return got?.status === 'RESTORED' ? got : undefined;
      },
      'the object record to be RESTORED',
      30_000,
    );
    expect(record).toMatchObject({ status: 'RESTORED', batchId: submitted.batchId });

    const emails = await eventually(
      () => {
        // Every email asserted below, not a count of them: the reader's own emails can make up the
        // count while a recipient's "ready" email is still being sent.
        const sent = h.cloud.ses.list() as { to: string[]; subject: string }[];
        const got = (address: string, subject: string) => sent.some((e) => JSON.stringify(e.to).includes(address) && e.subject.includes(subject));
        const everyone = ['owner@example.com', 'team@example.com'].every((a) => got(a, 'Restoring') && got(a, 'ready'));
        return everyone && got('reader@example.com', 'ready') ? sent : undefined;
      },
      'a started and a ready email to each recipient, and the ready email to the reader who joined',
      30_000,
    );
    const byRecipient = (address: string) =>
      emails
        .filter((e) => JSON.stringify(e.to).includes(address))
        .map((e) => e.subject)
        .sort();
    expect(byRecipient('owner@example.com')).toEqual(['43 files restored and ready to download', 'Restoring 43 files from archive']);
    expect(byRecipient('team@example.com')).toEqual(['43 files restored and ready to download', 'Restoring 43 files from archive']);
    expect(byRecipient('reader@example.com')).toContain('1 file restored and ready to download');
    expect(byRecipient('reader@example.com').length).toBeLessThanOrEqual(2);
    // The reader who joined hears about the file they read, not the whole folder.
    const readerReady = (emails as { to: string[]; subject: string; text: string }[]).find((e) => JSON.stringify(e.to).includes('reader@example.com') && e.subject.includes('ready'))!;
    expect(readerReady.text).toContain('big/part 3+x.bin');
    expect(readerReady.text).not.toContain('[batch ');
  });

  it('a job S3 fails (its manifest changed since it was written) ends the batch FAILED with the reason, and each recipient is told', async () => {
    await h.putObjects(BUCKET, ['broken/a.bin', 'broken/b.bin'], 'GLACIER');
    const now = new Date();
    const put = await h.s3().send(new PutObjectCommand({ Bucket: MANIFEST_BUCKET, Key: 'batches/broken/manifest-archive.csv', Body: `${BUCKET},broken%2Fa.bin\n${BUCKET},broken%2Fb.bin\n` }));
    await h.s3().send(new PutObjectCommand({ Bucket: MANIFEST_BUCKET, Key: 'batches/broken/manifest-archive.csv', Body: `${BUCKET},broken%2Fa.bin\n` }));
    const batchId = 'broken-manifest';
    const batch = {
      objectId: `#batch#${batchId}`,
      batchId,
      bucket: BUCKET,
      prefix: 'broken/',
      requestKey: 'broken-request',
      status: 'SUBMITTING' as const,
      tier: 'STANDARD' as const,
      days: 1,
      jobs: [{ kind: 'archive' as const, manifestKey: 'batches/broken/manifest-archive.csv', manifestEtag: put.ETag!.replace(/"/g, ''), count: 2, deep: false, attempt: 0 }],
      objectCount: 2,
      recipients: [ordererReader(REQUESTER, 'broken@example.com')],
      createdAt: now.toISOString(),
      expectedReadyAt: now.toISOString(),
      deadline: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await h.batches.create(batch);
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: BATCH_STATE_MACHINE_ARN, name: batchId, input: JSON.stringify({ batchId }) }));
    await eventually(async () => (await h.sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 'the batch workflow to end', 60_000, 200);

    const ended = (await h.batches.get(batchId))!;
    expect(ended.status).toBe('FAILED');
    expect(ended.failures).toEqual([{ reason: expect.stringMatching(/^job failed before 2 task\(s\) ran: ManifestETagMismatch: /), count: 2, sample: [] }]);
    // Nothing was restored, nothing is left running.
    expect((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'broken/a.bin' }))).Restore).toBeUndefined();
    expect((await h.batches.runningIn(BUCKET)).map((b) => b.batchId)).not.toContain(batchId);
    const told = await eventually(
      () => {
        const mails = (h.cloud.ses.list() as { to: string[]; subject: string }[]).filter((e) => JSON.stringify(e.to).includes('broken@example.com'));
        return mails.some((m) => m.subject.includes('could not be restored')) ? mails : undefined;
      },
      'the failure email',
      30_000,
    );
    // The job was accepted before it failed: the "started" email may have gone out first, never twice.
    const subjects = told.map((m) => m.subject);
    expect(subjects.filter((subject) => subject === '2 files could not be restored')).toHaveLength(1);
    expect(subjects.filter((subject) => subject !== '2 files could not be restored')).toEqual(subjects.length === 2 ? ['Restoring 2 files from archive'] : []);
  });

  it('leaves out of the manifests what the restore policy never restores, as the per-object workflow does', async () => {
    await h.putObjects(BUCKET, ['policy/open-1.bin', 'policy/open-2.bin', 'policy/secret/a.bin', 'policy/secret/b.bin'], 'GLACIER');
    const config = restorePolicySchema.parse({ rules: [{ name: 'legal hold', bucket: BUCKET, prefix: 'policy/secret/', restore: 'never' }] });
    const policy = resolvePolicy(config, {
      tiers: { GLACIER: 'Standard', DEEP_ARCHIVE: 'Standard', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard' },
      days: 7,
    });
    const withPolicy = { ...deps, policy };
    const request = { bucket: BUCKET, tier: 'STANDARD' as const, days: 2, recipients: [ordererReader(REQUESTER, undefined)] };

    expect(await submitBatch(withPolicy, { ...request, prefix: 'policy/secret/' })).toEqual({ outcome: 'nothing-to-restore', skipped: 0, refused: 2 });
    const submitted = await submitBatch(withPolicy, { ...request, prefix: 'policy/' });
    expect(submitted).toMatchObject({ outcome: 'submitted', objectCount: 2, skipped: 0, refused: 2 });
    if (submitted.outcome !== 'submitted') throw new Error('not submitted');
    const batch = (await h.batches.get(submitted.batchId))!;
    const manifest = await h.s3().send(new GetObjectCommand({ Bucket: MANIFEST_BUCKET, Key: batch.jobs[0]!.manifestKey }));
    expect((await manifest.Body!.transformToString()).trim().split('\n')).toEqual([`${BUCKET},policy%2Fopen-1.bin`, `${BUCKET},policy%2Fopen-2.bin`]);
  });

  it('prices the batch as it lists it: the "started" email carries what the restores cost', async () => {
    await h.putObjects(BUCKET, ['priced/a.bin', 'priced/b.bin'], 'DEEP_ARCHIVE');
    await h.putObject(BUCKET, 'priced/tiered.bin', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
    const prices = loadPriceTable();
    const sizeOf = async (key: string) => (await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength ?? 0;
    const expected =
      restoreCost(prices, 'DEEP_ARCHIVE', 'Bulk', await sizeOf('priced/a.bin')).microUsd +
      restoreCost(prices, 'DEEP_ARCHIVE', 'Bulk', await sizeOf('priced/b.bin')).microUsd +
      restoreCost(prices, 'INTELLIGENT_TIERING_ARCHIVE_ACCESS', 'Bulk', await sizeOf('priced/tiered.bin')).microUsd;
    expect(expected).toBeGreaterThan(0);

    const submitted = await submitBatch({ ...deps, prices }, { bucket: BUCKET, prefix: 'priced/', tier: 'BULK', days: 2, recipients: [ordererReader(REQUESTER, undefined)] });
    if (submitted.outcome !== 'submitted') throw new Error('not submitted');
    const batch = (await h.batches.get(submitted.batchId))!;
    expect(batch.costMicroUsd).toBe(expected);
    expect(batchNoticeFile(batch, 'started').costMicroUsd).toBe(expected);
  });

  it('the CLI: Expedited is refused, auto mode takes the bulk path above the threshold, batch list, show and cancel', async () => {
    await h.putObjects(BUCKET, ['cli/a.bin', 'cli/b.bin', 'cli/c.bin'], 'GLACIER');
    const expedited = await autorestore(['restore', `s3://${BUCKET}/cli/`, '--mode', 'batch', '--tier', 'Expedited']);
    expect(expedited.code).toBe(2);
    expect(expedited.stderr).toContain('no Expedited retrieval');

    const restored = await autorestore(['--json', 'restore', `s3://${BUCKET}/cli/`, '--batch-threshold', '2', '--tier', 'Bulk', '--yes']);
    expect(restored.code).toBe(0);
    const submission = JSON.parse(restored.stdout) as { outcome: string; batchId: string; objectCount: number };
    expect(submission).toMatchObject({ outcome: 'submitted', objectCount: 3 });

    const listed = JSON.parse((await autorestore(['--json', 'batch', 'list'])).stdout) as { batchId: string; tier: string }[];
    expect(listed.find((b) => b.batchId === submission.batchId)).toMatchObject({ tier: 'BULK' });
    const cancel = await autorestore(['batch', 'cancel', submission.batchId]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`batch ${submission.batchId}: cancelling`);
    const ended = await eventually(
      async () => {
        const shown = JSON.parse((await autorestore(['--json', 'batch', 'show', submission.batchId])).stdout) as { status: string };
        return ['CANCELLED'].includes(shown.status) ? shown : undefined;
      },
      'the cancelled batch to end',
      120_000,
      500,
    );
    expect(ended.status).toBe('CANCELLED');
    expect((await autorestore(['batch', 'cancel', submission.batchId])).code).toBe(2);
  });
});

const autorestore = (args: string[]): Promise<CliRun> => runCli({ endpoint: h.cloud.endpoint, accessKeyId: REQUESTER }, args);
