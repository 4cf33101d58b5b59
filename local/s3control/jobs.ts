/**
 * Batch Operations jobs of the local S3 Control: each job moves through S3's statuses (New,
 * Preparing, Suspended when confirmation is required, Ready, Active, Completing, Complete;
 * Cancelling/Cancelled; Failing/Failed) on the simulated clock, reads its CSV manifest from the
 * local S3, runs each task as a RestoreObject request through the local S3 (the same archive
 * layer, events and expiry as a direct call), and writes its completion report to the bucket.
 * Jobs are kept in the data folder; a job cut off by a stop runs again from its manifest.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, RestoreObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { SimulatedClock } from '../clock.js';
import { ServiceError } from '../wire.js';
import type { RestoreJobSpec } from './create-job-request.js';

export type JobStatus = 'New' | 'Preparing' | 'Suspended' | 'Ready' | 'Active' | 'Completing' | 'Complete' | 'Cancelling' | 'Cancelled' | 'Failing' | 'Failed';
const TERMINAL: readonly JobStatus[] = ['Complete', 'Cancelled', 'Failed'];
const CANCELLABLE: readonly JobStatus[] = ['New', 'Preparing', 'Suspended', 'Ready', 'Active'];

export interface Job {
  id: string;
  account: string;
  arn: string;
  status: JobStatus;
  spec: RestoreJobSpec;
  /** Hash of the request, to tell a retried CreateJob from a different one with the same token. */
  requestHash: string;
  createdAt: string;
  terminatedAt?: string;
  statusUpdateReason?: string;
  failureReasons: { code: string; reason: string }[];
  progress: { total: number; succeeded: number; failed: number };
}

export interface JobsOptions {
  endpoint: string;
  region: string;
  clock: SimulatedClock;
  dataDir: string;
  log: (message: string) => void;
  /** Tasks run at once per job. */
  concurrency?: number;
}

const MINUTE = 60_000;
/** S3 fails a job whose tasks mostly fail, once enough have run to tell (local rule: more than half, after 1,000). */
const FAILURE_THRESHOLD = { minimumTasks: 1000, share: 0.5 };
const REPORT_SCHEMA = 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage';

