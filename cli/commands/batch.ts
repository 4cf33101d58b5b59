/**
 * The bulk path's commands: `restore --mode batch` (or above the threshold) submits a batch;
 * `batch list`, `batch show <id>` and `batch cancel <id>` follow and stop them.
 */
import type { RestoreTier } from '../../functions/domain/rules/archive.js';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { BatchBook, ENDED_BATCH_STATUSES, type BatchJob, type BatchRecord, type BatchTier } from '../../functions/domain/stores/batches.js';
import { S3ControlClient, TERMINAL_JOB_STATUSES, type JobStatus } from '../../functions/restore-batch/s3control.js';
import type { StackOutputName } from '../../infra/outputs.js';
import type { Context } from '../context.js';
import { EXIT, logLine, printJson, printLine } from '../output.js';
import { deployedPolicy } from '../policy.js';
import { loadPriceTable } from '../../infra/price-table.js';
import type { S3Url } from '../s3-url.js';
import { UsageError } from '../s3-url.js';
import { submitBatch } from './batch-submit.js';

/** Above this many objects to restore, `restore` takes the bulk path unless told otherwise. */
export const DEFAULT_BATCH_THRESHOLD = 10_000;
/** The deployment's default restore days (infra/config.ts), for batches that name none. */
const DEFAULT_DAYS = 7;

/** Batch Operations restores with STANDARD or BULK only: an Expedited request is refused, never quietly changed. */
export function batchTierOf(tier: RestoreTier | undefined): BatchTier {
  if (tier === 'Expedited')
    throw new UsageError('S3 Batch Operations has no Expedited retrieval (only Standard and Bulk): use --tier Standard or --tier Bulk, or --mode object for Expedited restores one by one');
  return tier === 'Bulk' ? 'BULK' : 'STANDARD';
}

async function batchResources(ctx: Context) {
  const outputs: Partial<Record<StackOutputName, string>> = await ctx.outputs().catch(() => ({}));
  const stateMachineArn = outputs.BatchStateMachineArn;
  const manifestBucket = outputs.ManifestBucketName;
  if (!stateMachineArn || !manifestBucket)
    throw new UsageError(`stack ${ctx.options.stackName} has no bulk restore path (outputs BatchStateMachineArn, ManifestBucketName): deploy the current version`);
  const repos = await ctx.repositories();
  const objectsTable = (await ctx.stack()).objectsTable;
  return { stateMachineArn, manifestBucket, batches: new BatchBook(ctx.ddb, objectsTable), notices: repos.notices, account: stateMachineArn.split(':')[4]! };
}

export async function batchRestoreCommand(ctx: Context, url: S3Url, options: { tier?: RestoreTier; days?: number; notify?: string }, signal: AbortSignal): Promise<number> {
  const tier = batchTierOf(options.tier);
  const resources = await batchResources(ctx);
  const accessKeyId = await ctx.callerAccessKey();
  const policy = await deployedPolicy(ctx);
  const recipients = [ordererReader(accessKeyId), ...(options.notify ? [ordererReader(accessKeyId, options.notify)] : [])];
  const submission = await submitBatch(
    {
      s3: ctx.s3,
      sfn: ctx.sfn,
      batches: resources.batches,
      manifestBucket: resources.manifestBucket,
      batchStateMachineArn: resources.stateMachineArn,
      ...(policy ? { policy } : {}),
      prices: loadPriceTable(),
      now: () => new Date(),
    },
    { bucket: url.bucket, prefix: url.key, tier, days: options.days ?? DEFAULT_DAYS, recipients },
    (listed) => {
      if (!ctx.options.json && listed % 100_000 === 0) logLine(`listed ${listed} objects`);
    },
  );
  if (ctx.options.json) printJson(submission);
  else if (submission.outcome === 'joined') printLine(`the same restore is already running as batch ${submission.batchId}: joined it (autorestore batch show ${submission.batchId})`);
  else if (submission.outcome === 'nothing-to-restore')
    printLine(`nothing to restore (${submission.skipped} objects skipped: not archived, or already restored or restoring${refusedNote(submission.refused)})`);
  else {
    printLine(`batch ${submission.batchId}: ${submission.objectCount} objects to restore with S3 Batch Operations (${tier}), ${submission.skipped} skipped${refusedNote(submission.refused)}`);
    for (const job of submission.jobs) printLine(`  ${job.kind.padEnd(20)} ${job.count} objects${job.deep ? ' (some in Deep Archive)' : ''}`);
    printLine(`one email when it starts and one when everything is ready; follow it with: autorestore batch show ${submission.batchId}`);
  }
  return signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
}

function refusedNote(refused: number): string {
  return refused ? `; ${refused} archived objects not restored: the restore policy says never (autorestore restore --dry-run names the rule)` : '';
}

/** Restored objects, never more than the restores S3 accepted (the emails count the same way). */
function restoredOf(batch: BatchRecord): number {
  return Math.min(batch.restoredCount ?? 0, batch.expectedCount ?? batch.objectCount);
}

function progressOf(batch: BatchRecord): string {
  return `${restoredOf(batch)}/${batch.expectedCount ?? batch.objectCount} restored`;
}

