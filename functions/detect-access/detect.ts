/**
 * A failed read of an archived object: record it, add the reader to the object's restore,
 * and make sure exactly one workflow execution runs for the object's current cycle.
 */
import { isWatched } from '../domain/wiring/config.js';
import { archivedReadEventSchema } from '../domain/rules/events.js';
import { describeIssues } from '../domain/rules/zod-issues.js';
import { objectIdOf, type ObjectRef } from '../domain/rules/object-id.js';
import { describeReader, readerFromIdentity, type Reader } from '../domain/rules/reader.js';
import { startOrJoinRestore, type RestoreStartDeps } from '../domain/restores/start-restore.js';
import type { Log } from '../domain/wiring/logger.js';
import { readTargetOf } from './read-target.js';

export interface DetectDeps extends RestoreStartDeps {
  watchedBuckets: readonly string[];
  accountId: string;
  log: Log;
}

export type DetectResult = { outcome: 'ignored'; reason: string } | { outcome: 'started' | 'joined'; objectId: string; cycle: number; executionArn: string; executionName: string };

export async function detectAccess(event: unknown, deps: DetectDeps): Promise<DetectResult> {
  const parsed = archivedReadEventSchema.safeParse(event);
  if (!parsed.success) return ignore(deps, `not an archived-object read: ${describeIssues(parsed.error, '(event)')}`);
  const { detail } = parsed.data;
  const owner = detail.recipientAccountId ?? parsed.data.account;
  const target = readTargetOf(detail.requestParameters, detail.resources);
  // CloudTrail's requestParameters.key is the key the request named, not an event-notification
  // encoding of it (the documented examples show plain keys), so it is used as is.
  const ref: ObjectRef = {
    bucket: 'bucket' in target ? target.bucket : detail.requestParameters.bucketName,
    key: detail.requestParameters.key,
    ...(detail.requestParameters.versionId ? { versionId: detail.requestParameters.versionId } : {}),
  };
  if (owner !== deps.accountId) return ignore(deps, `event from foreign account ${owner}`, ref);
  if ('unattributed' in target) return ignore(deps, target.unattributed, ref);
  if (!isWatched(ref.bucket, deps.watchedBuckets)) return ignore(deps, `bucket ${ref.bucket} is not watched`, ref);
  if (target.accessPoint) deps.log.info('read through an access point attributed to its bucket', { accessPoint: target.accessPoint, bucket: ref.bucket });

  const objectId = objectIdOf(ref);
  const readTime = new Date(detail.eventTime);
  // A caller CloudTrail cannot name is still a read: it is recorded, and no email can be sent.
  // One it names without an ARN is recorded with every identifier it has, each a key a
  // principal mapping added later can use.
  const reader: Reader = readerFromIdentity(detail.userIdentity) ?? { id: `anonymous:${detail.sourceIPAddress ?? 'unknown'}` };

  // The audit entry comes first and is keyed by the CloudTrail event id: whatever fails
  // afterwards, the read is in the history, and a duplicate delivery is not recorded twice.
  await deps.audit.record({
    objectId,
    time: readTime,
    type: 'READ_DETECTED',
    dedupeKey: `read#${detail.eventID}`,
    timeIsTheEvents: true,
    detail: {
      reader: describeReader(reader),
      readerId: reader.id,
      readerIdentity: reader,
      eventId: detail.eventID,
      sourceIp: detail.sourceIPAddress,
      userAgent: detail.userAgent,
      ...('accessPoint' in target && target.accessPoint ? { accessPoint: target.accessPoint } : {}),
    },
  });

  const result = await startOrJoinRestore(deps, ref, reader, readTime);
  return { outcome: result.opened ? 'started' : 'joined', objectId, cycle: result.cycle, executionArn: result.executionArn, executionName: result.executionName };
}

async function ignore(deps: DetectDeps, reason: string, ref?: ObjectRef): Promise<DetectResult> {
  deps.log.warn('read ignored', { reason, ...(ref ? { bucket: ref.bucket, key: ref.key } : {}) });
  return { outcome: 'ignored', reason };
}
