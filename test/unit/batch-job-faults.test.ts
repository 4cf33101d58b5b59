/** One of a batch's two jobs refused or failed by S3: the other is cancelled, and the batch records every job and the reason. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { BatchBook, type BatchJob, type BatchRecord } from '../../functions/domain/stores/batches.js';
import { S3ControlClient, type JobDescriptor, type JobStatus } from '../../functions/restore-batch/s3control.js';
import { runBatchStep, type BatchStepDeps } from '../../functions/restore-batch/steps.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { batchRecord, batchStepDeps } from '../support/batches.js';

/** S3 Control as the workflow sees it: jobs with the statuses given, and every UpdateJobStatus call kept. */
class ScriptedControl extends S3ControlClient {
  readonly cancels: { jobId: string; reason: string | undefined }[] = [];
  constructor(readonly statuses: Map<string, { status: JobStatus; reasons?: string[] }>) {
    super({ accountId: '111122223333', region: 'us-east-1', credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } });
  }
  override describeJob(jobId: string): Promise<JobDescriptor> {
    const job = this.statuses.get(jobId)!;
    return Promise.resolve({
      JobId: jobId,
      Status: job.status,
      ProgressSummary: { TotalNumberOfTasks: 2, NumberOfTasksSucceeded: 0, NumberOfTasksFailed: 0 },
      ...(job.reasons ? { FailureReasons: job.reasons.map((r) => ({ FailureCode: r.split(': ')[0], FailureReason: r.split(': ').slice(1).join(': ') })) } : {}),
    });
  }
  override updateJobStatus(jobId: string, requested: 'Cancelled' | 'Ready', reason?: string) {
    this.cancels.push({ jobId, reason });
    const job = this.statuses.get(jobId)!;
    job.status = requested === 'Cancelled' ? 'Cancelling' : 'Ready';
    return Promise.resolve({ JobId: jobId, Status: job.status });
  }
}

let state: TestState;
let batches: BatchBook;
const NOW = new Date('2026-11-23T06:00:00Z');
beforeAll(async () => {
  state = await startTestState();
  batches = new BatchBook(state.ddb, state.tableNames.objects);
});
afterAll(() => state.stop());

const deps = (control: S3ControlClient): BatchStepDeps => batchStepDeps(state, batches, NOW, { control });

const batch = (batchId: string, jobs: BatchJob[]): BatchRecord =>
  batchRecord(batchId, NOW, { status: 'SUBMITTING', days: 2, jobs, recipients: [ordererReader('AKIABATCHOWNER000002', 'owner@example.com')] });
const archive = (fields: Partial<BatchJob> = {}): BatchJob => ({ kind: 'archive', manifestKey: 'm/a.csv', manifestEtag: 'e1', count: 2, deep: false, attempt: 0, ...fields });
const tiered = (fields: Partial<BatchJob> = {}): BatchJob => ({ kind: 'intelligent-tiering', manifestKey: 'm/i.csv', manifestEtag: 'e2', count: 1, deep: false, attempt: 0, ...fields });

