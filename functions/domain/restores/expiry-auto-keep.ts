/**
 * The auto-keep policy: when a Glacier or Deep Archive restore completes, count the object's
 * completed restores within the policy's window (from its audit history, one Query); on the
 * K-th the object is copied onto itself into the policy's storage class, so the next reads
 * need no restore. Each decision, keep or not, is in the audit history.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { decideAutoKeep, SINGLE_COPY_LIMIT_BYTES, type AutoKeepDecision, type AutoKeepPolicy } from '../rules/expiry.js';
import type { AuditLog } from '../stores/audit.js';
import type { ObjectRecord, ObjectRecords } from '../stores/records.js';
import { keepObject } from './expiry-keep.js';

/** Where a failed copy is reported (the function's logger). */
interface ErrorLog {
  error(message: string, context: Record<string, unknown>): void;
}

export interface AutoKeepDeps {
  s3: S3Client;
  audit: AuditLog;
  records: Pick<ObjectRecords, 'update'>;
  now: () => Date;
  log: ErrorLog;
  /** Absent: the policy is off. */
  autoKeep?: AutoKeepPolicy;
}

export async function applyAutoKeep(deps: AutoKeepDeps, record: ObjectRecord): Promise<AutoKeepDecision | undefined> {
  const policy = deps.autoKeep;
  // Only a copy that expires is worth keeping (an Intelligent-Tiering restore has none); an older version is not the object's current bytes.
  if (!policy || !record.expiryDate || record.versionId) return undefined;
  const now = deps.now();
  const history = await deps.audit.history(record.objectId);
  if (history.some((e) => e.type === 'KEPT' && e.cycle === record.cycle)) return undefined;
  const decision = decideAutoKeep(
    policy,
    history.filter((e) => e.type === 'RESTORE_COMPLETED').map((e) => ({ cycle: e.cycle, time: e.time })),
    now,
  );
  await deps.audit.record({
    objectId: record.objectId,
    time: now,
    type: 'AUTO_KEEP_DECIDED',
    cycle: record.cycle,
    dedupeKey: `auto-keep#${record.cycle}`,
    detail: { ...decision, afterRestores: policy.afterRestores, withinDays: policy.withinDays, ...(decision.keep ? { storageClass: policy.storageClass } : {}) },
  });
  if (!decision.keep) return decision;
  try {
    // One CopyObject at most: a multipart copy of a larger object outlasts the function, and a timed-out upload stays open (and billed).
    const kept = await keepObject(deps.s3, record.bucket, record.key, policy.storageClass, undefined, { maxBytes: SINGLE_COPY_LIMIT_BYTES });
    await deps.audit.record({
      objectId: record.objectId,
      time: deps.now(),
      type: 'KEPT',
      cycle: record.cycle,
      dedupeKey: `kept#${record.cycle}`,
      detail: { storageClass: policy.storageClass, previousStorageClass: record.storageClass, method: kept.method, ...(kept.parts ? { parts: kept.parts } : {}), by: 'auto-keep policy' },
    });
    // A kept object no longer expires: its readers get no "expires soon" reminder.
    await deps.records.update(record.objectId, record.cycle, {}, { remove: ['expiringPartition'] });
  } catch (err) {
    // The restore itself succeeded: the readers still get their file; the copy is tried again on the next restore.
    deps.log.error('auto-keep copy failed', { objectId: record.objectId, cycle: record.cycle, error: (err as Error).name, message: (err as Error).message });
  }
  return decision;
}
