/**
 * `autorestore status s3://bucket/prefix`: archive state per object, from listings (no
 * HeadObject per object), and the bulk restore each object is part of, if any.
 */
import type { Context } from '../context.js';
import { listObjects } from '../listing.js';
import { EXIT, printJson, printLine } from '../output.js';
import { stateOf, type ObjectState } from '../plan.js';
import { parseS3Url } from '../s3-url.js';
import { expiredCopies } from '../expired-copies.js';
import { describeMembership } from '../../functions/domain/rules/batch-membership.js';
import { membershipsOf } from './batch-membership.js';

/** "restored until <time>" for a restored copy, "expired <time>" for an archived object whose last restored copy is gone. */
function lifeOf(row: { restoredUntil?: string; expiredAt?: string }): string {
  if (row.restoredUntil) return `restored until ${row.restoredUntil}  `;
  if (row.expiredAt) return `expired ${row.expiredAt}  `;
  return '';
}

export async function statusCommand(ctx: Context, target: string, options: { checkTiers: boolean }): Promise<number> {
  const url = parseS3Url(target);
  const objects = await listObjects(ctx.s3, url, { resolveTiers: options.checkTiers });
  const rows = objects.map((o) => ({
    key: o.key,
    storageClass: o.storageClass,
    ...(o.archiveStatus ? { archiveStatus: o.archiveStatus } : {}),
    state: stateOf(o),
    ...(o.restoreExpiry ? { restoredUntil: o.restoreExpiry } : {}),
  }));
  const expired = await expiredCopies(
    ctx,
    url.bucket,
    rows.filter((r) => r.state === 'ARCHIVED').map((r) => r.key),
  );
  for (const row of rows) if (expired.has(row.key)) Object.assign(row, { expiredAt: expired.get(row.key) });
  const batches = await membershipsOf(
    ctx,
    url.bucket,
    rows.map((r) => ({ key: r.key, state: r.state, ...(r.restoredUntil ? { restoredUntil: r.restoredUntil } : {}) })),
  );
  for (const row of rows) if (batches.has(row.key)) Object.assign(row, { batch: batches.get(row.key) });
  const counts: Record<ObjectState, number> = { NOT_ARCHIVED: 0, ARCHIVED: 0, RESTORE_IN_PROGRESS: 0, RESTORED: 0, UNKNOWN_TIER: 0 };
  for (const row of rows) counts[row.state]++;
  if (ctx.options.json) {
    printJson({ target, objects: rows, summary: { total: rows.length, ...counts } });
    return EXIT.OK;
  }
  for (const row of rows) {
    const batch = batches.get(row.key);
    printLine(`${row.state.padEnd(20)} ${row.storageClass.padEnd(20)} ${lifeOf(row)}${row.key}${batch ? `  (${describeMembership(batch)})` : ''}`);
  }
  printLine();
  printLine(
    `${rows.length} objects: ${
      Object.entries(counts)
        .filter(([, n]) => n)
        .map(([s, n]) => `${n} ${s.toLowerCase().replace(/_/g, ' ')}`)
        .join(', ') || 'none'
    }`,
  );
  if (counts.UNKNOWN_TIER) printLine('(Intelligent-Tiering objects: a listing does not show the tier; --check-tiers looks each one up)');
  return EXIT.OK;
}
