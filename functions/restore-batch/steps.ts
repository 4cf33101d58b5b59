/**
 * The steps of the restore-batch workflow (statemachines/restore-batch.asl.json), one action
 * each: `prepare` the CreateJob requests of the jobs not yet created, record the `submitted`
 * jobs (and queue the "started" email), follow the jobs' `progress`, read their `report`
 * (retrying what S3 may do next time), check `readiness` from the completions counted by
 * restore-completed (HeadObject on a sample when events are missing), and `finish` with one
 * "ready" email, or a partial or failed report.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { InvalidInputError, withWorkflowErrors } from '../domain/rules/errors.js';
import { ENDED_BATCH_STATUSES, batchItemId, type BatchBook, type BatchFailure, type BatchJob, type BatchRecord } from '../domain/stores/batches.js';
import type { NoticeBook, NoticeFile, NoticeKind } from '../domain/stores/notices.js';
import { TERMINAL_JOB_STATUSES, type JobStatus, type S3ControlClient } from './s3control.js';
import type { Log } from '../domain/wiring/logger.js';
import { classifyFailure, decodeReportKey, failedTasks, keyReadings, resolveReportKeys, submittedAmong, type FailedTask } from './reports.js';
import { folderJoiners, isReadable, tellJoinedReaders } from './joined-readers.js';

export interface BatchStepDeps {
  s3: S3Client;
  control: S3ControlClient;
  batches: BatchBook;
  notices: NoticeBook;
  manifestBucket: string;
  /** Seconds from submission to the tier's documented maximum (on the deployment's clock), by archive depth and tier. */
  readySeconds: Record<'flexible' | 'deep', Record<'STANDARD' | 'BULK', number>>;
  /** Seconds from submission to the partial report, by archive depth and tier. */
  deadlineSeconds: Record<'flexible' | 'deep', Record<'STANDARD' | 'BULK', number>>;
  now: () => Date;
  log: Log;
}

/** Tasks retried at most this many times (each retry is a new job of the tasks that failed retryably). */
export const MAX_RETRY_ATTEMPTS = 2;
/** Objects looked at directly when completion events seem missing. */
export const READINESS_SAMPLE = 20;
const FAILURE_SAMPLE = 10;

const batchId = z.string().min(1).max(64);
const stepSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('prepare'), batchId }),
  z.object({ action: z.literal('submitted'), batchId, created: z.record(z.string(), z.object({ JobId: z.string() })).default({}) }),
  z.object({ action: z.literal('progress'), batchId }),
  z.object({ action: z.literal('report'), batchId }),
  z.object({ action: z.literal('readiness'), batchId }),
  z.object({
    action: z.literal('finish'),
    batchId,
    rejected: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
    // The jobs S3 created before it refused another: they are recorded and cancelled.
    created: z.record(z.string(), z.object({ JobId: z.string() })).default({}),
  }),
]);
type Step = z.infer<typeof stepSchema>;

/** The report prefix of a batch's jobs in the manifest bucket. */
export const reportPrefixOf = (id: string) => `batches/${id}/reports`;

export async function runBatchStep(event: unknown, deps: BatchStepDeps) {
  const parsed = stepSchema.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`not a restore-batch step: ${parsed.error.message}`);
  return withWorkflowErrors(async () => {
    const step = parsed.data;
    const batch = await deps.batches.get(step.batchId);
    if (!batch) throw new InvalidInputError(`no batch ${step.batchId}`);
    return dispatch(step, batch, deps);
  });
}

function dispatch(step: Step, batch: BatchRecord, deps: BatchStepDeps) {
  switch (step.action) {
    case 'prepare':
      return prepare(batch, deps);
    case 'submitted':
      return submitted(batch, step.created, deps);
    case 'progress':
      return progress(batch, deps);
    case 'report':
      return report(batch, deps);
    case 'readiness':
      return readiness(batch, deps);
    case 'finish':
      return step.rejected ? refused(batch, step.rejected, step.created, deps) : finish(batch, deps);
  }
}

/** The state that creates a job of each kind: the ASL reads `archive` and `intelligentTiering`. */
const JOB_SLOT = { archive: 'archive', 'intelligent-tiering': 'intelligentTiering' } as const;

