/**
 * S3 says a restore finished (or its copy expired). Mark the object's record, hand the readers'
 * "ready" notices to the aggregator in the same write, and resume the execution waiting on it.
 * Events are delivered at least once and may arrive before the workflow stored its token, after
 * it timed out, twice, or during the object's next cycle: a completion is acted on only when it
 * belongs to the current cycle and S3 itself confirms that the restored copy is there.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidToken, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut, type SFNClient } from '@aws-sdk/client-sfn';
import { inspectArchiveState, type ArchiveInspection } from '../domain/rules/archive.js';
import type { AuditLog } from '../domain/stores/audit.js';
import type { NoticeBook } from '../domain/stores/notices.js';
import { handOverFields, isFirstHandOver, queueHandedNotices } from '../domain/restores/hand-over.js';
import { isWatched } from '../domain/wiring/config.js';
import { awsErrorCode, isDeleteMarker } from '../domain/rules/errors.js';
import { restoreEventSchema, type RestoreEvent } from '../domain/rules/events.js';
import { describeIssues } from '../domain/rules/zod-issues.js';
import { eventKeyCandidates, objectIdOf, type EventKeyForm, type ObjectRef } from '../domain/rules/object-id.js';
import { completionOutput, type ObjectRecord, type ObjectRecords } from '../domain/stores/records.js';
import type { Log } from '../domain/wiring/logger.js';
import { applyAutoKeep } from '../domain/restores/expiry-auto-keep.js';
import type { AutoKeepPolicy } from '../domain/rules/expiry.js';
import type { BatchBook } from '../domain/stores/batches.js';
import { countTowardBatch, type BatchCompletion } from './batch-completion.js';

export interface CompletedDeps {
  sfn: SFNClient;
  s3: S3Client;
  records: ObjectRecords;
  audit: AuditLog;
  watchedBuckets: readonly string[];
  accountId: string;
  /**
   * Where the readers' "ready" notices go: the completion hands them over itself, with its own
   * writes. Without it the workflow's "ready" step hands them over.
   */
  notices?: NoticeBook;
  /** Bulk restores, which count completions of objects that have no record of their own. */
  batches?: BatchBook;
  now: () => Date;
  log: Log;
  /** The stack's auto-keep policy, when on. */
  autoKeep?: AutoKeepPolicy;
}

export type CompletedResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'untracked'; objectId: string }
  | { outcome: 'stale'; objectId: string; reason: string }
  | { outcome: 'unconfirmed'; objectId: string; reason: string }
  | { outcome: 'restored'; objectId: string; resumed: 'now' | 'already-handled' | 'no-token-yet' }
  | { outcome: 'expired'; objectId: string }
  | BatchCompletion;

export async function restoreCompleted(event: unknown, deps: CompletedDeps): Promise<CompletedResult> {
  const parsed = restoreEventSchema.safeParse(event);
  if (!parsed.success) return ignore(deps, `not an S3 restore event: ${describeIssues(parsed.error, '(event)')}`);
  const { detail } = parsed.data;
  if (parsed.data.account !== deps.accountId) return ignore(deps, `event from foreign account ${parsed.data.account}`);
  if (!isWatched(detail.bucket.name, deps.watchedBuckets)) return ignore(deps, `bucket ${detail.bucket.name} is not watched`);

  const matches = await findRecords(deps, detail.bucket.name, detail.object.key, detail.object['version-id']);
  if (matches.length === 0) {
    const batched = deps.batches ? await countTowardBatch(deps.batches, deps.s3, parsed.data, deps.now()) : undefined;
    if (batched) return batched;
    const objectId = objectIdOf({ bucket: detail.bucket.name, key: detail.object.key });
    deps.log.info('restore event for an object we did not restore', { detailType: parsed.data['detail-type'], bucket: detail.bucket.name, eventKey: detail.object.key });
    return { outcome: 'untracked', objectId };
  }
  // Usually one match. When the key as given and its decoded form are both objects we track
  // (`a+b` and `a b`), a completion cannot say which it means: each is handled, and HeadObject
  // decides for each whether it is restored. An expiry, which nothing confirms, closes only the
  // first (a read after a restore opens the next cycle anyway).
  const meant = parsed.data['detail-type'] === 'Object Restore Expired' ? matches.slice(0, 1) : matches;
  const results: CompletedResult[] = [];
  for (const match of meant) results.push(await handleMatch(deps, parsed.data, match.record, match.keyForm));
  return results.sort((a, b) => PRECEDENCE.indexOf(a.outcome) - PRECEDENCE.indexOf(b.outcome))[0]!;
}

