/**
 * For applications: read an object, or, if it is archived, start (or join) its restore and get
 * a typed "restore pending" answer with the expected ready time and the execution to follow.
 * The request goes through the same path as a detected read: same audit history, same emails.
 */
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { expectedReadyAt, inspectArchiveState, type RestoreTier } from '../functions/domain/rules/archive.js';
import type { AuditLog } from '../functions/domain/stores/audit.js';
import type { NoticeBook } from '../functions/domain/stores/notices.js';
import { objectIdOf, type ObjectRef } from '../functions/domain/rules/object-id.js';
import type { Reader } from '../functions/domain/rules/reader.js';
import { orderRestore } from '../functions/domain/restores/order-restore.js';
import type { ObjectRecords } from '../functions/domain/stores/records.js';

import { decideRestore, type RestorePolicy } from '../functions/domain/rules/restore-policy.js';
import { checkRestoreRequest } from './restore-request.js';

export interface GetObjectOrRestoreDeps {
  s3: S3Client;
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  notices: NoticeBook;
  stateMachineArn: string;
  /** Deployment default tier, for the expected ready time when the record does not say yet. */
  defaultTier?: RestoreTier;
  /** The deployment's restore policy: an object it never restores is answered without starting anything (the workflow would refuse it too). */
  policy?: RestorePolicy;
}

export type GetObjectOrRestoreResult =
  | { kind: 'object'; object: GetObjectCommandOutput }
  | { kind: 'restore-pending'; objectId: string; executionArn: string; cycle: number; joined: boolean; storageClass: string; expectedReadyAt?: string; rule?: string }
  /** The restore policy does not restore this object: nothing was started. */
  | { kind: 'restore-refused'; rule: string; reason: string; storageClass: string };

/**
 * Throws InvalidRestoreRequestError, before any call, for options the workflow would refuse
 * (days outside 1..30,000, an unknown tier) or a reader email that is not an address.
 */
export async function getObjectOrRestore(deps: GetObjectOrRestoreDeps, ref: ObjectRef, reader: Reader, options: { tier?: RestoreTier; days?: number } = {}): Promise<GetObjectOrRestoreResult> {
  checkRestoreRequest({ ...options, notify: reader.email });
  try {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
    return { kind: 'object', object };
  } catch (err) {
    if ((err as Error).name !== 'InvalidObjectState') throw err;
  }
  const now = new Date();
  let rule: string | undefined;
  if (deps.policy) {
    const before = await deps.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
    const kind = inspectArchiveState(before).archiveKind;
    if (kind) {
      const decision = decideRestore(deps.policy, { bucket: ref.bucket, key: ref.key, kind, size: before.ContentLength ?? 0 }, options);
      if (!decision.allowed) return { kind: 'restore-refused', rule: decision.rule, reason: decision.reason, storageClass: before.StorageClass ?? 'STANDARD' };
      rule = decision.rule;
    }
  }
  const started = await orderRestore({ ...deps, now: () => new Date() }, ref, reader, options, 'getObjectOrRestore');
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
  const inspection = inspectArchiveState(head);
  const record = await deps.records.get(objectIdOf(ref));
  const tier = record?.tier ?? options.tier ?? deps.defaultTier ?? 'Standard';
  const readyAt = record?.expectedReadyAt ?? (inspection.archiveKind ? expectedReadyAt(inspection.archiveKind, tier, now) : undefined);
  return {
    kind: 'restore-pending',
    objectId: started.objectId,
    executionArn: started.executionArn,
    cycle: started.cycle,
    joined: !started.opened,
    storageClass: inspection.storageClass,
    ...(readyAt ? { expectedReadyAt: readyAt } : {}),
    ...(rule ? { rule } : {}),
  };
}
