/**
 * Which archived objects had a restored copy that has since expired, from their records (one
 * BatchGetItem per 100 objects, never a HeadObject). The listing alone cannot tell "never
 * restored" from "restored, then expired"; the record's EXPIRED cycle can.
 */
import { objectIdOf } from '../functions/domain/rules/object-id.js';
import type { Context } from './context.js';
import { UsageError } from './s3-url.js';

/** Key -> the expiry time of its last restored copy, for the keys whose last cycle ended EXPIRED. */
export async function expiredCopies(ctx: Context, bucket: string, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  let repos;
  try {
    repos = await ctx.repositories();
  } catch (err) {
    // `status` reads S3 alone when no stack is deployed (or named): it then shows no expiries.
    if (err instanceof UsageError) return new Map();
    throw err;
  }
  const records = await repos.records.getMany(keys.map((key) => objectIdOf({ bucket, key })));
  const expired = new Map<string, string>();
  for (const r of records) if (r.status === 'EXPIRED' && r.bucket === bucket && !r.versionId) expired.set(r.key, r.expiryDate ?? 'unknown');
  return expired;
}
