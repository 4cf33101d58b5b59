/**
 * S3 says a restore finished (or its copy expired). Mark the object's record, and resume the
 * execution waiting on it. Events are delivered at least once and may arrive before the
 * workflow stored its token, after it timed out, or twice: all of these are normal.
 */
import { InvalidToken, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut, type SFNClient } from '@aws-sdk/client-sfn';
import type { AuditLog } from '../shared/audit.js';
import { isWatched } from '../shared/config.js';
import { describeIssues, restoreEventSchema } from '../shared/events.js';
import { decodeS3EventKey, objectIdOf, type ObjectRef } from '../shared/object-id.js';
import { completionOutput, type ObjectRecord, type ObjectRecords } from '../shared/records.js';
import type { Log } from '../shared/logger.js';

export interface CompletedDeps {
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  watchedBuckets: readonly string[];
  accountId: string;
  now: () => Date;
  log: Log;
}

export type CompletedResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'untracked'; objectId: string }
  | { outcome: 'restored'; objectId: string; resumed: 'now' | 'already-handled' | 'no-token-yet' }
  | { outcome: 'expired'; objectId: string };

export async function restoreCompleted(event: unknown, deps: CompletedDeps): Promise<CompletedResult> {
  const parsed = restoreEventSchema.safeParse(event);
  if (!parsed.success) return ignore(deps, `not an S3 restore event: ${describeIssues(parsed.error)}`);
  const { detail } = parsed.data;
  if (parsed.data.account !== deps.accountId) return ignore(deps, `event from foreign account ${parsed.data.account}`);
  if (!isWatched(detail.bucket.name, deps.watchedBuckets)) return ignore(deps, `bucket ${detail.bucket.name} is not watched`);

  const ref: ObjectRef = { bucket: detail.bucket.name, key: decodeS3EventKey(detail.object.key) };
  const versionId = detail.object['version-id'];
  const record = await findRecord(deps, ref, versionId);
  if (!record) {
    deps.log.info('restore event for an object we did not restore', { bucket: ref.bucket, key: ref.key });
    return { outcome: 'untracked', objectId: objectIdOf(ref) };
  }
  const eventTime = new Date(parsed.data.time);
  // Event times have whole seconds: the history is ordered by when we learned of it.
  const auditBase = { objectId: record.objectId, cycle: record.cycle, time: deps.now() };

  if (parsed.data['detail-type'] === 'Object Restore Expired') {
    await deps.records.update(record.objectId, record.cycle, { status: 'EXPIRED' }, { onlyIfStatus: ['RESTORED'], remove: ['taskToken'] });
    await deps.audit.record({ ...auditBase, type: 'RESTORE_EXPIRED', dedupeKey: `expired#${parsed.data.id}`, detail: { eventTime: eventTime.toISOString() } });
    return { outcome: 'expired', objectId: record.objectId };
  }

  const expiryDate = detail['restore-expiry-time'] ? new Date(detail['restore-expiry-time']).toISOString() : undefined;
  // Marked RESTORED even without a token: the waiting step reads the record when it stores its token.
  const updated = await deps.records.update(
    record.objectId,
    record.cycle,
    { status: 'RESTORED', restoredAt: record.restoredAt ?? eventTime.toISOString(), expiryDate: expiryDate ?? record.expiryDate },
    { onlyIfStatus: ['STARTING', 'RESTORING', 'RESTORED'] },
  );
  await deps.audit.record({ ...auditBase, type: 'RESTORE_COMPLETED', dedupeKey: `completed#${parsed.data.id}`, detail: { expiryDate, sourceStorageClass: detail['source-storage-class'], eventTime: eventTime.toISOString() } });
  if (!updated?.taskToken) return { outcome: 'restored', objectId: record.objectId, resumed: 'no-token-yet' };
  const resumed = await resume(deps, updated);
  return { outcome: 'restored', objectId: record.objectId, resumed };
}

/** The record for the event's object: the reader may have asked for the version, or not. */
async function findRecord(deps: CompletedDeps, ref: ObjectRef, versionId: string | undefined): Promise<ObjectRecord | undefined> {
  if (versionId) {
    const versioned = await deps.records.get(objectIdOf({ ...ref, versionId }));
    if (versioned) return versioned;
  }
  return deps.records.get(objectIdOf(ref));
}

async function resume(deps: CompletedDeps, record: ObjectRecord): Promise<'now' | 'already-handled'> {
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: record.taskToken!, output: JSON.stringify(completionOutput(record)) }));
    return 'now';
  } catch (err) {
    // The wait already ended (resumed by the other side, timed out, or the execution finished).
    if (err instanceof TaskTimedOut || err instanceof TaskDoesNotExist || err instanceof InvalidToken) {
      deps.log.info('task already handled', { objectId: record.objectId, error: err.name });
      return 'already-handled';
    }
    throw err;
  }
}

function ignore(deps: CompletedDeps, reason: string): CompletedResult {
  deps.log.warn('restore event ignored', { reason });
  return { outcome: 'ignored', reason };
}