/** Which result the handler reports when an event matched more than one record. */
const PRECEDENCE: CompletedResult['outcome'][] = ['batched', 'restored', 'expired', 'unconfirmed', 'stale', 'untracked', 'ignored'];

async function handleMatch(deps: CompletedDeps, event: RestoreEvent, record: ObjectRecord, keyForm: EventKeyForm): Promise<CompletedResult> {
  const { detail } = event;
  deps.log.info('restore event matched a record', { objectId: record.objectId, cycle: record.cycle, keyForm });
  const eventTime = new Date(event.time);
  // S3 stamps events with whole seconds; the cycle's start has milliseconds.
  if (eventTime.getTime() < Math.floor(Date.parse(record.cycleStartedAt) / 1000) * 1000) {
    return stale(deps, record, `${event['detail-type']} of ${eventTime.toISOString()} precedes cycle ${record.cycle} (started ${record.cycleStartedAt})`);
  }
  // Event times have whole seconds: the history is ordered by when we learned of it.
  const auditBase = { objectId: record.objectId, cycle: record.cycle, time: deps.now() };

  if (event['detail-type'] === 'Object Restore Expired') {
    await deps.records.expire(record.objectId, record.cycle);
    await deps.audit.record({
      ...auditBase,
      type: 'RESTORE_EXPIRED',
      dedupeKey: `expired#${event.id}`,
      detail: { eventTime: eventTime.toISOString(), ...(record.expiryDate ? { expiryDate: record.expiryDate } : {}) },
    });
    return { outcome: 'expired', objectId: record.objectId };
  }

  const confirmation = await confirmRestored(deps, record);
  if (!confirmation.ready) {
    deps.log.warn('restore event not confirmed by S3', { objectId: record.objectId, cycle: record.cycle, reason: confirmation.reason });
    return { outcome: 'unconfirmed', objectId: record.objectId, reason: confirmation.reason };
  }
  // The expiry comes from S3's answer now, not from an event that may belong to another restore.
  const expiryDate = confirmation.inspection.expiryDate;
  // Marked RESTORED even without a token: the waiting step reads the record when it stores its token.
  // The same write hands the readers' "ready" notices over (hand-over.ts), a millisecond after the
  // confirmation so the history lists the completion first.
  const handedAt = new Date(auditBase.time.getTime() + 1);
  const handOver = deps.notices ? handOverFields('ready', handedAt) : { fields: {}, setIfAbsent: {} };
  const updated = await deps.records.markRestored(
    record.objectId,
    record.cycle,
    { expiryDate: expiryDate ?? record.expiryDate, ...handOver.fields },
    { from: ['STARTING', 'RESTORING', 'RESTORED'], setIfAbsent: { restoredAt: eventTime.toISOString(), completionConfirmedAt: auditBase.time.toISOString(), ...handOver.setIfAbsent } },
  );
  // Timed by the first confirmation the record keeps, so a duplicate delivery of the event
  // computes the same entry and one conditional write deduplicates it (also when the cycle has
  // since expired or closed and the write above was refused: the record read first has the time).
  // A cycle with no confirmation yet whose record refused the write: the entry is deduplicated by a marker.
  const confirmedAt = updated?.completionConfirmedAt ?? record.completionConfirmedAt;
  const completed = {
    ...auditBase,
    type: 'RESTORE_COMPLETED',
    dedupeKey: `completed#${event.id}`,
    detail: { expiryDate, eventExpiryTime: detail['restore-expiry-time'], sourceStorageClass: detail['source-storage-class'], eventTime: eventTime.toISOString(), keyForm },
  } as const;
  // The first hand-over queues the notices with the completion's line in one batch. Any other
  // (a duplicate event, a retry after a crash) leaves the notices to the workflow's own "ready"
  // step, which queues each only if absent: the resumed task says the readers were not told here.
  let readyHanded = false;
  if (deps.notices && updated?.completionConfirmedAt && isFirstHandOver(updated, 'ready', handedAt)) {
    await queueHandedNotices({ notices: deps.notices, audit: deps.audit }, updated, 'ready', handedAt, [{ ...completed, time: new Date(updated.completionConfirmedAt), timeIsTheEvents: true }]);
    readyHanded = true;
  } else {
    await deps.audit.record({ ...completed, ...(confirmedAt ? { time: new Date(confirmedAt), timeIsTheEvents: true } : {}) });
  }
  const resumed = updated?.taskToken ? await resume(deps, updated, readyHanded) : 'no-token-yet';
  // After the hand-over: a copy of a large object takes long, and the readers' "ready" email must not wait for it.
  if (updated) await applyAutoKeep(deps, updated);
  return { outcome: 'restored', objectId: record.objectId, resumed };
}

