/**
 * Which bulk restore an object belongs to, for `status` and `history`. An object gets a record
 * naming its batch only once S3 said its restore completed; before that, the batch is found
 * from the bucket's running batches (one read of their index, no scan) by its prefix, and the
 * object's own state comes from S3 (the listing's RestoreStatus, or a HeadObject).
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { inspectArchiveState } from '../../functions/domain/rules/archive.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { BatchBook, batchIdOfRecord, inBatch, type BatchRecord, type BatchStatus } from '../../functions/domain/stores/batches.js';
import type { ObjectRecord } from '../../functions/domain/stores/records.js';
import type { Context } from '../context.js';
import type { ObjectState } from '../plan.js';
import { UsageError } from '../s3-url.js';

export interface BatchMembership {
  batchId: string;
  batchStatus: BatchStatus;
  /** The object's own restore: under way, done (until when), or not yet known (S3 has not started it, or has not said). */
  objectState: 'restoring' | 'restored' | 'not yet known';
  restoredUntil?: string;
}

/** What S3 says about the object now. */
export interface ObjectNow {
  key: string;
  state: ObjectState;
  restoredUntil?: string;
}

/** The batches an object may belong to: those its bucket runs now, and those the records name. */
export interface KnownBatches {
  bucket: string;
  running: readonly BatchRecord[];
  named: ReadonlyMap<string, BatchRecord>;
}

/**
 * The batch of one object: the one its record names, else the newest running batch whose
 * prefix holds it, when the object is archived (a batch restores archived objects only) and
 * no restore of its own is under way (no record, or one whose copy expired).
 */
export function membershipOf(object: ObjectNow, record: ObjectRecord | undefined, known: KnownBatches): BatchMembership | undefined {
  const batchId = record && batchIdOfRecord(record);
  if (record && batchId) {
    const batch = known.named.get(batchId);
    // The record says S3 completed the batch's restore; a copy that has expired since is no longer the batch's.
    if (!batch || record.status !== 'RESTORED') return undefined;
    const until = object.restoredUntil ?? record.expiryDate;
    return { batchId: batch.batchId, batchStatus: batch.status, objectState: 'restored', ...(until ? { restoredUntil: until } : {}) };
  }
  if ((record && record.status !== 'EXPIRED') || object.state === 'NOT_ARCHIVED') return undefined;
  const batch = known.running.filter((b) => inBatch(b, { bucket: known.bucket, key: object.key })).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!batch) return undefined;
  const objectState = object.state === 'RESTORE_IN_PROGRESS' ? 'restoring' : object.state === 'RESTORED' ? 'restored' : 'not yet known';
  return { batchId: batch.batchId, batchStatus: batch.status, objectState, ...(objectState === 'restored' && object.restoredUntil ? { restoredUntil: object.restoredUntil } : {}) };
}

/** "part of batch X (RUNNING): restoring" */
export function describeMembership(m: BatchMembership): string {
  const state = m.objectState === 'restored' && m.restoredUntil ? `restored until ${m.restoredUntil}` : m.objectState;
  return `part of batch ${m.batchId} (${m.batchStatus}): ${state}`;
}

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
  const book = await batchBookOf(ctx);
  if (!book) return memberships;
  const running = await book.runningIn(bucket);
  const candidates = objects.filter((o) => o.state === 'RESTORED' || (o.state !== 'NOT_ARCHIVED' && running.some((b) => inBatch(b, { bucket, key: o.key }))));
  if (candidates.length === 0) return memberships;
  const { records } = await ctx.repositories();
  const byKey = new Map((await records.getMany(candidates.map((o) => objectIdOf({ bucket, key: o.key })))).filter((r) => !r.versionId).map((r) => [r.key, r]));
  const known = { bucket, running, named: await batchesNamedBy(book, [...byKey.values()]) };
  for (const o of candidates) {
    const membership = membershipOf(o, byKey.get(o.key), known);
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
  return membershipOf(now, record, { bucket: ref.bucket, running, named });
}