export class BatchJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly file: string;
  private readonly workDir: string;
  private readonly s3: S3Client;
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: JobsOptions) {
    this.file = join(options.dataDir, 's3control-jobs.json');
    this.workDir = join(options.dataDir, 's3control-work');
    mkdirSync(this.workDir, { recursive: true });
    this.s3 = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIALOCALBATCHOPS000', secretAccessKey: 'local' },
      maxAttempts: 5,
      // A streamed report would otherwise go out aws-chunked with a checksum trailer, which the local S3 stores as is.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    if (existsSync(this.file)) for (const job of JSON.parse(readFileSync(this.file, 'utf8')) as Job[]) this.jobs.set(job.id, job);
  }

  /** Runs again every job that a stop cut off. */
  resume(): void {
    for (const job of this.jobs.values()) {
      if (TERMINAL.includes(job.status) || job.status === 'Suspended') continue;
      if (job.status === 'Cancelling') this.finish(job, 'Cancelled');
      else this.run(job);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running]);
    this.save();
    this.s3.destroy();
  }

  create(account: string, spec: RestoreJobSpec, requestHash: string): Job {
    const same = [...this.jobs.values()].find((j) => j.account === account && j.spec.clientRequestToken === spec.clientRequestToken);
    if (same) {
      if (same.requestHash !== requestHash) throw new ServiceError(400, 'IdempotencyException', 'A different request was already made with this ClientRequestToken');
      return same;
    }
    const id = randomUUID();
    const job: Job = {
      id,
      account,
      arn: `arn:aws:s3:${this.options.region}:${account}:job/${id}`,
      status: 'New',
      spec,
      requestHash,
      createdAt: new Date().toISOString(),
      failureReasons: [],
      progress: { total: 0, succeeded: 0, failed: 0 },
    };
    this.jobs.set(id, job);
    this.save();
    this.run(job);
    return job;
  }

  get(account: string, id: string): Job {
    const job = this.jobs.get(id);
    if (job?.account !== account) throw new ServiceError(404, 'NotFoundException', 'The specified job does not exist');
    return job;
  }

  list(account: string, statuses: string[]): Job[] {
    return [...this.jobs.values()].filter((j) => j.account === account && (statuses.length === 0 || statuses.includes(j.status))).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** UpdateJobStatus: Ready confirms a suspended job; Cancelled stops one that has not ended. */
  update(account: string, id: string, requested: string, reason: string | undefined): Job {
    const job = this.get(account, id);
    if (requested === 'Ready') {
      if (job.status !== 'Suspended') throw new ServiceError(400, 'JobStatusException', `A job in status ${job.status} cannot be confirmed`);
      job.statusUpdateReason = reason;
      this.setStatus(job, 'Ready');
      this.run(job);
      return job;
    }
    if (requested === 'Cancelled') {
      if (!CANCELLABLE.includes(job.status)) throw new ServiceError(400, 'JobStatusException', `A job in status ${job.status} cannot be cancelled`);
      job.statusUpdateReason = reason;
      const idle = job.status === 'Suspended';
      this.setStatus(job, 'Cancelling');
      if (idle) this.finish(job, 'Cancelled');
      return job;
    }
    throw new ServiceError(400, 'BadRequestException', `requestedJobStatus must be Ready or Cancelled, not ${requested}`);
  }

  private setStatus(job: Job, status: JobStatus): void {
    job.status = status;
    if (TERMINAL.includes(status)) job.terminatedAt = new Date().toISOString();
    this.save();
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.jobs.values()]));
    renameSync(tmp, this.file);
  }

  private run(job: Job): void {
    const work = this.drive(job).catch((err: unknown) => {
      this.options.log(`local S3 Control: job ${job.id} failed: ${(err as Error).stack ?? String(err)}`);
      job.failureReasons.push({ code: 'InternalError', reason: (err as Error).message });
      this.finish(job, 'Failed');
    });
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  private async pause(simulatedMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.options.clock.real(simulatedMs)));
  }

  private cancelled(job: Job): boolean {
    return job.status === 'Cancelling' || this.stopped;
  }

  private async drive(job: Job): Promise<void> {
    if (job.status === 'New') {
      await this.pause(MINUTE);
      if (this.cancelled(job)) return this.stopOrCancel(job);
      this.setStatus(job, 'Preparing');
    }
    if (job.status === 'Preparing') {
      const total = await this.countTasks(job);
      if (total === undefined) return;
      job.progress.total = total;
      if (this.cancelled(job)) return this.stopOrCancel(job);
      if (job.spec.confirmationRequired) return this.setStatus(job, 'Suspended');
      this.setStatus(job, 'Ready');
    }
    if (job.status === 'Ready' || job.status === 'Active') {
      await this.pause(MINUTE);
      if (this.cancelled(job)) return this.stopOrCancel(job);
      job.progress = { ...job.progress, succeeded: 0, failed: 0 };
      this.setStatus(job, 'Active');
      await this.runTasks(job);
    }
  }

  private stopOrCancel(job: Job): void {
    if (job.status === 'Cancelling') this.finish(job, 'Cancelled');
  }

  /** Reads the manifest once to count its tasks; a manifest S3 cannot read, or of another ETag, fails the job. */
  private async countTasks(job: Job): Promise<number | undefined> {
    let total = 0;
    const outcome = await this.readManifest(job, () => {
      total++;
    });
    if (outcome !== 'read') {
      job.failureReasons.push(outcome);
      this.finish(job, 'Failed');
      return undefined;
    }
    return total;
  }

  private async readManifest(job: Job, onTask: (task: Task) => unknown): Promise<'read' | { code: string; reason: string }> {
    const { bucket, key, etag, versionId, fields } = job.spec.manifest;
    let body: Readable;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
      if (object.ETag?.replace(/"/g, '') !== etag.replace(/"/g, '')) return { code: 'ManifestETagMismatch', reason: `The manifest's ETag is ${object.ETag ?? '(none)'}, not ${etag}` };
      body = object.Body as Readable;
    } catch (err) {
      return { code: 'ManifestNotReadable', reason: `Reading the manifest s3://${bucket}/${key} failed: ${(err as Error).name}: ${(err as Error).message}` };
    }
    let line = 0;
    for await (const text of createInterface({ input: body, crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      const task = parseManifestLine(text, fields);
      if (!task) return { code: 'ManifestFormatError', reason: `Line ${line} of the manifest does not have the fields ${fields.join(',')}` };
      await onTask(task);
    }
    return 'read';
  }

  private async runTasks(job: Job): Promise<void> {
    const report = new ReportFiles(join(this.workDir, job.id));
    const limit = pLimit(this.options.concurrency ?? 16);
    const pending = new Set<Promise<void>>();
    const threshold = { exceeded: false };
    const outcome = await this.readManifest(job, async (task) => {
      if (this.cancelled(job) || threshold.exceeded) return;
      const run = limit(async () => {
        const result = await this.restore(job, task);
        report.add(task, result);
        if (result.status === 'succeeded') job.progress.succeeded++;
        else job.progress.failed++;
        const attempted = job.progress.succeeded + job.progress.failed;
        if (attempted >= FAILURE_THRESHOLD.minimumTasks && job.progress.failed / attempted > FAILURE_THRESHOLD.share) threshold.exceeded = true;
      });
      pending.add(run);
      void run.finally(() => pending.delete(run));
      // Backpressure: the manifest is read no faster than the tasks run.
      if (pending.size >= 256) await Promise.race(pending);
    });
    await Promise.all(pending);
    if (this.stopped && job.status === 'Active') return report.discard();
    if (outcome !== 'read') job.failureReasons.push(outcome);
    const end: JobStatus = job.status === 'Cancelling' ? 'Cancelled' : threshold.exceeded || outcome !== 'read' ? 'Failed' : 'Complete';
    if (threshold.exceeded) job.failureReasons.push({ code: 'TaskFailureThresholdExceeded', reason: `More than half of the ${job.progress.succeeded + job.progress.failed} tasks attempted failed` });
    if (end !== 'Cancelled') this.setStatus(job, end === 'Failed' ? 'Failing' : 'Completing');
    await this.writeReport(job, report);
    this.finish(job, end);
  }

  private async restore(job: Job, task: Task): Promise<TaskResult> {
    try {
      const output = await this.s3.send(
        new RestoreObjectCommand({
          Bucket: task.bucket,
          Key: task.key,
          VersionId: task.versionId,
          RestoreRequest: {
            ...(job.spec.expirationInDays ? { Days: job.spec.expirationInDays } : {}),
            GlacierJobParameters: { Tier: job.spec.tier === 'BULK' ? 'Bulk' : 'Standard' },
          },
        }),
      );
      return { status: 'succeeded', httpStatus: output.$metadata.httpStatusCode ?? 200, errorCode: '', message: 'Successful' };
    } catch (err) {
      const status = err instanceof S3ServiceException ? (err.$metadata.httpStatusCode ?? 500) : 500;
      return { status: 'failed', httpStatus: status, errorCode: (err as Error).name, message: (err as Error).message };
    }
  }

  /** The completion report: a CSV per task status and the manifest.json naming them (when at least one task ran). */
  private async writeReport(job: Job, report: ReportFiles): Promise<void> {
    const spec = job.spec.report;
    await report.close();
    if (!spec.enabled || job.progress.succeeded + job.progress.failed === 0) return report.discard();
    const base = `${spec.prefix ? `${spec.prefix.replace(/\/$/, '')}/` : ''}job-${job.id}`;
    const results: { TaskExecutionStatus: string; Bucket: string; MD5Checksum: string; Key: string }[] = [];
    for (const status of ['succeeded', 'failed'] as const) {
      if (status === 'succeeded' && spec.scope === 'FailedTasksOnly') continue;
      const file = report.file(status);
      if (!file.rows) continue;
      const key = `${base}/results/${createHash('sha1').update(`${job.id}/${status}`).digest('hex')}.csv`;
      await this.s3.send(new PutObjectCommand({ Bucket: spec.bucket, Key: key, Body: createReadStream(file.path), ContentLength: statSync(file.path).size, ContentType: 'text/csv' }));
      results.push({ TaskExecutionStatus: status, Bucket: spec.bucket, MD5Checksum: file.md5(), Key: key });
    }
    const manifest = { Format: 'Report_CSV_20180820', ReportCreationDate: new Date().toISOString(), Results: results, ReportSchema: REPORT_SCHEMA };
    await this.s3.send(new PutObjectCommand({ Bucket: spec.bucket, Key: `${base}/manifest.json`, Body: JSON.stringify(manifest), ContentType: 'application/json' }));
    report.discard();
  }

  private finish(job: Job, status: JobStatus): void {
    this.setStatus(job, status);
  }
}