/**
 * The records the event may mean: by the key as given, then form-decoded; for each, the
 * record of the event's version first (a reader who named it), then the unversioned one.
 */
async function findRecords(deps: CompletedDeps, bucket: string, eventKey: string, versionId: string | undefined): Promise<{ record: ObjectRecord; keyForm: EventKeyForm }[]> {
  const matches: { record: ObjectRecord; keyForm: EventKeyForm }[] = [];
  for (const candidate of eventKeyCandidates(eventKey)) {
    const refs: ObjectRef[] = [...(versionId ? [{ bucket, key: candidate.key, versionId }] : []), { bucket, key: candidate.key }];
    for (const ref of refs) {
      const record = await deps.records.get(objectIdOf(ref));
      if (record) {
        matches.push({ record, keyForm: candidate.form });
        break;
      }
    }
  }
  return matches;
}

type Confirmation = { ready: true; inspection: ArchiveInspection } | { ready: false; reason: string };

/**
 * Asks S3 whether the object of this cycle is readable now. A restored copy is; so is an
 * object no longer in an archive tier (Intelligent-Tiering moves a restored object to
 * Frequent Access, with no restore header). A restore still ongoing, an archived object with
 * no copy, or an object we cannot see is not: the workflow's own timeout recheck covers those.
 */
async function confirmRestored(deps: CompletedDeps, record: ObjectRecord): Promise<Confirmation> {
  let inspection: ArchiveInspection;
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: record.bucket, Key: record.key, ...(record.versionId ? { VersionId: record.versionId } : {}) }));
    inspection = inspectArchiveState(head);
  } catch (err) {
    const code = awsErrorCode(err);
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (isDeleteMarker(err)) return { ready: false, reason: 'the version is a delete marker: the object is gone (HeadObject answered 405)' };
    // HeadObject answers 403 for a missing key to a caller without s3:ListBucket.
    if (status === 404 || status === 403 || code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion' || code === 'Forbidden' || code === 'AccessDenied') {
      return { ready: false, reason: `HeadObject answered ${code ?? status}` };
    }
    throw err;
  }
  if (inspection.state === 'RESTORED' || inspection.state === 'NOT_ARCHIVED') return { ready: true, inspection };
  return { ready: false, reason: inspection.state === 'RESTORE_IN_PROGRESS' ? 'S3 says the restore is still ongoing' : 'S3 shows no restored copy' };
}

async function resume(deps: CompletedDeps, record: ObjectRecord, readyHanded: boolean): Promise<'now' | 'already-handled'> {
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: record.taskToken!, output: JSON.stringify(completionOutput(record, readyHanded)) }));
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

function stale(deps: CompletedDeps, record: ObjectRecord, reason: string): CompletedResult {
  deps.log.info('restore event of an earlier cycle ignored', { objectId: record.objectId, cycle: record.cycle, reason });
  return { outcome: 'stale', objectId: record.objectId, reason };
}

function ignore(deps: CompletedDeps, reason: string): CompletedResult {
  deps.log.warn('restore event ignored', { reason });
  return { outcome: 'ignored', reason };
}
