/** The bulk path when S3 refuses the second of a batch's two jobs: the first is recorded and cancelled, nothing is restored, the batch ends FAILED with the reason. */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import type { BatchRecord } from '../../functions/domain/stores/batches.js';
import { S3ControlClient } from '../../functions/restore-batch/s3control.js';
import { BATCH_STATE_MACHINE_ARN, MANIFEST_BUCKET } from '../../local/deployment.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'bulk-refused';

beforeAll(async () => {
  // Ten real seconds per simulated minute: a new job waits a simulated minute before it runs,
  // so the cancel reaches it before any task does.
  h = await startHarness({ realMsPerSimulatedHour: 600_000 });
  await h.createBucket(BUCKET);
});
afterAll(async () => {
  await h.stop();
});

it('S3 refuses the Intelligent-Tiering job after creating the archive job: the archive job is cancelled and recorded, and the batch ends FAILED', async () => {
  await h.putObjects(BUCKET, ['mixed/a.bin', 'mixed/b.bin'], 'GLACIER');
  await h.putObject(BUCKET, 'mixed/tiered.bin', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
  const archive = await h.s3().send(new PutObjectCommand({ Bucket: MANIFEST_BUCKET, Key: 'batches/refused/manifest-archive.csv', Body: `${BUCKET},mixed%2Fa.bin\n${BUCKET},mixed%2Fb.bin\n` }));
  await h.s3().send(new PutObjectCommand({ Bucket: MANIFEST_BUCKET, Key: 'batches/refused/manifest-it.csv', Body: `${BUCKET},mixed%2Ftiered.bin\n` }));
  const now = new Date().toISOString();
  const batchId = 'refused-second';
  const batch: BatchRecord = {
    objectId: `#batch#${batchId}`,
    batchId,
    bucket: BUCKET,
    prefix: 'mixed/',
    requestKey: 'refused-request',
    status: 'SUBMITTING',
    tier: 'STANDARD',
    days: 1,
    jobs: [
      { kind: 'archive', manifestKey: 'batches/refused/manifest-archive.csv', manifestEtag: archive.ETag!.replace(/"/g, ''), count: 2, deep: false, attempt: 0 },
      // A manifest location without its ETag: CreateJob refuses it.
      { kind: 'intelligent-tiering', manifestKey: 'batches/refused/manifest-it.csv', manifestEtag: '', count: 1, deep: false, attempt: 0 },
    ],
    objectCount: 3,
    recipients: [ordererReader('AKIABULKREFUSED00001', 'refused@example.com')],
    createdAt: now,
    expectedReadyAt: now,
    deadline: now,
    updatedAt: now,
  };
  await h.batches.create(batch);
  const started = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: BATCH_STATE_MACHINE_ARN, name: batchId, input: JSON.stringify({ batchId }) }));
  const executionArn = started.executionArn!;
  const execution = await eventually(
    async () => {
      const out = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return out.status !== 'RUNNING' ? out : undefined;
    },
    'the batch workflow to end',
    60_000,
    200,
  );
  expect(execution.status).toBe('FAILED');
  expect((await h.path(executionArn)).slice(-4)).toEqual(['Create job: Intelligent-Tiering', 'Report: S3 refused the job', 'Restores accepted before?', 'Batch refused']);

  const ended = (await h.batches.get(batchId))!;
  expect(ended.status).toBe('FAILED');
  const archiveJob = ended.jobs.find((j) => j.kind === 'archive')!;
  expect(archiveJob.jobId).toEqual(expect.any(String));
  expect(ended.jobs.find((j) => j.kind === 'intelligent-tiering')!.jobId).toBeUndefined();
  expect(ended.failures![0]!.reason).toMatch(new RegExp(`^S3 refused the intelligent-tiering job: .*ETag.*; the archive job ${archiveJob.jobId!} was cancelled \\(Cancell(ing|ed)\\)`));
  // S3 says the job ended cancelled, before any task ran: nothing was restored.
  const control = new S3ControlClient({
    accountId: BATCH_STATE_MACHINE_ARN.split(':')[4]!,
    region: 'us-east-1',
    endpoint: h.cloud.endpoint,
    credentials: { accessKeyId: 'AKIATESTADMIN0000001', secretAccessKey: 'local' },
  });
  const job = await eventually(
    async () => {
      const described = await control.describeJob(archiveJob.jobId!);
      return described.Status === 'Cancelled' ? described : undefined;
    },
    'the archive job to be cancelled',
    60_000,
    200,
  );
  expect(job.ProgressSummary?.NumberOfTasksSucceeded ?? 0).toBe(0);
  expect((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mixed/a.bin' }))).Restore).toBeUndefined();
  expect((await h.batches.runningIn(BUCKET)).map((b) => b.batchId)).not.toContain(batchId);
});