interface Task {
  bucket: string;
  key: string;
  versionId?: string;
  /** The key as the manifest spells it (URL-encoded), echoed in the report. */
  rawKey: string;
}

interface TaskResult {
  status: 'succeeded' | 'failed';
  httpStatus: number;
  errorCode: string;
  message: string;
}

/** One manifest line: the columns named by Fields; keys are URL-encoded (a key that does not decode is taken as written). */
export function parseManifestLine(line: string, fields: string[]): Task | undefined {
  const columns = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  if (columns.length < fields.length) return undefined;
  const at = (name: string) => columns[fields.indexOf(name)];
  const bucket = at('Bucket');
  const rawKey = at('Key');
  if (!bucket || !rawKey) return undefined;
  let key = rawKey;
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, '%20'));
  } catch {
    // a literal % in a key that was not encoded
  }
  const versionId = fields.includes('VersionId') ? at('VersionId') : undefined;
  return { bucket, key, rawKey, ...(versionId ? { versionId } : {}) };
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows of a job's report, streamed to files so a million tasks take no memory. */
class ReportFiles {
  private readonly files: Record<'succeeded' | 'failed', { path: string; stream: WriteStream; rows: number; hash: ReturnType<typeof createHash> }>;

  constructor(base: string) {
    const open = (status: string) => ({ path: `${base}-${status}.csv`, stream: createWriteStream(`${base}-${status}.csv`), rows: 0, hash: createHash('md5') });
    this.files = { succeeded: open('succeeded'), failed: open('failed') };
  }

  add(task: Task, result: TaskResult): void {
    const file = this.files[result.status];
    const row = `${[task.bucket, task.rawKey, task.versionId ?? '', result.status, result.errorCode, String(result.httpStatus), result.message].map(csvCell).join(',')}\n`;
    file.rows++;
    file.hash.update(row);
    file.stream.write(row);
  }

  file(status: 'succeeded' | 'failed') {
    const file = this.files[status];
    return { path: file.path, rows: file.rows, md5: () => file.hash.digest('hex') };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.files).map((f) => new Promise((resolve) => f.stream.end(resolve))));
  }

  discard(): void {
    for (const f of Object.values(this.files)) {
      f.stream.end();
      rmSync(f.path, { force: true });
    }
  }
}
