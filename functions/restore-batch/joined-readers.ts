/**
 * Readers whose read joined a running batch are told about the object they read, not the
 * whole folder: "ready" (naming the file) once S3 completed its restore, which its record says
 * (restore-completed writes it), looked up each time the workflow checks readiness. When the
 * batch ends, an object not yet told about is asked of S3 directly (its event may be lost):
 * restored -> "ready", else "failed" with the batch's reason. Queueing is idempotent per reader,
 * object, cycle and kind, so a reader who also joins through the object's record is told once.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseRestoreHeader } from '../domain/rules/archive.js';
import { batchFileFacts, batchIdOfRecord, joinedFileOf, type BatchBook, type BatchJoin, type BatchRecord } from '../domain/stores/batches.js';
import { noticeFileOf, type NoticeBook, type NoticeFile } from '../domain/stores/notices.js';

export interface JoinedReaderDeps {
  s3: S3Client;
  batches: BatchBook;
  notices: NoticeBook;
  now: () => Date;
}

/** The joiners told with the batch's recipients: those whose object could not be kept (past MAX_JOINED_OBJECTS). */
export function folderJoiners(batch: Pick<BatchRecord, 'joiners' | 'joins'>) {
  const withObject = new Set(Object.values(batch.joins ?? {}).map((j) => j.readerId));
  return Object.values(batch.joiners ?? {}).filter((r) => !withObject.has(r.id));
}

/**
 * Queues what each joined reader must hear now. `ending` gives the reason an object that S3 has
 * not restored did not get restored; without it such objects wait for the next look.
 */
export async function tellJoinedReaders(batch: BatchRecord, deps: JoinedReaderDeps, ending?: { reason: string }): Promise<{ ready: number; failed: number }> {
  const pending = Object.entries(batch.joins ?? {}).filter(([, join]) => !join.told);
  if (pending.length === 0) return { ready: 0, failed: 0 };
  const records = await deps.batches.objectRecords(pending.map(([, join]) => join.objectId));
  const told: { joinKey: string; kind: 'ready' | 'failed' }[] = [];
  for (const [joinKey, join] of pending) {
    const reader = batch.joiners?.[join.readerId];
    if (!reader) continue;
    const record = records.get(join.objectId);
    let news: { kind: 'ready' | 'failed'; file: NoticeFile } | undefined;
    if (record && record.status === 'RESTORED' && batchIdOfRecord(record) === batch.batchId)
      news = { kind: 'ready', file: { ...joinedFileOf(batch, join), ...noticeFileOf(record), ...batchFileFacts(batch) } };
    else if (ending) news = await askS3(batch, join, ending.reason, deps.s3);
    if (!news) continue;
    await deps.notices.enqueue(reader, news.kind, news.file, deps.now());
    told.push({ joinKey, kind: news.kind });
  }
  await deps.batches.markTold(batch.batchId, told);
  return { ready: told.filter((t) => t.kind === 'ready').length, failed: told.filter((t) => t.kind === 'failed').length };
}

/** The batch has ended with no completion counted for the object: S3 says whether it is restored. */
async function askS3(batch: BatchRecord, join: BatchJoin, reason: string, s3: S3Client): Promise<{ kind: 'ready' | 'failed'; file: NoticeFile }> {
  const file = joinedFileOf(batch, join);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: join.bucket, Key: join.key, ...(join.versionId ? { VersionId: join.versionId } : {}) }));
    const restore = parseRestoreHeader(head.Restore);
    if (isReadable(head)) return { kind: 'ready', file: { ...file, ...(restore?.expiryDate ? { expiryDate: restore.expiryDate } : {}) } };
    return { kind: 'failed', file: { ...file, failureReason: restore?.ongoing ? `${reason} (S3 is still restoring it: read it again later)` : reason } };
  } catch (err) {
    if ((err as Error).name === 'NotFound') return { kind: 'failed', file: { ...file, failureReason: 'the object was deleted after it was read' } };
    throw err;
  }
}

/**
 * Whether a HeadObject answer shows a readable object: a finished restore, or an
 * Intelligent-Tiering object back in an access tier (its restore leaves no Restore header).
 */
export function isReadable(head: { Restore?: string; StorageClass?: string; ArchiveStatus?: string }): boolean {
  const restore = parseRestoreHeader(head.Restore);
  return restore ? !restore.ongoing : head.ArchiveStatus === undefined && head.StorageClass === 'INTELLIGENT_TIERING';
}