describe('a job S3 refuses or fails', () => {
  it('CreateJob refused for one kind after the other was created: that job is recorded and cancelled, the batch ends FAILED saying so', async () => {
    await batches.create(batch('refused', [archive(), tiered()]));
    const control = new ScriptedControl(new Map([['job-archive', { status: 'New' }]]));
    const out = await runBatchStep(
      {
        action: 'finish',
        batchId: 'refused',
        rejected: { Error: 'S3Control.BadRequestException', Cause: 'Manifest Location needs the ETag of the manifest object' },
        created: { archive: { JobId: 'job-archive' } },
      },
      deps(control),
    );
    expect(out).toEqual({ status: 'FAILED', cancelled: ['job-archive'] });
    expect(control.cancels).toEqual([{ jobId: 'job-archive', reason: expect.stringMatching(/^autorestore: S3 refused the intelligent-tiering job: S3Control.BadRequestException/) as unknown }]);
    const ended = (await batches.get('refused'))!;
    expect(ended.status).toBe('FAILED');
    // Every job S3 made is on the batch, with where it stands.
    expect(ended.jobs.map((j) => [j.kind, j.jobId, j.status])).toEqual([
      ['archive', 'job-archive', 'Cancelling'],
      ['intelligent-tiering', undefined, undefined],
    ]);
    expect(ended.failures).toEqual([
      {
        reason:
          'S3 refused the intelligent-tiering job: S3Control.BadRequestException: Manifest Location needs the ETag of the manifest object; the archive job job-archive was cancelled (Cancelling), so the batch does not restore only part of the request',
        count: 3,
        sample: [],
      },
    ]);
    expect((await batches.runningIn('b')).map((b) => b.batchId)).not.toContain('refused');
  });

  it('CreateJob refused for the first kind: nothing to cancel, the batch ends FAILED with the reason', async () => {
    await batches.create(batch('refused-first', [archive(), tiered()]));
    const control = new ScriptedControl(new Map());
    expect(await runBatchStep({ action: 'finish', batchId: 'refused-first', rejected: { Error: 'S3Control.AccessDeniedException' }, created: {} }, deps(control))).toEqual({
      status: 'FAILED',
      cancelled: [],
    });
    expect(control.cancels).toEqual([]);
    expect((await batches.get('refused-first'))!.failures![0]!.reason).toBe('S3 refused the archive and intelligent-tiering job: S3Control.AccessDeniedException');
  });

  it('a retry’s job refused: its objects fail with the reason, and the batch goes on to wait for the restores S3 accepted before', async () => {
    await batches.create({
      ...batch('retry-refused', [archive({ jobId: 'job-first', status: 'Complete', reported: true, count: 3 }), archive({ attempt: 1, count: 1, manifestKey: 'm/retry.csv' })]),
      status: 'RUNNING',
      expectedCount: 2,
      failures: [],
    });
    const control = new ScriptedControl(new Map());
    expect(await runBatchStep({ action: 'finish', batchId: 'retry-refused', rejected: { Error: 'S3Control.AccessDeniedException' }, created: {} }, deps(control))).toEqual({
      status: 'RESTORING',
      waitForRestores: true,
      cancelled: [],
    });
    // The step retried (its answer lost): the refusal is not counted twice.
    expect(await runBatchStep({ action: 'finish', batchId: 'retry-refused', rejected: { Error: 'S3Control.AccessDeniedException' }, created: {} }, deps(control))).toMatchObject({
      waitForRestores: true,
    });
    const waiting = (await batches.get('retry-refused'))!;
    expect(waiting).toMatchObject({ status: 'RESTORING', expectedCount: 2, failures: [{ reason: 'S3 refused the archive job: S3Control.AccessDeniedException', count: 1, sample: [] }] });
    expect((await batches.runningIn('b')).map((b) => b.batchId)).toContain('retry-refused');
    // The two accepted restores complete: the batch ends PARTIAL, one ready and one failed report.
    await batches.recordRestored(waiting, { bucket: 'b', key: 'p/1' }, { restoredAt: NOW.toISOString() }, NOW);
    await batches.recordRestored(waiting, { bucket: 'b', key: 'p/2' }, { restoredAt: NOW.toISOString() }, NOW);
    expect(await runBatchStep({ action: 'readiness', batchId: 'retry-refused' }, deps(control))).toMatchObject({ state: 'ready' });
    expect(await runBatchStep({ action: 'finish', batchId: 'retry-refused' }, deps(control))).toMatchObject({ status: 'PARTIAL', restored: 2, failed: 1 });
  });

  it('a job S3 fails part-way: the other job of the submission is cancelled with the reason, and the workflow waits for it to end', async () => {
    await batches.create({ ...batch('failed-job', [archive({ jobId: 'job-a', status: 'Active' }), tiered({ jobId: 'job-i', status: 'Active' })]), status: 'RUNNING' });
    const control = new ScriptedControl(
      new Map([
        ['job-a', { status: 'Failed', reasons: ['ManifestETagMismatch: the manifest changed'] }],
        ['job-i', { status: 'Active' }],
      ]),
    );
    expect(await runBatchStep({ action: 'progress', batchId: 'failed-job' }, deps(control))).toEqual({ done: false, statuses: ['Failed', 'Cancelling'] });
    expect(control.cancels.map((c) => c.jobId)).toEqual(['job-i']);
    const jobs = (await batches.get('failed-job'))!.jobs;
    expect(jobs[1]!.failureReasons).toEqual(['cancelled because the archive job failed (ManifestETagMismatch: the manifest changed)']);

    // Once S3 has cancelled it, the jobs have ended: no second cancel.
    control.statuses.get('job-i')!.status = 'Cancelled';
    expect(await runBatchStep({ action: 'progress', batchId: 'failed-job' }, deps(control))).toEqual({ done: true, statuses: ['Failed', 'Cancelled'] });
    expect(control.cancels).toHaveLength(1);
  });

  it('a failed job of an earlier submission, already reported, does not cancel the retry', async () => {
    await batches.create({
      ...batch('retrying', [archive({ jobId: 'job-old', status: 'Failed', reported: true }), archive({ jobId: 'job-retry', status: 'Active', attempt: 1 })]),
      status: 'RUNNING',
    });
    const control = new ScriptedControl(new Map([['job-retry', { status: 'Active' }]]));
    expect(await runBatchStep({ action: 'progress', batchId: 'retrying' }, deps(control))).toEqual({ done: false, statuses: ['Failed', 'Active'] });
    expect(control.cancels).toEqual([]);
  });
});

