/**
 * Which bulk restore (S3 Batch Operations batch) an object belongs to, and how far its own
 * restore has come: pure, shared by the CLI's `status` and `history` and the console. An object
 * gets a record naming its batch only once S3 said its restore completed; before that, a batch
 * the bucket runs now whose prefix holds the key is the object's, if the object is archived (a
 * batch restores archived objects only) and has no restore of its own under way.
 */
import type { ObjectRef } from './object-id-format.js';

/** The objects-table item of a batch, and that of its bucket's running batches (a string set `batches`). */
export const batchItemId = (batchId: string) => `#batch#${batchId}`;
export const runningBatchesItemId = (bucket: string) => `#batches#${bucket}`;

/** What a batch must tell about itself here (functions/domain/stores/batches.ts BatchRecord). */
export interface BatchFacts {
  batchId: string;
  status: string;
  bucket: string;
  prefix: string;
  createdAt: string;
}

/**
 * Whether a read of the object may join a running batch: it has no restore of its own under way
 * (no record, or its last cycle ended: the copy expired, or the cycle was closed).
 */
export function mayJoinBatch(record: { status: string } | undefined): boolean {
  return !record || record.status === 'EXPIRED' || record.status === 'CLOSED';
}

/** Whether an object belongs to a batch: under its prefix, in its bucket. */
export function inBatch(batch: Pick<BatchFacts, 'bucket' | 'prefix'>, ref: Pick<ObjectRef, 'bucket' | 'key'>): boolean {
  return ref.bucket === batch.bucket && ref.key.startsWith(batch.prefix);
}

export interface BatchMembership {
  batchId: string;
  batchStatus: string;
  /** The object's own restore: under way, done (until when), or not yet known (S3 has not started it, or has not said). */
  objectState: 'restoring' | 'restored' | 'not yet known';
  restoredUntil?: string;
}

/** What S3 says about the object now (a listing's RestoreStatus, or a HeadObject). */
export interface ObjectNow {
  key: string;
  state: 'NOT_ARCHIVED' | 'ARCHIVED' | 'RESTORE_IN_PROGRESS' | 'RESTORED' | 'UNKNOWN_TIER';
  restoredUntil?: string;
}

/** What the object's record says, when it has one. */
export interface RecordFacts {
  status: string;
  expiryDate?: string;
  batchId?: string;
}

/** The batches an object may belong to: those its bucket runs now, and those its record names. */
export interface KnownBatches {
  bucket: string;
  running: readonly BatchFacts[];
  named: ReadonlyMap<string, BatchFacts>;
}

export function membershipOf(object: ObjectNow, record: RecordFacts | undefined, known: KnownBatches): BatchMembership | undefined {
  if (record?.batchId) {
    const batch = known.named.get(record.batchId);
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
