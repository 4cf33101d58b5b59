/**
 * Starting (or joining) an object's restore: the one path every request takes, whether it
 * comes from a failed read that CloudTrail saw or from a person with the CLI. At most one
 * execution runs per object and restore cycle; a later reader joins it and is told what the
 * earlier ones were told.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AuditLog } from '../stores/audit.js';
import { ENDED_BATCH_STATUSES, inBatch, joinedFileOf, type BatchBook } from '../stores/batches.js';
import { noticeFileOf, type NoticeBook } from '../stores/notices.js';
import { mayJoinBatch } from '../rules/batch-membership.js';
import { executionNameOf, objectIdOf, type ObjectRef } from '../rules/object-id.js';
import { describeReader, type Reader } from '../rules/reader.js';
import { decideCycle, executionArnOf, executionEnd, givenOptions, type ExecutionEnd, type ObjectRecord, type ObjectRecords, type RestoreOptions } from '../stores/records.js';

export type { RestoreOptions } from '../stores/records.js';

export interface RestoreStartDeps {
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  notices: NoticeBook;
  stateMachineArn: string;
  now: () => Date;
  /** Bulk restores: a read of an object a running batch restores joins the batch instead. */
  batches?: BatchBook;
}

/** The input of one execution; identical for every request of one cycle, so StartExecution is idempotent. */
export interface ExecutionInput {
  object: ObjectRef;
  objectId: string;
  cycle: number;
  options: RestoreOptions;
}

export interface RestoreStart {
  opened: boolean;
  objectId: string;
  cycle: number;
  executionArn: string;
  executionName: string;
}

const MAX_RACES = 5;

export async function startOrJoinRestore(deps: RestoreStartDeps, ref: ObjectRef, reader: Reader, readTime: Date, options: RestoreOptions = {}): Promise<RestoreStart> {
  const objectId = objectIdOf(ref);
  for (let attempt = 0; attempt < MAX_RACES; attempt++) {
    // With bulk restores, the first pass reads the record and the bucket's running batches in one call.
    const first = attempt === 0 && deps.batches ? await deps.batches.recordAndRunningIn(objectId, ref.bucket) : undefined;
    const record = first ? first.record : await deps.records.get(objectId);
    const decision = decideCycle(record, readTime);
    // No restore of its own under way (never restored, or its last cycle ended): a running batch restoring it is joined.
    if (decision.action === 'open' && mayJoinBatch(record) && deps.batches) {
      const running = first ? first.running : await deps.batches.runningIn(ref.bucket);
      const batch = running.find((b) => inBatch(b, ref) && !ENDED_BATCH_STATUSES.includes(b.status));
      if (batch && (await deps.batches.addJoiner(batch.batchId, reader, ref, decision.cycle, deps.now()))) {
        // Once S3 has the batch's jobs, the reader hears now that their file is on its way (the workflow tells them when it is ready).
        if (batch.startedNotified) await deps.notices.enqueue(reader, 'started', joinedFileOf(batch, { objectId, cycle: decision.cycle, ...ref }), deps.now());
        return { opened: false, objectId, cycle: decision.cycle, executionArn: batch.executionArn ?? '', executionName: batch.batchId };
      }
    }
    if (decision.action === 'open') {
      const executionName = executionNameOf(ref, decision.cycle);
      const opened = await deps.records.openCycle(ref, decision, { reader, executionName, now: deps.now(), options });
      if (!opened) continue; // another detection opened the cycle first: join it on the next pass
      const started = await startExecution(deps, opened);
      if ('ended' in started) {
        await replaceEndedCycle(deps, opened, started.ended, options);
        continue;
      }
      return { opened: true, objectId, cycle: opened.cycle, executionArn: started.executionArn, executionName };
    }
    const joinedAt = deps.now();
    const before = await deps.records.addSubscriber(objectId, decision.cycle, reader, joinedAt);
    if (!before) continue; // the cycle closed between read and write
    const live = await liveExecution(deps, before);
    if ('ended' in live) {
      // The cycle's execution is gone (stopped, failed, timed out, unknown): joining it would
      // wait forever. The next cycle takes over its readers, this one included (the record as
      // this join left it, so the replacement's condition on `updatedAt` holds).
      const joined = { ...before, subscribers: { ...before.subscribers, [reader.id]: reader }, updatedAt: joinedAt.toISOString() };
      await replaceEndedCycle(deps, joined, live.ended, options);
      continue;
    }
    const joined = await joinCycle(deps, before, reader);
    return { opened: false, objectId, ...joined, executionArn: live.executionArn };
  }
  // Only reachable if the record changes cycle five times during one event: let the event be retried.
  throw new Error(`could not settle the restore cycle of ${objectId} after ${MAX_RACES} attempts`);
}

async function joinCycle(deps: RestoreStartDeps, before: ObjectRecord, reader: Reader): Promise<{ cycle: number; executionName: string }> {
  const isNewReader = !before.subscribers[reader.id];
  if (isNewReader) {
    await deps.audit.record({
      objectId: before.objectId,
      time: deps.now(),
      type: 'READER_JOINED',
      cycle: before.cycle,
      dedupeKey: `joined#${before.cycle}#${reader.id}`,
      detail: { reader: describeReader(reader), readerId: reader.id },
    });
  }
  // The workflow queued notices for the subscribers it saw; a reader who joined later gets
  // the ones already handed out (queueing is idempotent per reader, object, cycle and kind).
  const file = noticeFileOf(before);
  if (before.startedNotified && !before.readyNotified) await deps.notices.enqueue(reader, 'started', file, deps.now());
  if (before.readyNotified) await deps.notices.enqueue(reader, 'ready', file, deps.now());
  // A restore waiting for a person: the new reader hears so too (the decision reaches every subscriber).
  if (before.approval?.decision === 'PENDING') await deps.notices.enqueue(reader, 'awaiting-approval', { ...file, approvalReason: before.approval.reason }, deps.now());
  return { cycle: before.cycle, executionName: before.executionName };
}

