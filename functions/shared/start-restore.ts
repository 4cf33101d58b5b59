/**
 * Starting (or joining) an object's restore: the one path every request takes, whether it
 * comes from a failed read that CloudTrail saw or from a person with the CLI. At most one
 * execution runs per object and restore cycle; a later reader joins it and is told what the
 * earlier ones were told.
 */
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RestoreTier } from './archive.js';
import type { AuditLog } from './audit.js';
import { noticeFileOf, type NoticeBook } from './notices.js';
import { executionNameOf, objectIdOf, type ObjectRef } from './object-id.js';
import { describeReader, type Reader } from './reader.js';
import { decideCycle, executionArnOf, type ObjectRecord, type ObjectRecords } from './records.js';

export interface RestoreStartDeps {
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  notices: NoticeBook;
  stateMachineArn: string;
  now: () => Date;
}

/** Overrides of the deployment's restore settings for one cycle (the CLI's --tier and --days). */
export interface RestoreOptions {
  tier?: RestoreTier;
  days?: number;
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
    const record = await deps.records.get(objectId);
    const decision = decideCycle(record, readTime);
    if (decision.action === 'open') {
      const executionName = executionNameOf(ref, decision.cycle);
      const opened = await deps.records.openCycle(ref, decision, { reader, executionName, now: deps.now() });
      if (!opened) continue; // another detection opened the cycle first: join it on the next pass
      const executionArn = await startExecution(deps, opened, options);
      return { opened: true, objectId, cycle: opened.cycle, executionArn, executionName };
    }
    const before = await deps.records.addSubscriber(objectId, decision.cycle, reader, deps.now());
    if (!before) continue; // the cycle closed between read and write
    const joined = await joinCycle(deps, before, reader, options);
    return { opened: false, objectId, ...joined };
  }
  // Only reachable if the record changes cycle five times during one event: let the event be retried.
  throw new Error(`could not settle the restore cycle of ${objectId} after ${MAX_RACES} attempts`);
}

async function joinCycle(deps: RestoreStartDeps, before: ObjectRecord, reader: Reader, options: RestoreOptions): Promise<{ cycle: number; executionArn: string; executionName: string }> {
  const isNewReader = !before.subscribers?.[reader.id];
  if (isNewReader) {
    await deps.audit.record({ objectId: before.objectId, time: deps.now(), type: 'READER_JOINED', cycle: before.cycle, dedupeKey: `joined#${before.cycle}#${reader.id}`, detail: { reader: describeReader(reader), readerId: reader.id } });
  }
  // The workflow queued notices for the subscribers it saw; a reader who joined later gets
  // the ones already handed out (queueing is idempotent per reader, object, cycle and kind).
  const file = noticeFileOf(before);
  if (before.startedNotified && !before.readyNotified) await deps.notices.enqueue(reader, 'started', file, deps.now());
  if (before.readyNotified) await deps.notices.enqueue(reader, 'ready', file, deps.now());
  // An execution that was never confirmed (the detection that opened the cycle failed to start
  // it) is started now: same name, same input, so this is safe if it did start after all.
  const executionArn = before.executionArn ?? (await startExecution(deps, before, options));
  return { cycle: before.cycle, executionArn, executionName: before.executionName };
}

async function startExecution(deps: RestoreStartDeps, record: ObjectRecord, options: RestoreOptions): Promise<string> {
  const ref: ObjectRef = { bucket: record.bucket, key: record.key, ...(record.versionId ? { versionId: record.versionId } : {}) };
  const input: ExecutionInput = { object: ref, objectId: record.objectId, cycle: record.cycle, options };
  let executionArn: string;
  let alreadyExisted = false;
  try {
    // Throttling is retried by the client (8 attempts with backoff); if it still fails the
    // error propagates and EventBridge redelivers the event (then its dead-letter queue).
    const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name: record.executionName, input: JSON.stringify(input) }));
    executionArn = out.executionArn!;
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists)) throw err;
    // The cycle's execution ran already (names are unique per state machine for 90 days).
    executionArn = executionArnOf(deps.stateMachineArn, record.executionName);
    alreadyExisted = true;
  }
  await deps.records.update(record.objectId, record.cycle, { executionArn });
  if (!alreadyExisted) {
    await deps.audit.record({ objectId: record.objectId, time: deps.now(), type: 'EXECUTION_STARTED', cycle: record.cycle, dedupeKey: `execution#${record.cycle}`, detail: { executionArn, executionName: record.executionName } });
  }
  return executionArn;
}