describe('a batch cancelled before its jobs exist', () => {
  const noticesOf = async (batchId: string) => (await state.notices.pending()).filter((n) => n.file.key.includes(`[batch ${batchId}:`)).map((n) => n.kind);

  it('creates no job, sends no "started" email, and ends CANCELLED with every object reported as never asked for', async () => {
    // `batch cancel` found no job id to cancel: it only marked the batch.
    await batches.create({ ...batch('cancelled-early', [archive(), tiered()]), status: 'CANCELLED' });
    const control = new ScriptedControl(new Map());
    expect(await runBatchStep({ action: 'prepare', batchId: 'cancelled-early' }, deps(control))).toEqual({ archive: null, intelligentTiering: null });
    expect(await runBatchStep({ action: 'submitted', batchId: 'cancelled-early', created: {} }, deps(control))).toEqual({ jobs: 0 });
    expect(await noticesOf('cancelled-early')).toEqual([]);
    expect(await runBatchStep({ action: 'progress', batchId: 'cancelled-early' }, deps(control))).toMatchObject({ done: true });
    expect(await runBatchStep({ action: 'report', batchId: 'cancelled-early' }, deps(control))).toMatchObject({ retry: false, expected: 0, failed: 3 });
    expect(await runBatchStep({ action: 'finish', batchId: 'cancelled-early' }, deps(control))).toMatchObject({ status: 'CANCELLED', restored: 0, failed: 3 });
    expect((await batches.get('cancelled-early'))!.failures).toEqual([{ reason: 'the batch was cancelled before S3 was asked to restore them', count: 3, sample: [] }]);
    expect(await noticesOf('cancelled-early')).toEqual(['failed']);
  });

  it('a job CreateJob made while `batch cancel` ran (it had no id yet) is cancelled as soon as it is recorded', async () => {
    await batches.create({ ...batch('cancelled-in-flight', [archive(), tiered()]), status: 'CANCELLED' });
    const control = new ScriptedControl(new Map([['job-late', { status: 'New' }]]));
    expect(await runBatchStep({ action: 'submitted', batchId: 'cancelled-in-flight', created: { archive: { JobId: 'job-late' } } }, deps(control))).toEqual({ jobs: 1 });
    expect(control.cancels).toEqual([{ jobId: 'job-late', reason: 'autorestore: the batch was cancelled' }]);
    expect((await batches.get('cancelled-in-flight'))!).toMatchObject({ status: 'CANCELLED', jobs: [{ jobId: 'job-late', status: 'Cancelling' }, { kind: 'intelligent-tiering' }] });
    expect(await noticesOf('cancelled-in-flight')).toEqual([]);
  });
});