export async function batchListCommand(ctx: Context): Promise<number> {
  const { batches } = await batchResources(ctx);
  const all = await batches.list();
  if (ctx.options.json) printJson(all.map(summary));
  else {
    for (const b of all) printLine(`${b.batchId.padEnd(40)} ${b.status.padEnd(11)} ${progressOf(b).padEnd(24)} s3://${b.bucket}/${b.prefix}`);
    if (all.length === 0) printLine('no batches');
  }
  return EXIT.OK;
}

function summary(b: BatchRecord) {
  return {
    batchId: b.batchId,
    status: b.status,
    bucket: b.bucket,
    prefix: b.prefix,
    tier: b.tier,
    objects: b.objectCount,
    expected: b.expectedCount ?? null,
    restored: restoredOf(b),
    deleted: b.deletedCount ?? 0,
    createdAt: b.createdAt,
    expectedReadyAt: b.expectedReadyAt,
    deadline: b.deadline,
  };
}

/**
 * One job's progress. S3 counts as failed every task that did not succeed, restores already
 * under way among them (not a failure: the batch waits for them); once the job's report is read
 * those, the deleted and the retried are shown apart.
 */
export function jobLine(job: BatchJob): string {
  const head = `job ${job.jobId ?? '(not created yet)'} ${job.kind}${job.attempt ? ` retry ${job.attempt}` : ''}: ${job.status ?? 'New'}, ${job.succeeded ?? 0} accepted`;
  const failed = job.failed ?? 0;
  if (!job.reported) return `${head}, ${failed} not accepted of ${job.count}${failed ? ' (its report, once read, tells the already restoring from the failed)' : ''}`;
  const apart = [
    [job.alreadyRestoring, 'already restoring'],
    [job.deleted, 'deleted since listed'],
    [job.retried, 'retried'],
  ] as const;
  const shown = apart.filter(([n]) => n).map(([n, what]) => `${n} ${what}`);
  const rest = failed - apart.reduce((sum, [n]) => sum + (n ?? 0), 0);
  return `${head}, ${[...shown, `${rest} failed`].join(', ')} of ${job.count}`;
}

export async function batchShowCommand(ctx: Context, batchId: string): Promise<number> {
  const { batches } = await batchResources(ctx);
  const batch = await batches.get(batchId);
  if (!batch) throw new UsageError(`no batch ${batchId} (autorestore batch list shows them)`);
  if (ctx.options.json) {
    printJson({ ...summary(batch), jobs: batch.jobs, failures: batch.failures ?? [], executionArn: batch.executionArn });
    return EXIT.OK;
  }
  printLine(`batch ${batch.batchId}: ${batch.status}, ${progressOf(batch)}, s3://${batch.bucket}/${batch.prefix} (${batch.tier})`);
  printLine(`  expected ready ${batch.expectedReadyAt}; partial report after ${batch.deadline}`);
  for (const job of batch.jobs) printLine(`  ${jobLine(job)}`);
  if (batch.deletedCount) printLine(`  ${batch.deletedCount} deleted since they were listed`);
  for (const f of batch.failures ?? []) printLine(`  ${f.count} failed: ${f.reason}${f.sample.length ? ` (e.g. ${f.sample.join(', ')})` : ''}`);
  if (batch.executionArn) printLine(`  workflow: ${batch.executionArn}`);
  return EXIT.OK;
}

export async function batchCancelCommand(ctx: Context, batchId: string): Promise<number> {
  const resources = await batchResources(ctx);
  const batch = await resources.batches.get(batchId);
  if (!batch) throw new UsageError(`no batch ${batchId} (autorestore batch list shows them)`);
  if (ENDED_BATCH_STATUSES.includes(batch.status)) throw new UsageError(`batch ${batchId} has already ended (${batch.status})`);
  const control = new S3ControlClient({
    accountId: resources.account,
    region: await ctx.region(),
    ...(ctx.clientConfig.endpoint ? { endpoint: ctx.clientConfig.endpoint } : {}),
    credentials: () => ctx.s3.config.credentials(),
  });
  // The workflow sees the jobs end, reads what ran, and reports the batch as cancelled.
  // Conditional: a batch that ended meanwhile keeps its outcome.
  if (!(await resources.batches.setStatus(batchId, 'CANCELLED', new Date(), ENDED_BATCH_STATUSES))) throw new UsageError(`batch ${batchId} has already ended`);
  const results: { jobId: string; status: string }[] = [];
  for (const job of batch.jobs) {
    if (!job.jobId || TERMINAL_JOB_STATUSES.includes(job.status as JobStatus)) continue;
    try {
      const out = await control.updateJobStatus(job.jobId, 'Cancelled', 'cancelled with autorestore batch cancel');
      results.push({ jobId: job.jobId, status: out.Status });
    } catch (err) {
      // A job that ended meanwhile cannot be cancelled: S3 says so, and that is fine.
      results.push({ jobId: job.jobId, status: `not cancelled: ${(err as Error).name}: ${(err as Error).message}` });
    }
  }
  if (ctx.options.json) printJson({ batchId, jobs: results });
  else {
    printLine(`batch ${batchId}: cancelling`);
    for (const r of results) printLine(`  job ${r.jobId}: ${r.status}`);
  }
  return EXIT.OK;
}
