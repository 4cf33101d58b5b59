/**
 * Which bulk restore an object belongs to, for `status` and `history`: the reads behind the
 * pure rule (functions/domain/rules/batch-membership.ts). The batch is found from the object's
 * record or the bucket's running batches (one read of their index, no scan), and the object's
 * own state from S3 (the listing's RestoreStatus, or one HeadObject).
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { inspectArchiveState } from '../../functions/domain/rules/archive.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { inBatch, membershipOf, type BatchMembership, type ObjectNow } from '../../functions/domain/rules/batch-membership.js';
import { BatchBook, batchIdOfRecord, type BatchRecord } from '../../functions/domain/stores/batches.js';
import type { ObjectRecord } from '../../functions/domain/stores/records.js';
import type { Context } from '../context.js';
import { UsageError } from '../s3-url.js';

/** The batches table, or undefined when no stack is deployed or named (`status` then reads S3 alone). */
export async function batchBookOf(ctx: Context): Promise<BatchBook | undefined> {
  try {
    return new BatchBook(ctx.ddb, (await ctx.stack()).objectsTable);
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

/** The batches the records name, by id (one read each; a listing names few). */
export async function batchesNamedBy(book: BatchBook, records: readonly ObjectRecord[]): Promise<Map<string, BatchRecord>> {
  const ids = [...new Set(records.map(batchIdOfRecord).filter((id): id is string => id !== undefined))];
  const found = await Promise.all(ids.map((id) => book.get(id)));
  return new Map(found.filter((b): b is BatchRecord => b !== undefined).map((b) => [b.batchId, b]));
}

/**
 * The batch of each listed object that has one. Records are read (one BatchGetItem per 100
 * keys) only where a batch may be involved: restored objects (their record may name a batch)
 * and archived objects under the prefix of a batch the bucket runs now.
 */
export async function membershipsOf(ctx: Context, bucket: string, objects: readonly ObjectNow[]): Promise<Map<string, BatchMembership>> {
  const memberships = new Map<string, BatchMembership>();
  // Only archived objects can be a batch's: nothing else to read for a listing without any.
  if (objects.every((o) => o.state === 'NOT_ARCHIVED')) return memberships;
  const book = await batchBookOf(ctx);
  if (!book) return memberships;
  const running = await book.runningIn(bucket);
  const candidates = objects.filter((o) => o.state === 'RESTORED' || (o.state !== 'NOT_ARCHIVED' && running.some((b) => inBatch(b, { bucket, key: o.key }))));
  if (candidates.length === 0) return memberships;
  const { records } = await ctx.repositories();
  const byKey = new Map((await records.getMany(candidates.map((o) => objectIdOf({ bucket, key: o.key })))).filter((r) => !r.versionId).map((r) => [r.key, r]));
  const known = { bucket, running, named: await batchesNamedBy(book, [...byKey.values()]) };
  for (const o of candidates) {
    const membership = membershipOf(o, recordFacts(byKey.get(o.key)), known);
    if (membership) memberships.set(o.key, membership);
  }
  return memberships;
}

/** The batch of one object (`history`): its record, else the bucket's running batches and one HeadObject. */
export async function membershipOfObject(ctx: Context, ref: ObjectRef): Promise<BatchMembership | undefined> {
  const book = await batchBookOf(ctx);
  if (!book) return undefined;
  const { records } = await ctx.repositories();
  const record = await records.get(objectIdOf(ref));
  const named = record ? await batchesNamedBy(book, [record]) : new Map<string, BatchRecord>();
  const running = record && batchIdOfRecord(record) ? [] : (await book.runningIn(ref.bucket)).filter((b) => inBatch(b, ref));
  if (named.size === 0 && running.length === 0) return undefined;
  let now: ObjectNow = { key: ref.key, state: 'RESTORED' };
  if (running.length > 0) {
    try {
      const inspected = inspectArchiveState(await ctx.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) })));
      now = { key: ref.key, state: inspected.state, ...(inspected.expiryDate ? { restoredUntil: inspected.expiryDate } : {}) };
    } catch (err) {
      if ((err as Error).name === 'NotFound') return undefined; // deleted: not restored by anyone
      throw err;
    }
  }
  return membershipOf(now, recordFacts(record), { bucket: ref.bucket, running, named });
}

function recordFacts(record: ObjectRecord | undefined) {
  if (!record) return undefined;
  const batchId = batchIdOfRecord(record);
  return { status: record.status, ...(record.expiryDate ? { expiryDate: record.expiryDate } : {}), ...(batchId ? { batchId } : {}) };
}
