/**
 * `autorestore extend s3://bucket/key-or-prefix --days N`: RestoreObject again on restored
 * Glacier and Deep Archive copies. S3 answers 200 and moves the expiry; only the request is
 * billed, nothing is retrieved again. The object's record takes the new expiry and its audit
 * history a RESTORE_EXTENDED entry.
 */
import { HeadObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { parseRestoreHeader } from '../../functions/domain/rules/archive.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { describeReader } from '../../functions/domain/rules/reader.js';
import { noticeFileOf } from '../../functions/domain/stores/notices.js';
import type { ObjectRecord } from '../../functions/domain/stores/records.js';
import type { Context } from '../context.js';
import { EXIT, printJson, printLine } from '../output.js';
import { refuseBadRestoreOptions } from '../parsers.js';
import { restoredCopies } from '../restored-copies.js';

export interface ExtendCommandOptions {
  days: number;
  dryRun: boolean;
  /** Email the copy's readers the new expiry (once per restore cycle); otherwise they are not emailed again. */
  notify?: boolean;
}

type Outcome =
  | { key: string; outcome: 'extended'; previousExpiry?: string; expiryDate?: string; readersNotified?: number }
  /** The copy expired between the listing and the request: S3 started a new restore (202), billed as one. */
  | { key: string; outcome: 'restore-started-again' }
  | { key: string; outcome: 'refused'; reason: string };

const DAY_MS = 86_400_000;

export async function extendCommand(ctx: Context, target: string, options: ExtendCommandOptions, signal: AbortSignal): Promise<number> {
  refuseBadRestoreOptions({ days: options.days });
  const { url, eligible, skipped } = await restoredCopies(ctx, target, 'extend');
  const about = new Date(Date.now() + options.days * DAY_MS).toISOString();

  if (options.dryRun) {
    const plan = eligible.map((o) => ({ key: o.key, expiry: o.restoreExpiry, newExpiryAbout: about }));
    if (ctx.options.json) printJson({ target, dryRun: true, extend: plan, skipped });
    else {
      printLine(`${plan.length} to extend by ${options.days} days from now, ${skipped.length} skipped (dry run: nothing changed)`);
      for (const p of plan) printLine(`  extend  ${p.key}  until ${p.expiry ?? '?'} -> about ${about} (S3 rounds up to the next midnight UTC)`);
      for (const s of skipped) printLine(`  skip    ${s.key}  (${s.reason})`);
    }
    return EXIT.OK;
  }

  const repos = await ctx.repositories();
  const by = await ctx.callerAccessKey();
  const limit = pLimit(16);
  const outcomes = await Promise.all(
    eligible.map((o) =>
      limit(async (): Promise<Outcome | undefined> => {
        if (signal.aborted) return undefined;
        try {
          const out = await ctx.s3.send(new RestoreObjectCommand({ Bucket: url.bucket, Key: o.key, RestoreRequest: { Days: options.days } }));
          if (out.$metadata.httpStatusCode === 202) return { key: o.key, outcome: 'restore-started-again' };
        } catch (err) {
          const name = (err as Error).name;
          if (name === 'RestoreAlreadyInProgress') return { key: o.key, outcome: 'refused', reason: 'the restore is in progress' };
          return { key: o.key, outcome: 'refused', reason: `${name}: ${(err as Error).message}` };
        }
        const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: url.bucket, Key: o.key }));
        const expiryDate = parseRestoreHeader(head.Restore)?.expiryDate;
        const objectId = objectIdOf({ bucket: url.bucket, key: o.key });
        const record = await repos.records.get(objectId);
        // Only the cycle that restored this copy takes the new expiry; a record of an older cycle stays as it is.
        const extended = record && expiryDate ? await repos.records.extendExpiry(objectId, record.cycle, expiryDate) : undefined;
        const readersNotified = options.notify && extended ? await notifyReaders(repos, extended) : undefined;
        await repos.audit.record({
          objectId,
          time: new Date(),
          type: 'RESTORE_EXTENDED',
          ...(record ? { cycle: record.cycle } : {}),
          detail: { days: options.days, previousExpiry: o.restoreExpiry, expiryDate, by },
        });
        return { key: o.key, outcome: 'extended', previousExpiry: o.restoreExpiry, expiryDate, ...(readersNotified !== undefined ? { readersNotified } : {}) };
      }),
    ),
  );
  const done = outcomes.filter((o): o is Outcome => o !== undefined);
  const extended = done.filter((o) => o.outcome === 'extended');
  const refused = done.filter((o) => o.outcome === 'refused');
  const restarted = done.filter((o) => o.outcome === 'restore-started-again');
  if (ctx.options.json) printJson({ target, days: options.days, results: done, skipped, interrupted: signal.aborted });
  else {
    for (const o of extended)
      printLine(`extended  ${o.key}  until ${o.expiryDate ?? '?'} (was ${o.previousExpiry ?? '?'})${o.readersNotified !== undefined ? `, ${o.readersNotified} reader(s) to be emailed` : ''}`);
    for (const o of restarted) printLine(`restarted ${o.key}  (its copy expired meanwhile: S3 started a new restore)`);
    for (const o of refused) printLine(`refused   ${o.key}  (${o.reason})`);
    for (const s of skipped) printLine(`skipped   ${s.key}  (${s.reason})`);
    printLine(`${extended.length} extended, ${restarted.length} restarted, ${refused.length} refused, ${skipped.length} skipped`);
  }
  if (signal.aborted) return EXIT.INTERRUPTED;
  return refused.length ? EXIT.FAILED : EXIT.OK;
}

/**
 * Queues an "extended" notice for each reader of the copy (the aggregator emails them in its
 * batches). Once per restore cycle: a second --notify in the same cycle queues nothing new.
 */
async function notifyReaders(repos: Awaited<ReturnType<Context['repositories']>>, record: ObjectRecord): Promise<number> {
  const now = new Date();
  const flagged = await repos.records.update(record.objectId, record.cycle, { extendedNotified: true });
  if (!flagged) return 0;
  const readers = Object.values(flagged.subscribers);
  const queued = await repos.notices.enqueueAll(readers, 'extended', noticeFileOf(flagged), now);
  await repos.audit.record({
    objectId: record.objectId,
    time: now,
    type: 'NOTICES_QUEUED',
    cycle: record.cycle,
    dedupeKey: `notices#${record.cycle}#extended`,
    detail: { kind: 'extended', expiryDate: flagged.expiryDate, readers: readers.map(describeReader) },
  });
  return queued;
}