/** The CreateJob requests (less what the workflow adds: account, role, report bucket) of the jobs not yet created. */
function prepare(batch: BatchRecord, deps: BatchStepDeps) {
  const requests: Record<string, unknown> = { archive: null, intelligentTiering: null };
  // Cancelled before its jobs exist (`batch cancel` had none to stop): none is created.
  if (batch.status === 'CANCELLED') return requests;
  for (const job of batch.jobs) {
    if (job.jobId || job.count === 0) continue;
    requests[JOB_SLOT[job.kind]] = {
      // The same token for the same job: a CreateJob retried after a timeout finds the job it made.
      token: `${batch.batchId}-${job.kind}-${job.attempt}`,
      operation: { S3InitiateRestoreObject: { ...(job.kind === 'archive' && batch.days ? { ExpirationInDays: batch.days } : {}), GlacierJobTier: batch.tier } },
      fields: job.versioned ? ['Bucket', 'Key', 'VersionId'] : ['Bucket', 'Key'],
      manifestArn: `arn:aws:s3:::${deps.manifestBucket}/${job.manifestKey}`,
      manifestEtag: job.manifestEtag,
      reportPrefix: reportPrefixOf(batch.batchId),
      description: `autorestore ${batch.batchId} s3://${batch.bucket}/${batch.prefix}`.slice(0, 256),
    };
  }
  return requests;
}

/** The jobs with the ids of those CreateJob just made. */
function withCreated(jobs: readonly BatchJob[], created: Record<string, { JobId: string }>): BatchJob[] {
  return jobs.map((job) => (job.jobId || job.count === 0 || !created[JOB_SLOT[job.kind]] ? job : { ...job, jobId: created[JOB_SLOT[job.kind]]!.JobId }));
}

async function submitted(batch: BatchRecord, created: Record<string, { JobId: string }>, deps: BatchStepDeps) {
  const now = deps.now();
  const cancelled = batch.status === 'CANCELLED';
  // `batch cancel` ran while CreateJob was under way, before the job had an id to cancel: it is cancelled now.
  const jobs = cancelled ? await cancelJobs(withCreated(batch.jobs, created), 'the batch was cancelled', deps) : withCreated(batch.jobs, created);
  const first = !batch.startedNotified && !cancelled;
  const timing = first ? batchTiming(batch, now, deps) : {};
  const updated = await deps.batches.update(batch.batchId, { jobs, status: cancelled ? 'CANCELLED' : 'RUNNING', ...timing, ...(first ? { startedNotified: true } : {}) }, now);
  if (first) await notifyAll(updated, 'started', deps);
  return { jobs: jobs.filter((j) => j.jobId).length };
}

function batchTiming(batch: BatchRecord, now: Date, deps: BatchStepDeps): Pick<BatchRecord, 'expectedReadyAt' | 'deadline'> {
  const depth = batch.jobs.some((j) => j.deep) ? 'deep' : 'flexible';
  return {
    expectedReadyAt: new Date(now.getTime() + deps.readySeconds[depth][batch.tier] * 1000).toISOString(),
    deadline: new Date(now.getTime() + deps.deadlineSeconds[depth][batch.tier] * 1000).toISOString(),
  };
}

/** DescribeJob for each job still running; done once every job has ended. */
async function progress(batch: BatchRecord, deps: BatchStepDeps) {
  const jobs: BatchJob[] = [];
  for (const job of batch.jobs) {
    if (!job.jobId || TERMINAL_JOB_STATUSES.includes(job.status as JobStatus)) {
      jobs.push(job);
      continue;
    }
    const described = await deps.control.describeJob(job.jobId);
    const reasons = (described.FailureReasons ?? []).map((f) => `${f.FailureCode ?? 'Failure'}: ${f.FailureReason ?? ''}`.slice(0, 300));
    jobs.push({
      ...job,
      status: described.Status,
      succeeded: described.ProgressSummary?.NumberOfTasksSucceeded ?? 0,
      failed: described.ProgressSummary?.NumberOfTasksFailed ?? 0,
      ...(reasons.length ? { failureReasons: reasons } : {}),
    });
  }
  // S3 failed a job (its manifest unreadable, a permission missing): the batch cannot restore
  // what it was asked, so the other job is stopped rather than left restoring half of it.
  // Jobs already reported belong to an earlier submission: only this submission's are looked at.
  const failedJob = jobs.find((j) => !j.reported && (j.status === 'Failed' || j.status === 'Failing'));
  const settled = failedJob ? await cancelJobs(jobs, `the ${failedJob.kind} job failed${failedJob.failureReasons?.length ? ` (${failedJob.failureReasons.join('; ')})` : ''}`, deps) : jobs;
  await deps.batches.update(batch.batchId, { jobs: settled }, deps.now());
  const done = settled.every((j) => !j.jobId || TERMINAL_JOB_STATUSES.includes(j.status as JobStatus));
  return { done, statuses: settled.map((j) => j.status ?? 'NotCreated') };
}

