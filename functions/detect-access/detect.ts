/**
 * A failed read of an archived object: record it, add the reader to the object's restore,
 * and make sure exactly one workflow execution runs for the object's current cycle.
 */
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AuditLog } from '../shared/audit.js';
import { isWatched } from '../shared/config.js';
import { archivedReadEventSchema, describeIssues } from '../shared/events.js';
import { executionNameOf, objectIdOf, type ObjectRef } from '../shared/object-id.js';
import { noticeFileOf, type NoticeBook } from '../shared/notices.js';
import { describeReader, readerFromIdentity, type Reader } from '../shared/reader.js';
import { decideCycle, executionArnOf, type ObjectRecord, type ObjectRecords } from '../shared/records.js';
import type { Log } from '../shared/logger.js';

export interface DetectDeps {
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  notices: NoticeBook;
  stateMachineArn: string;
  watchedBuckets: readonly string[];
  accountId: string;
  now: () => Date;
  log: Log;
}

export type DetectResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'started' | 'joined'; objectId: string; cycle: number; executionArn: string; executionName: string };

/** The input of one execution; identical for every detection of one cycle, so StartExecution is idempotent. */
export interface ExecutionInput {
  object: ObjectRef;
  objectId: string;
  cycle: number;
}

const MAX_RACES = 5;

export async function detectAccess(event: unknown, deps: DetectDeps): Promise<DetectResult> {
  const parsed = archivedReadEventSchema.safeParse(event);
  if (!parsed.success) return ignore(deps, `not an archived-object read: ${describeIssues(parsed.error)}`);
  const { detail } = parsed.data;
  const owner = detail.recipientAccountId ?? parsed.data.account;
  const ref: ObjectRef = {
    bucket: detail.requestParameters.bucketName,
    key: detail.requestParameters.key,
    ...(detail.requestParameters.versionId ? { versionId: detail.requestParameters.versionId } : {}),
  };
  if (owner !== deps.accountId) return ignore(deps, `event from foreign account ${owner}`, ref);
  if (!isWatched(ref.bucket, deps.watchedBuckets)) return ignore(deps, `bucket ${ref.bucket} is not watched`, ref);

  const objectId = objectIdOf(ref);
  const readTime = new Date(detail.eventTime);
  // A caller CloudTrail cannot name is still a read: it is recorded, and no email can be sent.
  const reader: Reader = readerFromIdentity(detail.userIdentity) ?? { id: `anonymous:${detail.sourceIPAddress ?? 'unknown'}` };

  // The audit entry comes first and is keyed by the CloudTrail event id: whatever fails
  // afterwards, the read is in the history, and a duplicate delivery is not recorded twice.
  await deps.audit.record({
    objectId,
    time: readTime,
    type: 'READ_DETECTED',
    dedupeKey: `read#${detail.eventID}`,
    detail: { reader: describeReader(reader), readerId: reader.id, eventId: detail.eventID, sourceIp: detail.sourceIPAddress, userAgent: detail.userAgent },
  });

  for (let attempt = 0; attempt < MAX_RACES; attempt++) {
    const record = await deps.records.get(objectId);
    const decision = decideCycle(record, readTime);
    if (decision.action === 'open') {
      const executionName = executionNameOf(ref, decision.cycle);
      const opened = await deps.records.openCycle(ref, decision, { reader, executionName, now: deps.now() });
      if (!opened) continue; // another detection opened the cycle first: join it on the next pass
      const executionArn = await startExecution(deps, opened);
      return { outcome: 'started', objectId, cycle: opened.cycle, executionArn, executionName };
    }
    const before = await deps.records.addSubscriber(objectId, decision.cycle, reader, deps.now());
    if (!before) continue; // the cycle closed between read and write
    const joined = await joinCycle(deps, before, reader);
    return { outcome: 'joined', objectId, cycle: joined.cycle, executionArn: joined.executionArn, executionName: joined.executionName };
  }
  // Only reachable if the record changes cycle five times during one event: let the event be retried.
  throw new Error(`could not settle the restore cycle of ${objectId} after ${MAX_RACES} attempts`);
}

async function joinCycle(deps: DetectDeps, before: ObjectRecord, reader: Reader): Promise<{ cycle: number; executionArn: string; executionName: string }> {
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
  const executionArn = before.executionArn ?? (await startExecution(deps, before));
  return { cycle: before.cycle, executionArn, executionName: before.executionName };
}

async function startExecution(deps: DetectDeps, record: ObjectRecord): Promise<string> {
  const ref: ObjectRef = { bucket: record.bucket, key: record.key, ...(record.versionId ? { versionId: record.versionId } : {}) };
  const input: ExecutionInput = { object: ref, objectId: record.objectId, cycle: record.cycle };
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

async function ignore(deps: DetectDeps, reason: string, ref?: ObjectRef): Promise<DetectResult> {
  deps.log.warn('read ignored', { reason, ...(ref ? { bucket: ref.bucket, key: ref.key } : {}) });
  return { outcome: 'ignored', reason };
}
