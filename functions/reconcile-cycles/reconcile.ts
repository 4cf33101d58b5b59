/**
 * The reconciler: on a schedule, finds the open restore cycles whose execution has ended
 * (stopped by an operator, failed, timed out, or unknown to Step Functions) and repairs them,
 * so no reader waits forever. It reads only the sparse index of open cycles, never the table.
 *
 * Repair: if S3 says the object is restored, the record says so and the readers' "ready"
 * notices are handed to the aggregator; otherwise the next cycle starts with the same readers.
 * A restored cycle whose "ready" notice was never handed gets it now.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { enqueueNotices } from '../notify-aggregator/aggregator.js';
import { inspectAfterArchived, inspectArchiveState, type ArchiveInspection } from '../domain/rules/archive.js';
import { awsErrorCode, isDeleteMarker } from '../domain/rules/errors.js';
import type { Log } from '../domain/wiring/logger.js';
import type { NoticeBook } from '../domain/stores/notices.js';
import { executionArnOf, type ObjectRecord } from '../domain/stores/records.js';
import { executionEndOf, recordExecutionEnded, replaceEndedCycle, startCycleExecution, type RestoreStartDeps } from '../domain/restores/start-restore.js';

export interface ReconcileDeps extends RestoreStartDeps {
  s3: S3Client;
  notices: NoticeBook;
  graceMs: number;
  log: Log;
}

export type Repair =
  /** The execution still runs: nothing to do. */
  | 'RUNNING'
  /** The cycle was restored; its readers' "ready" notices were handed to the aggregator. */
  | 'READY_HANDED'
  /** The next cycle started, with the same readers. */
  | 'NEW_CYCLE'
  /** The cycle's own execution was never started (its start was lost or is still being retried): started now. */
  | 'STARTED'
  /** Someone else moved the cycle on while we looked. */
  | 'MOVED_ON';

export interface ReconcileResult {
  examined: number;
  repairs: Partial<Record<Repair, number>>;
  failed: number;
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const cutoff = new Date(deps.now().getTime() - deps.graceMs).toISOString();
  const open = await deps.records.openCyclesStartedBefore(cutoff);
  const result: ReconcileResult = { examined: open.length, repairs: {}, failed: 0 };
  // A few at a time: Step Functions' DescribeExecution and StartExecution quotas are shared with the workflow.
  const limit = pLimit(4);
  await Promise.all(
    open.map((record) =>
      limit(async () => {
        try {
          const repair = await repairCycle(deps, record);
          result.repairs[repair] = (result.repairs[repair] ?? 0) + 1;
          if (repair !== 'RUNNING') deps.log.info('open cycle repaired', { objectId: record.objectId, cycle: record.cycle, repair });
        } catch (err) {
          // One object's failure must not stop the others; the next run tries it again.
          result.failed++;
          deps.log.error('open cycle not repaired; retried on the next run', {
            objectId: record.objectId,
            cycle: record.cycle,
            error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          });
        }
      }),
    ),
  );
  return result;
}

export async function repairCycle(deps: ReconcileDeps, indexed: ObjectRecord): Promise<Repair> {
  // A cycle's execution name is fixed when the cycle opens, so the index copy names it even
  // before the copy shows the confirmed ARN. Most open cycles are still running: they cost one
  // DescribeExecution and no read of the table.
  const executionArn = indexed.executionArn ?? executionArnOf(deps.stateMachineArn, indexed.executionName);
  const end = await executionEndOf(deps.sfn, executionArn);
  if (!end) return 'RUNNING';
  // The index is eventually consistent: its copy may lack a reader who joined moments ago,
  // whom the next cycle must carry over. Repair from the table's current record.
  const record = await deps.records.get(indexed.objectId);
  if (!record || record.cycle !== indexed.cycle || !record.openPartition) return 'MOVED_ON';
  if (end === 'MISSING' && !record.executionArn) {
    // The start was never confirmed: it may still be retried (a throttled StartExecution is
    // redelivered). Start the cycle's own execution, by the same name, rather than a new cycle.
    return (await startCycleExecution(deps, record)) ? 'STARTED' : 'MOVED_ON';
  }
  if (record.status === 'RESTORED') {
    await recordExecutionEnded(deps, record, { executionArn, status: end, reason: 'the restore was done but the readers had not been told' });
    return handReady(deps, record);
  }
  if (record.status !== 'STARTING' && record.status !== 'RESTORING') return 'MOVED_ON';
  const inspection = await headObject(deps, record);
  if (inspection !== 'GONE' && inspection.state === 'RESTORED') {
    const restored = await deps.records.markRestored(
      record.objectId,
      record.cycle,
      { restoredAt: deps.now().toISOString(), expiryDate: inspection.expiryDate },
      { from: [record.status], dropTaskToken: true },
    );
    if (!restored) return 'MOVED_ON';
    await recordExecutionEnded(deps, record, { executionArn, status: end, reason: 'S3 had finished the restore' });
    await deps.audit.record({
      objectId: record.objectId,
      time: deps.now(),
      type: 'RESTORE_FOUND_DONE',
      cycle: record.cycle,
      dedupeKey: `found-done#${record.cycle}`,
      detail: { storageClass: inspection.storageClass, expiryDate: inspection.expiryDate },
    });
    return handReady(deps, restored);
  }
  // Not restored (or deleted): a new cycle runs the whole workflow again, which requests the
  // restore, waits for it, or tells the readers the object is gone.
  return (await replaceEndedCycle(deps, record, end)) ? 'NEW_CYCLE' : 'MOVED_ON';
}

/** Hands the "ready" notices through the aggregator's own enqueue path (idempotent per reader, object, cycle and kind). */
async function handReady(deps: ReconcileDeps, record: ObjectRecord): Promise<Repair> {
  await enqueueNotices({ action: 'enqueue', kind: 'ready', objectId: record.objectId, cycle: record.cycle }, deps);
  return 'READY_HANDED';
}

async function headObject(deps: ReconcileDeps, record: ObjectRecord): Promise<ArchiveInspection | 'GONE'> {
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: record.bucket, Key: record.key, VersionId: record.versionId }));
    // A cycle that saw the object archived and now finds it readable was restored (an
    // Intelligent-Tiering object moves to Frequent Access, possibly without a restore header).
    return record.archiveKind ? inspectAfterArchived(head) : inspectArchiveState(head);
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion' || isDeleteMarker(err)) return 'GONE';
    throw err;
  }
}