/** Statuses a job leaves only by ending: no need (and no use) to cancel it. */
const ENDING_JOB_STATUSES: readonly string[] = [...TERMINAL_JOB_STATUSES, 'Cancelling', 'Failing', 'Completing'];

/**
 * UpdateJobStatus to Cancelled for every created job still running, with the reason on the job
 * (its untried tasks are then reported with it). A job that ended meanwhile cannot be cancelled:
 * S3 refuses, and its status is looked up instead.
 */
async function cancelJobs(jobs: readonly BatchJob[], why: string, deps: BatchStepDeps): Promise<BatchJob[]> {
  const out: BatchJob[] = [];
  for (const job of jobs) {
    if (!job.jobId || ENDING_JOB_STATUSES.includes(job.status ?? '')) {
      out.push(job);
      continue;
    }
    let status: string;
    try {
      status = (await deps.control.updateJobStatus(job.jobId, 'Cancelled', `autorestore: ${why}`.slice(0, 256))).Status;
    } catch (err) {
      deps.log.warn('a batch job could not be cancelled; it has ended meanwhile', { jobId: job.jobId, error: (err as Error).name });
      status = (await deps.control.describeJob(job.jobId)).Status;
    }
    out.push({ ...job, status, failureReasons: [...(job.failureReasons ?? []), `cancelled because ${why}`.slice(0, 300)] });
  }
  return out;
}

/**
 * Reads the reports of the jobs that ended since the last read. Retryable failures go into a
 * new manifest (a new job, through `prepare` again) until MAX_RETRY_ATTEMPTS; the others are
 * counted by reason. Answers whether to submit again and how many completions to wait for.
 */
