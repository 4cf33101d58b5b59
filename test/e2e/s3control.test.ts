/** The local S3 Control: Batch Operations restore jobs through SigV4-signed REST-XML requests, as a real client sends them. */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ControlClient, S3ControlError, type JobDescriptor, type RestoreJobRequest } from '../../functions/restore-batch/s3control.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
let control: S3ControlClient;
const ACCOUNT = '000000000000';
const BUCKET = 'batch-source';
const REPORTS = 'batch-reports';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/batch-operations`;

beforeAll(async () => {
  h = await startHarness();
  control = new S3ControlClient({ accountId: ACCOUNT, region: 'us-east-1', endpoint: h.cloud.endpoint, credentials: { accessKeyId: 'AKIATESTADMIN0000001', secretAccessKey: 'local' } });
  await h.createBucket(BUCKET);
  await h.createBucket(REPORTS);
});
afterAll(async () => {
  await h.stop();
});

/** Writes a manifest and answers its location as CreateJob takes it. */
async function manifest(key: string, lines: string[]): Promise<RestoreJobRequest['Manifest']> {
  const put = await h.s3().send(new PutObjectCommand({ Bucket: REPORTS, Key: key, Body: lines.join('\n') }));
  return { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: `arn:aws:s3:::${REPORTS}/${key}`, ETag: put.ETag!.replace(/"/g, '') } };
}

function request(token: string, jobManifest: RestoreJobRequest['Manifest'], overrides: Partial<RestoreJobRequest> = {}): RestoreJobRequest {
  return {
    ClientRequestToken: token,
    ConfirmationRequired: false,
    Priority: 10,
    RoleArn: ROLE,
    Operation: { S3InitiateRestoreObject: { ExpirationInDays: 2, GlacierJobTier: 'STANDARD' } },
    Manifest: jobManifest,
    Report: { Enabled: true, Bucket: `arn:aws:s3:::${REPORTS}`, Format: 'Report_CSV_20180820', Prefix: 'reports', ReportScope: 'AllTasks' },
    ...overrides,
  };
}

const finished = (jobId: string) =>
  eventually(
    async () => {
      const job = await control.describeJob(jobId);
      return ['Complete', 'Failed', 'Cancelled'].includes(job.Status) ? job : undefined;
    },
    `job ${jobId} to end`,
    30_000,
  );

async function errorOf(promise: Promise<unknown>): Promise<S3ControlError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3ControlError);
  return err as S3ControlError;
}

describe('local S3 Control', () => {
  it('runs a restore job: each task restores through S3, failures are reported per object, the report lands in the bucket', async () => {
    await h.putObject(BUCKET, 'folder/a b.bin', 'GLACIER');
    await h.putObject(BUCKET, 'folder/deep+1.bin', 'DEEP_ARCHIVE');
    await h.putObject(BUCKET, 'folder/plain.txt', 'STANDARD');
    const jobManifest = await manifest('manifests/one.csv', [
      `${BUCKET},${encodeURIComponent('folder/a b.bin')}`,
      `${BUCKET},${encodeURIComponent('folder/deep+1.bin')}`,
      `${BUCKET},${encodeURIComponent('folder/plain.txt')}`,
      `${BUCKET},${encodeURIComponent('folder/gone.bin')}`,
    ]);
    const { JobId } = await control.createJob(request('token-one', jobManifest));

    const job: JobDescriptor = await finished(JobId);
    expect(job.Status).toBe('Complete');
    expect(job.ProgressSummary).toEqual({ TotalNumberOfTasks: 4, NumberOfTasksSucceeded: 2, NumberOfTasksFailed: 2 });
    expect(job.Operation).toEqual({ S3InitiateRestoreObject: { ExpirationInDays: 2, GlacierJobTier: 'STANDARD' } });

    // The restores are real ones: the Restore header, then completion on the simulated clock.
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'folder/a b.bin' }));
    expect(head.Restore).toMatch(/ongoing-request/);
    await eventually(async () => (await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'folder/a b.bin' }))).Restore?.includes('ongoing-request="false"'), 'the restore to complete');
    expect(await h.read(BUCKET, 'folder/a b.bin', 'AKIATESTREADER000001')).toBe('OK');

    const listed = await h.s3().send(new ListObjectsV2Command({ Bucket: REPORTS, Prefix: `reports/job-${JobId}/` }));
    const keys = (listed.Contents ?? []).map((c) => c.Key!);
    expect(keys).toContain(`reports/job-${JobId}/manifest.json`);
    const reportManifest = JSON.parse(await (await h.s3().send(new GetObjectCommand({ Bucket: REPORTS, Key: `reports/job-${JobId}/manifest.json` }))).Body!.transformToString()) as {
      Results: { TaskExecutionStatus: string; Key: string }[];
    };
    expect(reportManifest.Results.map((r) => r.TaskExecutionStatus).sort()).toEqual(['failed', 'succeeded']);
    const failedKey = reportManifest.Results.find((r) => r.TaskExecutionStatus === 'failed')!.Key;
    const failed = await (await h.s3().send(new GetObjectCommand({ Bucket: REPORTS, Key: failedKey }))).Body!.transformToString();
    const rows = failed.trim().split('\n').sort();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^batch-source,folder%2Fgone\.bin,,failed,NoSuchKey,404,/);
    expect(rows[1]).toMatch(/^batch-source,folder%2Fplain\.txt,,failed,InvalidObjectState,403,/);
  });

  it('answers a retried CreateJob with the same job, and refuses the token for a different request', async () => {
    await h.putObject(BUCKET, 'retry/one.bin', 'GLACIER');
    const jobManifest = await manifest('manifests/retry.csv', [`${BUCKET},retry/one.bin`]);
    const first = await control.createJob(request('token-retry', jobManifest));
    const again = await control.createJob(request('token-retry', jobManifest));
    expect(again.JobId).toBe(first.JobId);
    const err = await errorOf(control.createJob(request('token-retry', jobManifest, { Priority: 11 })));
    expect(err.code).toBe('IdempotencyException');
    expect((await finished(first.JobId)).ProgressSummary).toEqual({ TotalNumberOfTasks: 1, NumberOfTasksSucceeded: 1, NumberOfTasksFailed: 0 });
  });

  it('refuses a request S3 would refuse and creates no job', async () => {
    const jobManifest = await manifest('manifests/bad.csv', [`${BUCKET},x`]);
    const before = (await control.listJobs()).Jobs.length;
    expect((await errorOf(control.createJob(request('token-bad-role', jobManifest, { RoleArn: 'not-a-role' })))).code).toBe('BadRequestException');
    const expedited = request('token-expedited', jobManifest, { Operation: { S3InitiateRestoreObject: { GlacierJobTier: 'EXPEDITED' as 'BULK' } } });
    expect((await errorOf(control.createJob(expedited))).message).toContain('GlacierJobTier');
    expect((await control.listJobs()).Jobs).toHaveLength(before);
  });

  it('fails a job whose manifest changed since its ETag was taken, with the reason', async () => {
    const jobManifest = await manifest('manifests/changed.csv', [`${BUCKET},x`]);
    await h.s3().send(new PutObjectCommand({ Bucket: REPORTS, Key: 'manifests/changed.csv', Body: `${BUCKET},y` }));
    const { JobId } = await control.createJob(request('token-changed', jobManifest));
    const job = await finished(JobId);
    expect(job.Status).toBe('Failed');
    expect(job.FailureReasons?.[0]?.FailureCode).toBe('ManifestETagMismatch');
  });

  it('holds a job that needs confirmation, cancels it, and refuses to cancel it twice', async () => {
    await h.putObject(BUCKET, 'confirm/one.bin', 'GLACIER');
    const jobManifest = await manifest('manifests/confirm.csv', [`${BUCKET},confirm/one.bin`]);
    const { JobId } = await control.createJob(request('token-confirm', jobManifest, { ConfirmationRequired: true }));
    await eventually(async () => (await control.describeJob(JobId)).Status === 'Suspended', 'the job to wait for confirmation');
    expect((await control.listJobs({ JobStatuses: ['Suspended'] })).Jobs.map((j) => j.JobId)).toEqual([JobId]);
    const cancelled = await control.updateJobStatus(JobId, 'Cancelled', 'not needed');
    expect(cancelled.JobId).toBe(JobId);
    const job = await finished(JobId);
    expect(job).toMatchObject({ Status: 'Cancelled', StatusUpdateReason: 'not needed', ProgressSummary: { NumberOfTasksSucceeded: 0 } });
    expect((await errorOf(control.updateJobStatus(JobId, 'Cancelled'))).code).toBe('JobStatusException');
    // Nothing was restored.
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'confirm/one.bin' }));
    expect(head.Restore).toBeUndefined();
  });

  it('answers an unknown job with NotFoundException and a job of another account as unknown', async () => {
    expect((await errorOf(control.describeJob('00000000-0000-0000-0000-000000000000'))).code).toBe('NotFoundException');
    const [someJob] = (await control.listJobs()).Jobs;
    const other = new S3ControlClient({ accountId: '111111111111', region: 'us-east-1', endpoint: h.cloud.endpoint, credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' } });
    expect((await errorOf(other.describeJob(someJob!.JobId))).code).toBe('NotFoundException');
  });
});
