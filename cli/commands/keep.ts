/**
 * `autorestore keep s3://bucket/key-or-prefix [--storage-class CLASS]`: copies each restored
 * Glacier or Deep Archive object onto itself into a class that is never archived, so it stays
 * readable after its restored copy would have expired. Up to 5 GiB one CopyObject, above it a
 * multipart upload of part copies. Metadata, content type, tags, checksum algorithm and
 * server-side encryption (the same KMS key) are carried over: S3 gives a copy the bucket's
 * default encryption unless the request names one, and a multipart upload copies no metadata
 * or tags by itself. In a versioned bucket the archived version stays, as a noncurrent version.
 */
import { createInterface } from 'node:readline/promises';
import pLimit from 'p-limit';
import { SINGLE_COPY_LIMIT_BYTES, type KeepStorageClass } from '../../functions/domain/rules/expiry.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { keepObject, type Kept } from '../../functions/domain/restores/expiry-keep.js';
import type { Context } from '../context.js';
import { keepNeedsConfirmation, planKeep } from '../keep-plan.js';
import { EXIT, formatBytes, logLine, printJson, printLine } from '../output.js';
import { restoredCopies } from '../restored-copies.js';
import { UsageError } from '../s3-url.js';

export interface KeepCommandOptions {
  storageClass: KeepStorageClass;
  dryRun: boolean;
  yes: boolean;
  /** Bytes above which the copy is multipart (S3: 5 GiB); lowered only to exercise multipart copies on small objects. */
  singleCopyLimit?: number;
  partSize?: number;
}

type Outcome = Kept | { key: string; outcome: 'failed'; error: string };

/** S3's part sizes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): 5 MiB to 5 GiB, the last part smaller. */
const MIN_PART_BYTES = 5 * 1024 ** 2;

/** Limits S3 would refuse only after the parts were copied (EntityTooSmall) or never (a CopyObject over 5 GiB fails each object): refused first. */
function refuseBadCopyLimits(options: KeepCommandOptions): void {
  if (options.partSize !== undefined && (options.partSize < MIN_PART_BYTES || options.partSize > SINGLE_COPY_LIMIT_BYTES))
    throw new UsageError(`--part-size: S3 takes parts of ${MIN_PART_BYTES} to ${SINGLE_COPY_LIMIT_BYTES} bytes`);
  if (options.singleCopyLimit !== undefined && options.singleCopyLimit > SINGLE_COPY_LIMIT_BYTES)
    throw new UsageError(`--single-copy-limit: S3 copies at most ${SINGLE_COPY_LIMIT_BYTES} bytes in one CopyObject`);
}

export async function keepCommand(ctx: Context, target: string, options: KeepCommandOptions, signal: AbortSignal): Promise<number> {
  refuseBadCopyLimits(options);
  const { url, eligible, skipped } = await restoredCopies(ctx, target, 'keep');
  const plan = planKeep(eligible, options.storageClass, { singleCopyLimit: options.singleCopyLimit ?? SINGLE_COPY_LIMIT_BYTES, ...(options.partSize ? { partSize: options.partSize } : {}) });
  const summary = {
    target,
    storageClass: options.storageClass,
    keep: plan.steps.map((s) => ({ key: s.key, size: s.size, from: s.fromStorageClass, method: s.copy.method, ...(s.copy.method === 'multipart' ? { parts: s.copy.ranges.length } : {}) })),
    skipped,
    estimate: plan.estimate,
  };
  if (!ctx.options.json) {
    printLine(`${plan.steps.length} to keep as ${options.storageClass} (${formatBytes(plan.bytes)}), ${skipped.length} skipped`);
    for (const s of skipped) printLine(`  skip  ${s.key}  (${s.reason})`);
    printLine(
      `  cost: $${plan.estimate.requestsUsd} once (${plan.estimate.requests} copy requests), storage ${plan.estimate.storageDeltaUsdPerMonth >= 0 ? '+' : ''}$${plan.estimate.storageDeltaUsdPerMonth} per month (prices of ${plan.estimate.asOf})`,
    );
  }
  if (options.dryRun) {
    if (ctx.options.json) printJson({ ...summary, dryRun: true });
    return EXIT.OK;
  }
  if (keepNeedsConfirmation(plan) && !options.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`keeping ${plan.steps.length} objects (${formatBytes(plan.bytes)}) needs confirmation: run again with --yes`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Copy ${plan.steps.length} objects (${formatBytes(plan.bytes)}) into ${options.storageClass}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      logLine('nothing copied');
      return EXIT.DECLINED;
    }
  }

  const repos = await ctx.repositories();
  const by = await ctx.callerAccessKey();
  const limit = pLimit(8);
  const outcomes = await Promise.all(
    plan.steps.map((step) =>
      limit(async (): Promise<Outcome | undefined> => {
        if (signal.aborted) return undefined;
        try {
          const kept = await keepObject(ctx.s3, url.bucket, step.key, options.storageClass, step.copy.method === 'multipart' ? step.copy.ranges : undefined);
          const objectId = objectIdOf({ bucket: url.bucket, key: step.key });
          const record = await repos.records.get(objectId);
          await repos.audit.record({
            objectId,
            time: new Date(),
            type: 'KEPT',
            ...(record ? { cycle: record.cycle } : {}),
            detail: {
              storageClass: options.storageClass,
              previousStorageClass: step.fromStorageClass,
              method: kept.method,
              ...(kept.parts ? { parts: kept.parts } : {}),
              by,
              ...(kept.versionId ? { versionId: kept.versionId } : {}),
            },
          });
          // A kept object no longer expires: its readers get no "expires soon" reminder.
          if (record) await repos.records.update(objectId, record.cycle, {}, { remove: ['expiringPartition'] });
          return kept;
        } catch (err) {
          return { key: step.key, outcome: 'failed', error: `${(err as Error).name}: ${(err as Error).message}` };
        }
      }),
    ),
  );
  const done = outcomes.filter((o): o is Outcome => o !== undefined);
  const failed = done.filter((o) => o.outcome === 'failed');
  const kept = done.filter((o): o is Kept => o.outcome === 'kept');
  if (ctx.options.json) printJson({ ...summary, results: done, interrupted: signal.aborted });
  else {
    for (const k of kept) printLine(`kept    ${k.key}  as ${k.storageClass}${k.method === 'multipart' ? ` (multipart copy, ${k.parts} parts)` : ''}`);
    for (const f of failed) printLine(`failed  ${f.key}: ${f.error}`);
    printLine(`${kept.length} kept, ${failed.length} failed`);
    if (kept.some((k) => k.versionId)) printLine('versioned bucket: each archived version stays as a noncurrent version (and is billed) until a lifecycle rule or a delete removes it');
  }
  if (signal.aborted) return EXIT.INTERRUPTED;
  return failed.length ? EXIT.FAILED : EXIT.OK;
}