async function report(batch: BatchRecord, deps: BatchStepDeps) {
  const now = deps.now();
  const failures = new Map((batch.failures ?? []).map((f) => [f.reason, { ...f }]));
  let deleted = batch.deletedCount ?? 0;
  let expected = batch.expectedCount ?? 0;
  const retries: BatchJob[] = [];
  const jobs = batch.jobs.map((job) => ({ ...job }));
  for (const job of jobs) {
    if (!job.jobId && !job.reported && batch.status === 'CANCELLED') {
      // Cancelled before this job was created: S3 never saw these objects.
      job.reported = true;
      addFailure(failures, `the batch was cancelled before S3 was asked to restore them`, job.count, undefined);
      continue;
    }
    if (!job.jobId || !TERMINAL_JOB_STATUSES.includes(job.status as JobStatus) || job.reported) continue;
    job.reported = true;
    expected += job.succeeded ?? 0;
    if (job.status !== 'Complete' && (job.succeeded ?? 0) + (job.failed ?? 0) < job.count) {
      // Cancelled or failed before every task ran: the rest were never tried.
      const untried = job.count - (job.succeeded ?? 0) - (job.failed ?? 0);
      const why = job.failureReasons?.length ? `: ${job.failureReasons.join('; ')}` : '';
      addFailure(failures, `job ${(job.status ?? 'ended').toLowerCase()} before ${untried} task(s) ran${why}`, untried, undefined);
    }
    const retryLines: string[] = [];
    let retryDeep = false;
    const sorted = { alreadyRestoring: 0, deleted: 0, retried: 0 };
    const take = (task: FailedTask, key: string) => {
      const kind = classifyFailure(task);
      if (kind === 'deleted') sorted.deleted++;
      else if (kind === 'in-progress') sorted.alreadyRestoring++;
      else if (kind === 'retryable' && job.attempt < MAX_RETRY_ATTEMPTS && batch.status !== 'CANCELLED') {
        // Spelt as the manifest spells it (cli/commands/batch-submit.ts `manifestLine`).
        retryLines.push(`${task.bucket},${encodeURIComponent(key)}${job.versioned ? `,${task.versionId ?? 'null'}` : ''}`);
        sorted.retried++;
        retryDeep ||= job.deep;
      } else addFailure(failures, `${task.errorCode}${task.httpStatus ? ` (${task.httpStatus})` : ''}: ${task.message}`.slice(0, 300), 1, key);
    };
    // Keys whose spelling is in doubt (BO16) are matched against the job's manifest once, after the report.
    const doubtful: FailedTask[] = [];
    for await (const task of failedTasks(deps.s3, deps.manifestBucket, reportPrefixOf(batch.batchId), job.jobId)) {
      const readings = keyReadings(task.reportKey);
      if (readings.length === 1) take(task, readings[0]!);
      else doubtful.push(task);
    }
    if (doubtful.length > 0) {
      const keys = resolveReportKeys(
        doubtful.map((t) => t.reportKey),
        await submittedKeys(deps, job.manifestKey, new Set(doubtful.flatMap((t) => keyReadings(t.reportKey)))),
      );
      doubtful.forEach((task, i) => {
        const key = keys[i];
        if (key !== undefined) return take(task, key);
        deps.log.warn('a completion report names a key that matches no single key of its manifest', { batchId: batch.batchId, jobId: job.jobId, reportKey: task.reportKey });
        addFailure(failures, `the completion report names a key that matches no single key the job submitted (${task.errorCode})`, 1, task.reportKey);
      });
    }
    Object.assign(job, sorted);
    deleted += sorted.deleted;
    expected += sorted.alreadyRestoring;
    if (retryLines.length > 0) {
      const manifestKey = `batches/${batch.batchId}/retry-${job.attempt + 1}-${job.kind}.csv`;
      const put = await deps.s3.send(new PutObjectCommand({ Bucket: deps.manifestBucket, Key: manifestKey, Body: `${retryLines.join('\n')}\n`, ContentType: 'text/csv' }));
      retries.push({
        kind: job.kind,
        manifestKey,
        manifestEtag: (put.ETag ?? '').replace(/"/g, ''),
        count: retryLines.length,
        deep: retryDeep,
        attempt: job.attempt + 1,
        ...(job.versioned ? { versioned: true } : {}),
      });
    }
  }
  const failureList = [...failures.values()];
  await deps.batches.update(
    batch.batchId,
    { jobs: [...jobs, ...retries], expectedCount: expected, deletedCount: deleted, failures: failureList, status: retries.length ? 'RUNNING' : 'RESTORING' },
    now,
  );
  return { retry: retries.length > 0, expected, deleted, failed: failureList.reduce((n, f) => n + f.count, 0) };
}

function addFailure(failures: Map<string, BatchFailure>, reason: string, count: number, key: string | undefined): void {
  const entry = failures.get(reason) ?? { reason, count: 0, sample: [] };
  entry.count += count;
  if (key !== undefined && entry.sample.length < FAILURE_SAMPLE) entry.sample.push(key);
  failures.set(reason, entry);
}

/** Which of `candidates` the manifest at `manifestKey` submitted. */
async function submittedKeys(deps: BatchStepDeps, manifestKey: string, candidates: ReadonlySet<string>): Promise<Set<string>> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.manifestBucket, Key: manifestKey }));
  return submittedAmong(createInterface({ input: out.Body as Readable, crlfDelay: Infinity }), candidates);
}

/**
 * Ready once restore-completed has counted every restore S3 accepted. Past the expected time
 * with completions missing, a sample of objects is asked directly (events can be lost); past
 * the deadline the batch ends partial.
 */
async function readiness(batch: BatchRecord, deps: BatchStepDeps) {
  const now = deps.now();
  await tellJoinedReaders(batch, deps);
  const restored = batch.restoredCount ?? 0;
  const expected = batch.expectedCount ?? 0;
  if (restored >= expected) return { state: 'ready', restored, expected };
  const pastDeadline = now.getTime() >= Date.parse(batch.deadline);
  // Past the expected time (and at the deadline, before any partial report), completions may
  // be missing or late: S3 is asked directly about a sample of the objects.
  if ((pastDeadline || now.getTime() >= Date.parse(batch.expectedReadyAt)) && (await sampleRestored(batch, deps))) {
    deps.log.warn('completion events missing for a batch; a sample of its objects is restored', { batchId: batch.batchId, restored, expected });
    await deps.batches.update(batch.batchId, { restoredCount: expected }, now);
    return { state: 'ready', restored: expected, expected, via: 'sample' };
  }
  if (pastDeadline) return { state: 'partial', restored, expected };
  return { state: 'waiting', restored, expected };
}

