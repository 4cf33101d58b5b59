/**
 * Lists what `extend` and `keep` act on: the objects under a key or prefix whose Glacier or Deep
 * Archive restore is done. One object named outright that does not qualify is refused with its
 * reason; under a prefix the others are skipped and reported, and a prefix with none is refused.
 */
import { splitByRestoredCopy } from '../functions/domain/rules/expiry.js';
import type { Context } from './context.js';
import { listObjects } from './listing.js';
import type { ListedObject } from './plan.js';
import { parseS3Url, UsageError, type S3Url } from './s3-url.js';

export interface RestoredCopies {
  url: S3Url;
  eligible: ListedObject[];
  skipped: { key: string; reason: string }[];
}

export async function restoredCopies(ctx: Context, target: string, verb: string): Promise<RestoredCopies> {
  const url = parseS3Url(target);
  const objects = await listObjects(ctx.s3, url, { resolveTiers: false });
  if (objects.length === 0) throw new UsageError(`nothing at ${target}`);
  const { eligible, refused } = splitByRestoredCopy(objects);
  const single = url.key && !url.key.endsWith('/') && objects.length === 1 && objects[0]!.key === url.key;
  if (single && refused.length) throw new UsageError(`cannot ${verb} ${url.key}: ${refused[0]!.reason}`);
  if (eligible.length === 0) throw new UsageError(`nothing to ${verb} at ${target}: ${summarize(refused)}`);
  return { url, eligible, skipped: refused };
}

/** "3 not restored, 1 the restore is still in progress": the reasons, counted. */
function summarize(refused: { reason: string }[]): string {
  const counts = new Map<string, number>();
  for (const r of refused) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}