type Liveness = { executionArn: string } | { ended: ExecutionEnd };

/**
 * The execution of the cycle a reader is joining, if it can still finish the cycle. A cycle
 * that is still restoring needs its execution running; a restored cycle needs nothing more
 * from it. An execution that was never confirmed (the detection that opened the cycle failed
 * to start it) is started now: same name, same input, so this is safe if it did start after all.
 */
async function liveExecution(deps: RestoreStartDeps, record: ObjectRecord): Promise<Liveness> {
  if (!record.executionArn) return startExecution(deps, record);
  if (record.status !== 'STARTING' && record.status !== 'RESTORING') return { executionArn: record.executionArn };
  const ended = await executionEndOf(deps.sfn, record.executionArn);
  return ended ? { ended } : { executionArn: record.executionArn };
}

/** How the execution ended, or undefined while it runs. */
export async function executionEndOf(sfn: SFNClient, executionArn: string): Promise<ExecutionEnd | undefined> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return executionEnd(out.status);
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) return 'MISSING';
    throw err;
  }
}

/**
 * Ends a cycle whose execution ended without closing it and opens the next one, with the same
 * readers and a new execution. Says in the object's history why (the execution was stopped,
 * failed, timed out or is unknown to Step Functions). The next cycle keeps the ended one's
 * options unless the request that repairs it gives its own. Returns the new cycle, or undefined
 * when someone else repaired (or joined) the cycle first.
 */
export async function replaceEndedCycle(deps: RestoreStartDeps, ended: ObjectRecord, end: ExecutionEnd, options?: RestoreOptions): Promise<ObjectRecord | undefined> {
  const ref: ObjectRef = { bucket: ended.bucket, key: ended.key, ...(ended.versionId ? { versionId: ended.versionId } : {}) };
  const executionArn = ended.executionArn ?? executionArnOf(deps.stateMachineArn, ended.executionName);
  const next = await deps.records.replaceEndedCycle(ended, { executionName: executionNameOf(ref, ended.cycle + 1), now: deps.now(), options });
  if (!next) return undefined;
  await recordExecutionEnded(deps, ended, { executionArn, status: end, reason: END_REASON[end], nextCycle: next.cycle });
  const started = await startExecution(deps, next);
  // A fresh name cannot have run before; if it has, the next pass (or the reconciler) repairs again.
  return 'ended' in started ? undefined : next;
}

/** The audit entry for a cycle whose execution was found ended: one per cycle, whoever (a read, the reconciler) finds it first. */
export async function recordExecutionEnded(
  deps: Pick<RestoreStartDeps, 'audit' | 'now'>,
  record: ObjectRecord,
  found: { executionArn: string; status: ExecutionEnd; reason: string; nextCycle?: number },
): Promise<void> {
  const { executionArn, status, reason, nextCycle } = found;
  await deps.audit.record({
    objectId: record.objectId,
    time: deps.now(),
    type: 'EXECUTION_ENDED',
    cycle: record.cycle,
    dedupeKey: `ended#${record.cycle}`,
    detail: { executionArn, status, recordStatus: record.status, reason, ...(nextCycle !== undefined ? { nextCycle } : {}) },
  });
}

/**
 * Starts the execution of a cycle whose start was never confirmed, by its own name. True when
 * it runs now; an execution of that name that already ended gets the cycle replaced instead.
 */
export async function startCycleExecution(deps: RestoreStartDeps, record: ObjectRecord): Promise<boolean> {
  const started = await startExecution(deps, record);
  if (!('ended' in started)) return true;
  return Boolean(await replaceEndedCycle(deps, record, started.ended));
}

const END_REASON: Record<ExecutionEnd, string> = {
  ABORTED: 'the execution was stopped before the cycle closed',
  FAILED: 'the execution failed before the cycle closed',
  TIMED_OUT: 'the execution timed out before the cycle closed',
  SUCCEEDED: 'the execution succeeded but the cycle was left open',
  MISSING: 'Step Functions does not know the execution the record names',
};

/** The execution's input comes from the record alone, so every start of one cycle sends the same input. */
function executionInputOf(record: ObjectRecord): ExecutionInput {
  const ref: ObjectRef = { bucket: record.bucket, key: record.key, ...(record.versionId ? { versionId: record.versionId } : {}) };
  return { object: ref, objectId: record.objectId, cycle: record.cycle, options: givenOptions(record.options) ?? {} };
}

async function startExecution(deps: RestoreStartDeps, record: ObjectRecord): Promise<Liveness> {
  const input = executionInputOf(record);
  let executionArn: string;
  try {
    // Throttling is retried by the client (8 attempts with backoff); if it still fails the
    // error propagates and Lambda's asynchronous queue retries the event (then the dead-letter queue).
    const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name: record.executionName, input: JSON.stringify(input) }));
    executionArn = out.executionArn!;
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists)) throw err;
    // The name is taken (names are unique per state machine for 90 days): by this cycle's own
    // execution, which is fine while it runs or if it succeeded, or by one that ended early.
    executionArn = executionArnOf(deps.stateMachineArn, record.executionName);
    const ended = await executionEndOf(deps.sfn, executionArn);
    if (ended && ended !== 'SUCCEEDED') return { ended };
  }
  // The history's EXECUTION_STARTED is written by the execution's own first step (restore-steps `inspect`).
  await deps.records.update(record.objectId, record.cycle, { executionArn });
  return { executionArn };
}