/** HeadObject on up to READINESS_SAMPLE objects spread over the first manifest: all restored? */
async function sampleRestored(batch: BatchRecord, deps: BatchStepDeps): Promise<boolean> {
  const job = batch.jobs.find((j) => j.attempt === 0 && j.count > 0);
  if (!job) return false;
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.manifestBucket, Key: job.manifestKey }));
  const step = Math.max(1, Math.floor(job.count / READINESS_SAMPLE));
  const sample: string[][] = [];
  let line = 0;
  for await (const text of createInterface({ input: out.Body as Readable, crlfDelay: Infinity })) {
    if (line++ % step === 0 && text.trim()) sample.push(text.split(','));
    if (sample.length >= READINESS_SAMPLE) break;
  }
  for (const [bucket, encodedKey, versionId] of sample) {
    try {
      const head = await deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: decodeReportKey(encodedKey ?? ''), ...(versionId ? { VersionId: versionId } : {}) }));
      if (!isReadable(head)) return false;
    } catch (err) {
      if ((err as Error).name === 'NotFound') continue; // deleted since: nothing to wait for
      throw err;
    }
  }
  return sample.length > 0;
}

/**
 * S3 refused a job (CreateJob failed: bad manifest, missing permission). The jobs it did create
 * (the other kind, or earlier ones still running) are recorded on the batch and cancelled, so
 * nothing restores half the request unknown to the batch; the batch ends FAILED with the reason,
 * unless earlier submissions had restores accepted: then it waits for those (`waitForRestores`).
 */
async function refused(batch: BatchRecord, rejected: { Error: string; Cause?: string }, created: Record<string, { JobId: string }>, deps: BatchStepDeps) {
  const now = deps.now();
  if (ENDED_BATCH_STATUSES.includes(batch.status) && batch.endNotified) return { status: batch.status };
  // A retry of this step after a retry's refusal was recorded (every job reported): nothing more to write.
  if ((batch.expectedCount ?? 0) > 0 && batch.jobs.every((j) => j.reported)) return { status: batch.status, waitForRestores: true, cancelled: [] };
  const recorded = withCreated(batch.jobs, created);
  const refusedKinds = [...new Set(recorded.filter((j) => !j.jobId && j.count > 0).map((j) => j.kind))];
  const what = `S3 refused the ${refusedKinds.join(' and ') || 'batch'} job: ${rejected.Error}${rejected.Cause ? `: ${rejected.Cause}` : ''}`;
  const jobs = await cancelJobs(recorded, what, deps);
  const cancelled = jobs.filter((j, i) => j.status !== recorded[i]!.status);
  const reason =
    `${what}${cancelled.length ? `; the ${cancelled.map((j) => `${j.kind} job ${j.jobId} was cancelled (${j.status})`).join(', ')}, so the batch does not restore only part of the request` : ''}`.slice(
      0,
      500,
    );
  if ((batch.expectedCount ?? 0) > 0) {
    // A retry's job refused: what this submission held fails with the reason, and the batch
    // goes on waiting for the restores S3 accepted before (their "ready" email still goes out).
    const held = jobs.filter((j) => !j.reported).reduce((n, j) => n + j.count, 0);
    const failures = [...(batch.failures ?? []), { reason, count: held, sample: [] }];
    await deps.batches.update(batch.batchId, { jobs: jobs.map((j) => ({ ...j, reported: true })), failures, status: 'RESTORING' }, now);
    return { status: 'RESTORING', waitForRestores: true, cancelled: cancelled.map((j) => j.jobId) };
  }
  const failures = [...(batch.failures ?? []), { reason, count: batch.objectCount, sample: [] }];
  await deps.batches.update(batch.batchId, { jobs }, now);
  const ended = await deps.batches.end({ ...batch, jobs }, 'FAILED', now);
  const updated = await deps.batches.update(ended.batchId, { failures, endNotified: true }, now);
  await tellJoinedReaders(updated, deps, { reason });
  await notifyAll(updated, 'failed', deps);
  return { status: 'FAILED', cancelled: cancelled.map((j) => j.jobId) };
}

/** The batch's last word: "ready" (with failures reported apart), or "failed"; the batch leaves the running ones. */
async function finish(batch: BatchRecord, deps: BatchStepDeps) {
  const now = deps.now();
  if (ENDED_BATCH_STATUSES.includes(batch.status) && batch.endNotified) return { status: batch.status };
  const restored = Math.min(batch.restoredCount ?? 0, batch.expectedCount ?? 0);
  const failed = (batch.failures ?? []).reduce((n, f) => n + f.count, 0) + Math.max(0, (batch.expectedCount ?? 0) - restored);
  const status = batch.status === 'CANCELLED' ? 'CANCELLED' : restored === 0 && failed > 0 ? 'FAILED' : failed > 0 ? 'PARTIAL' : 'READY';
  const ended = await deps.batches.end(batch, status, now);
  const updated = await deps.batches.update(ended.batchId, { endNotified: true }, now);
  const reason =
    updated.status === 'CANCELLED' ? `the bulk restore ${batch.batchId} was cancelled before S3 restored it` : `the bulk restore ${batch.batchId} did not restore it before ${batch.deadline}`;
  await tellJoinedReaders(updated, deps, { reason });
  if (restored > 0) await notifyAll(updated, 'ready', deps);
  if (failed > 0) await notifyAll(updated, 'failed', deps);
  return { status, restored, failed, deleted: batch.deletedCount ?? 0 };
}

/**
 * One notice per recipient, for the batch as one entry (the aggregator emails it like a file).
 * Joined readers hear "started" with them; their "ready" or "failed" names the object they
 * read (tellJoinedReaders), unless it could not be kept: then they hear about the folder.
 */
async function notifyAll(batch: BatchRecord, kind: NoticeKind, deps: BatchStepDeps): Promise<void> {
  const file = batchNoticeFile(batch, kind);
  const joiners = kind === 'started' ? Object.values(batch.joiners ?? {}) : folderJoiners(batch);
  const readers = new Map([...batch.recipients, ...joiners].map((r) => [r.id, r]));
  await deps.notices.enqueueAll(readers.values(), kind, file, deps.now());
}

export function batchNoticeFile(batch: BatchRecord, kind: NoticeKind): NoticeFile {
  const restored = Math.min(batch.restoredCount ?? 0, batch.expectedCount ?? batch.objectCount);
  const failed = (batch.failures ?? []).reduce((n, f) => n + f.count, 0);
  const notRestored = failed || batch.objectCount - restored;
  // How many files the entry stands for (the email's subject counts them), and how its label says so.
  const { fileCount, counts } =
    kind === 'started'
      ? { fileCount: batch.objectCount, counts: `${batch.objectCount} objects` }
      : kind === 'ready'
        ? { fileCount: restored, counts: `${restored} of ${batch.objectCount} objects ready` }
        : { fileCount: notRestored, counts: `${notRestored} of ${batch.objectCount} objects not restored` };
  const reasons = (batch.failures ?? [])
    .slice(0, 5)
    .map((f) => `${f.count} x ${f.reason}${f.sample.length ? ` (e.g. ${f.sample.slice(0, 3).join(', ')})` : ''}`)
    .join('; ');
  return {
    objectId: batchItemId(batch.batchId),
    cycle: 1,
    bucket: batch.bucket,
    key: `${batch.prefix} [batch ${batch.batchId}: ${counts}]`,
    prefix: batch.prefix,
    fileCount,
    storageClass: 'archive (bulk restore)',
    tier: batch.tier === 'BULK' ? 'Bulk' : 'Standard',
    expectedReadyAt: batch.expectedReadyAt,
    ...(batch.costMicroUsd !== undefined ? { costMicroUsd: batch.costMicroUsd } : {}),
    ...(kind === 'failed' ? { failureReason: reasons || `the restores did not complete before ${batch.deadline}${batch.deletedCount ? `; ${batch.deletedCount} deleted since listed` : ''}` } : {}),
  };
}
