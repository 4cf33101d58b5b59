/**
 * The workflow's own steps: look at the object, ask S3 for the restore, hand the task token
 * to the object's record, close the cycle. One function, switched on `action`, so the state
 * machine graph shows one task per step while the code stays in one place.
 */
import { HeadObjectCommand, RestoreObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import {
  RESTORE_TIERS,
  expectedReadyAt,
  inspectAfterArchived,
  inspectArchiveState,
  restoreRequestFor,
  tierAllowed,
  type ArchiveInspection,
  type ArchiveKind,
  type HeadObjectFacts,
  type RestoreTier,
} from '../domain/rules/archive.js';
import type { AuditLog, BatchableAuditInput } from '../domain/stores/audit.js';
import type { TierByKind } from '../domain/wiring/config.js';
import {
  InvalidInputError,
  ObjectGoneError,
  RestoreNotPossibleError,
  RestoreRefusedByPolicyError,
  TransientServiceError,
  awsErrorCode,
  isDeleteMarker,
  isTransientAwsError,
  withWorkflowErrors,
} from '../domain/rules/errors.js';
import { DEFAULT_RESTORE_POLICY, PolicyTierError, decideRestore, resolvePolicy, type RestorePolicyConfig } from '../domain/rules/restore-policy.js';
import type { RestorePrices } from '../domain/rules/restore-cost.js';
import type { CostLedger } from '../domain/stores/ledger.js';
import { noticeFileOf, type NoticeBook } from '../domain/stores/notices.js';
import { describeReader } from '../domain/rules/reader.js';
import { chargeRestore, chargedReaderOf, rechargeAtTier } from '../domain/restores/charge-restore.js';
import type { ObjectRef } from '../domain/rules/object-id.js';
import { completionOutput, type CloseOutcome, type ObjectRecord, type ObjectRecords, type OnceFields } from '../domain/stores/records.js';
import { handOverFields, queueHandedNotices } from '../domain/restores/hand-over.js';
import type { Log } from '../domain/wiring/logger.js';
import { describeIssues } from '../domain/rules/zod-issues.js';

export interface StepDeps {
  s3: S3Client;
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  tiers: TierByKind;
  restoreDays: number;
  /** Rules over `tiers` and `restoreDays`; none: every object gets those (the behaviour before policies). */
  policy?: RestorePolicyConfig;
  prices: RestorePrices;
  ledger: CostLedger;
  notices: NoticeBook;
  maxWaitCycles: number;
  now: () => Date;
  log: Log;
}

const objectRef = z.object({ bucket: z.string().min(1), key: z.string().min(1), versionId: z.string().optional() });
const cycleInput = { object: objectRef, objectId: z.string().min(1), cycle: z.number().int().positive() };

export const stepInputSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('inspect'), ...cycleInput, executionArn: z.string().optional() }),
  z.object({ action: z.literal('recheck'), ...cycleInput }),
  z.object({
    action: z.literal('requestRestore'),
    ...cycleInput,
    archiveKind: z.string(),
    /** The object's size in bytes, from the inspection: the restore's cost depends on it. */
    size: z.number().int().min(0),
    /** Overrides from the request that opened the cycle (the CLI's --tier / --days). */
    options: z.object({ tier: z.enum(RESTORE_TIERS).optional(), days: z.number().int().min(1).max(30_000).optional() }).default({}),
    /** The inspection's result: its reader spares the charge a read of the record (absent from workflows started before it carried one). */
    inspection: z.object({ readerId: z.string().min(1).optional() }).optional(),
    /** The task waits on this token for the restore to complete (absent from workflows whose wait was a step of its own). */
    taskToken: z.string().min(1).optional(),
  }),
  z.object({
    action: z.literal('awaitRestore'),
    ...cycleInput,
    taskToken: z.string().min(1),
    /**
     * The inspection that led to the wait. The first inspection's (no `waitCount`): S3 was
     * already restoring, and this wait hands the readers' "started" notices over. A recheck's
     * after a timeout (`waitCount`): a step before it did. Absent from workflows started when the
     * hand-over was a step of its own, which had run it.
     */
    inspection: z.object({ waitCount: z.number().int().optional() }).optional(),
  }),
  z.object({
    action: z.literal('awaitApproval'),
    ...cycleInput,
    taskToken: z.string().min(1),
    /** What the restore request's Catch kept: the ApprovalRequiredError, its message in Cause. */
    request: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
  }),
  z.object({
    action: z.literal('readyNoticeFailed'),
    ...cycleInput,
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
  z.object({
    action: z.literal('close'),
    ...cycleInput,
    outcome: z.enum(['NOT_ARCHIVED', 'GONE', 'FAILED', 'OVERDUE', 'REFUSED', 'DENIED']),
    /** The state's whole input: carries `error` when a Catch brought the workflow here. */
    state: z
      .object({ error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional() })
      .loose()
      .optional(),
  }),
]);
export type StepInput = z.infer<typeof stepInputSchema>;

export type InspectResult = {
  state: ArchiveInspection['state'] | 'GONE';
  storageClass?: string;
  archiveKind?: ArchiveKind;
  expiryDate?: string;
  size?: number;
  /** An archived object: whom its restore is charged to, read from the record the inspection wrote (the request step needs no read of its own). */
  readerId?: string;
};
export type RecheckResult = InspectResult & { waitCount: number; overdue: boolean };
export interface RestoreResult {
  tier: RestoreTier;
  days?: number;
  outcome: 'REQUESTED' | 'ALREADY_IN_PROGRESS' | 'ALREADY_RESTORED';
  expectedReadyAt: string;
  rule: string;
  costMicroUsd: number;
}

export async function runStep(input: unknown, deps: StepDeps): Promise<unknown> {
  const parsed = stepInputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid step input: ${describeIssues(parsed.error, '(input)')}`);
  const step = parsed.data;
  const taskToken = 'taskToken' in step ? step.taskToken : undefined;
  if (!taskToken) return withWorkflowErrors(() => dispatch(step, deps));
  try {
    return await withWorkflowErrors(() => dispatch(step, deps));
  } catch (err) {
    return failTask(taskToken, err, deps);
  }
}

/**
 * A step the workflow waits on by task token reports its own failure by the token, under the
 * error's name, so the state's Retry and Catch see the same name whatever Step Functions makes
 * of a function error during such an invocation. If Step Functions cannot be told, the function
 * fails with the error instead.
 */
async function failTask(taskToken: string, err: unknown, deps: StepDeps): Promise<{ failed: string }> {
  const error = err instanceof Error ? err : new Error(String(err));
  try {
    await deps.sfn.send(new SendTaskFailureCommand({ taskToken, error: error.name, cause: JSON.stringify({ errorType: error.name, errorMessage: error.message }) }));
  } catch (sendError) {
    deps.log.warn('the task could not be failed by its token; the function fails instead', { error: error.name, sendError: sendError instanceof Error ? sendError.name : String(sendError) });
    throw error;
  }
  return { failed: error.name };
}

function dispatch(step: StepInput, deps: StepDeps): Promise<unknown> {
  switch (step.action) {
    case 'inspect':
      return inspect(step, deps);
    case 'recheck':
      return recheck(step, deps);
    case 'requestRestore':
      return requestRestore(step, deps);
    case 'awaitRestore':
      return awaitRestore(step, deps);
    case 'awaitApproval':
      return awaitApproval(step, deps);
    case 'readyNoticeFailed':
      return readyNoticeFailed(step, deps);
    case 'close':
      return close(step, deps);
    default:
      return assertNever(step);
  }
}

type SizedInspection = ArchiveInspection & { size: number };

async function headObject(ref: ObjectRef, deps: StepDeps, interpret: (head: HeadObjectFacts) => ArchiveInspection = inspectArchiveState): Promise<SizedInspection | 'GONE'> {
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
    // The size prices the restore; the workflow hands it to the restore request.
    return { ...interpret(head), size: head.ContentLength ?? 0 };
  } catch (err) {
    const code = awsErrorCode(err);
    // HeadObject has no body, so a missing object is a bare 404 ("NotFound"); a version that is
    // a delete marker answers 405 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html).
    if (code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion' || isDeleteMarker(err)) return 'GONE';
    throw translate(err, `HeadObject s3://${ref.bucket}/${ref.key}`);
  }
}

/** Writes what HeadObject said onto the record; a finished restore is recorded as such. */
async function applyInspection(
  step: { objectId: string; cycle: number },
  inspection: SizedInspection | 'GONE',
  deps: StepDeps,
  extra: Partial<Pick<ObjectRecord, 'executionArn' | 'waitCount'>> = {},
): Promise<{ result: InspectResult; record?: ObjectRecord }> {
  if (inspection === 'GONE') return { result: { state: 'GONE' } };
  const restored = inspection.state === 'RESTORED';
  const seen = { ...extra, storageClass: inspection.storageClass, archiveKind: inspection.archiveKind };
  // One write: a restore seen for the first time gets its time, an earlier one keeps its own.
  const record = restored
    ? await deps.records.markRestored(step.objectId, step.cycle, { ...seen, expiryDate: inspection.expiryDate }, { setIfAbsent: { restoredAt: deps.now().toISOString() } })
    : await deps.records.update(step.objectId, step.cycle, seen);
  const result = { state: inspection.state, storageClass: inspection.storageClass, archiveKind: inspection.archiveKind, expiryDate: inspection.expiryDate, size: inspection.size };
  return { result: inspection.state === 'ARCHIVED' ? { ...result, readerId: chargedReaderOf(record) } : result, record };
}

async function inspect(step: Extract<StepInput, { action: 'inspect' }>, deps: StepDeps): Promise<InspectResult> {
  const inspection = await headObject(step.object, deps);
  const { result, record } = await applyInspection(step, inspection, deps, { executionArn: step.executionArn });
  const { readerId: _chargedTo, ...seen } = result;
  // An object gone writes nothing on the record: read for the start's time.
  const known = record ?? (result.state === 'GONE' ? await deps.records.get(step.objectId) : undefined);
  const executionArn = step.executionArn ?? known?.executionArn;
  // The execution records its own start, in one write with its first line: timed by the cycle's
  // start and keyed by the cycle, so every attempt of this step writes the same entry.
  const started: BatchableAuditInput[] =
    known?.cycle === step.cycle && executionArn
      ? [
          {
            objectId: step.objectId,
            time: new Date(known.cycleStartedAt),
            timeIsTheEvents: true,
            type: 'EXECUTION_STARTED',
            cycle: step.cycle,
            dedupeKey: `execution#${step.cycle}`,
            detail: { executionArn, executionName: known.executionName },
          },
        ]
      : [];
  await deps.audit.recordAll([...started, { objectId: step.objectId, time: deps.now(), type: 'OBJECT_INSPECTED', cycle: step.cycle, detail: { ...seen } }]);
  return result;
}

async function recheck(step: Extract<StepInput, { action: 'recheck' }>, deps: StepDeps): Promise<RecheckResult> {
  const before = await deps.records.get(step.objectId);
  const sameCycle = before?.cycle === step.cycle;
  const waitCount = (sameCycle ? (before.waitCount ?? 0) : 0) + 1;
  // The workflow waits only after seeing the object archived (it asked for the restore or found
  // one running); the record keeps the archive kind it saw then.
  const sawArchived = sameCycle && before.archiveKind !== undefined;
  const inspection = await headObject(step.object, deps, sawArchived ? inspectAfterArchived : inspectArchiveState);
  const { result } = await applyInspection(step, inspection, deps, { waitCount });
  // Every state that sends the workflow round again counts against the cap: still restoring
  // (wait again) and archived again (the copy expired before this check and its completion
  // event was lost: request again, one RestoreObject per round).
  const overdue = (result.state === 'RESTORE_IN_PROGRESS' || result.state === 'ARCHIVED') && waitCount >= deps.maxWaitCycles;
  const { readerId: _chargedTo, ...seen } = result;
  await deps.audit.record({ objectId: step.objectId, time: deps.now(), type: 'RESTORE_CHECKED_AFTER_TIMEOUT', cycle: step.cycle, detail: { ...seen, waitCount, overdue } });
  return { ...result, waitCount, overdue };
}

async function requestRestore(step: Extract<StepInput, { action: 'requestRestore' }>, deps: StepDeps): Promise<RestoreResult> {
  const kind = step.archiveKind as ArchiveKind;
  // The kind arrives as a string from the workflow's input: an unknown one has no tier.
  if (!(deps.tiers as Partial<TierByKind>)[kind]) throw new InvalidInputError(`unknown archive kind ${step.archiveKind}`);
  const policy = resolvePolicy(deps.policy ?? DEFAULT_RESTORE_POLICY, { tiers: deps.tiers, days: deps.restoreDays });
  const decision = decideWithPolicy(step, kind, policy);
  let charge = await chargeRestore(deps, { objectId: step.objectId, cycle: step.cycle, bucket: step.object.bucket, kind, size: step.size, readerId: step.inspection?.readerId }, decision, policy);
  let tier: RestoreTier = charge.tier;
  const restoreDays = decision.days;
  let outcome: RestoreResult['outcome'];
  try {
    try {
      outcome = await sendRestore(step.object, kind, tier, restoreDays, deps);
    } catch (err) {
      if (awsErrorCode(err) !== 'GlacierExpeditedRetrievalNotAvailable' || tier !== 'Expedited') throw err;
      // Expedited capacity is not guaranteed; S3 asks to retry later or use Standard.
      await deps.audit.record({ objectId: step.objectId, time: deps.now(), type: 'EXPEDITED_UNAVAILABLE', cycle: step.cycle, detail: { fallbackTier: 'Standard' } });
      tier = 'Standard';
      charge = await rechargeAtTier(deps, charge, { kind, size: step.size }, tier);
      outcome = await sendRestore(step.object, kind, tier, restoreDays, deps);
    }
  } catch (err) {
    // S3 did not take the request, so it bills nothing: neither does the ledger (a retry charges again).
    await deps.ledger.refund(charge.entry);
    throw err;
  }
  const requestedAt = deps.now();
  const readyAt = expectedReadyAt(kind, tier, requestedAt);
  const days = restoreRequestFor(kind, tier, restoreDays).Days;
  const fields = { tier, restoreDays: days, expectedReadyAt: readyAt, policyRule: decision.rule, costMicroUsd: charge.cost.microUsd, ...(charge.downgraded ? { downgradedToBulk: true } : {}) };
  // The same write hands the readers' "started" notices over and stores the waiting task's token.
  // The lines this step writes together are a millisecond apart, so the history keeps their order.
  const handedAt = new Date(requestedAt.getTime() + 1);
  const handOver = handOverFields('started', handedAt);
  const record = await recordRequest(step, outcome, { ...fields, ...handOver.fields }, handOver.setIfAbsent, requestedAt, deps);
  if (!record) throw new InvalidInputError(`${step.objectId} is no longer on cycle ${step.cycle}`);
  const requested: BatchableAuditInput = {
    objectId: step.objectId,
    time: requestedAt,
    type: 'RESTORE_REQUESTED',
    cycle: step.cycle,
    detail: {
      tier,
      days,
      outcome,
      expectedReadyAt: readyAt,
      archiveKind: kind,
      size: step.size,
      rule: decision.rule,
      // `charged`: this request added the cost to the month's ledger (a retried step finds it already there).
      cost: {
        microUsd: charge.cost.microUsd,
        requestMicroUsd: charge.cost.requestMicroUsd,
        retrievalMicroUsd: charge.cost.retrievalMicroUsd,
        pricesAsOf: charge.cost.pricesAsOf,
        month: charge.month,
        charged: charge.charged,
      },
      ...(charge.downgraded ? { downgradedToBulk: true } : {}),
    },
  };
  const waiting = step.taskToken ? [waitingLine(record, new Date(requestedAt.getTime() + 2))] : [];
  await handStartedOver(record, handedAt, [requested, ...waiting], deps);
  if (step.taskToken) await resumeIfRestored(step.taskToken, record, deps);
  return { tier, ...(days ? { days } : {}), outcome, expectedReadyAt: readyAt, rule: decision.rule, costMicroUsd: charge.cost.microUsd };
}

/**
 * Queues the readers' "started" notices with the step's history lines. S3 already runs the
 * restore, so a hand-over that fails must not stop it (nor fail the cycle after the step's
 * retries): the failure is logged, the step's lines are written on their own, and the wait goes
 * on. The readers still hear when the file is ready.
 */
async function handStartedOver(record: ObjectRecord, handedAt: Date, lines: BatchableAuditInput[], deps: StepDeps): Promise<void> {
  try {
    await queueHandedNotices(deps, record, 'started', handedAt, lines);
  } catch (err) {
    deps.log.error('the "started" notices could not be handed to the aggregator; the restore and its wait go on', {
      objectId: record.objectId,
      cycle: record.cycle,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    await deps.audit.recordAll(lines);
  }
}

/**
 * The request's one record write: RESTORING with the task's token (never back from RESTORED,
 * which a completion event may already have written; that write then sets the fields alone),
 * or RESTORED when S3 says the copy is there. Undefined when the record is on another cycle.
 */
async function recordRequest(
  step: Extract<StepInput, { action: 'requestRestore' }>,
  outcome: RestoreResult['outcome'],
  fields: Pick<ObjectRecord, 'tier' | 'restoreDays' | 'expectedReadyAt' | 'policyRule' | 'costMicroUsd' | 'downgradedToBulk' | 'startedNotified'>,
  setIfAbsent: OnceFields,
  requestedAt: Date,
  deps: StepDeps,
): Promise<ObjectRecord | undefined> {
  // S3 says the copy is there: one write, from whatever status, and no token (this step resumes the wait itself).
  if (outcome === 'ALREADY_RESTORED') return deps.records.markRestored(step.objectId, step.cycle, { ...fields, restoredAt: requestedAt.toISOString() }, { setIfAbsent });
  const withToken = { ...fields, ...(step.taskToken ? { taskToken: step.taskToken } : {}) };
  return (await deps.records.markRestoring(step.objectId, step.cycle, withToken, { setIfAbsent })) ?? (await deps.records.update(step.objectId, step.cycle, withToken, { setIfAbsent }));
}

/** The policy's tier and days for the object; a restore the policy does not allow ends the cycle with the reason. */
function decideWithPolicy(step: Extract<StepInput, { action: 'requestRestore' }>, kind: ArchiveKind, policy: ReturnType<typeof resolvePolicy>) {
  try {
    const decision = decideRestore(policy, { bucket: step.object.bucket, key: step.object.key, kind, size: step.size }, step.options);
    if (!decision.allowed) throw new RestoreRefusedByPolicyError(decision.reason);
    return decision;
  } catch (err) {
    if (err instanceof PolicyTierError) throw new RestoreRefusedByPolicyError(err.message);
    throw err;
  }
}

async function sendRestore(ref: ObjectRef, kind: ArchiveKind, tier: RestoreTier, days: number, deps: StepDeps): Promise<RestoreResult['outcome']> {
  if (!tierAllowed(kind, tier)) throw new RestoreNotPossibleError(`${tier} retrieval is not available for ${kind}`);
  try {
    const out = await deps.s3.send(new RestoreObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, RestoreRequest: restoreRequestFor(kind, tier, days) }));
    // 202 Accepted: restore started. 200 OK: a restored copy existed; its expiry was extended.
    return out.$metadata.httpStatusCode === 200 ? 'ALREADY_RESTORED' : 'REQUESTED';
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'RestoreAlreadyInProgress') return 'ALREADY_IN_PROGRESS';
    // An Intelligent-Tiering object that left the archive tiers since it was inspected is readable.
    if (code === 'ObjectAlreadyInActiveTierError' && kind.startsWith('INTELLIGENT_TIERING')) return 'ALREADY_RESTORED';
    if (code === 'GlacierExpeditedRetrievalNotAvailable') throw err;
    if (code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchVersion' || isDeleteMarker(err)) throw new ObjectGoneError(`s3://${ref.bucket}/${ref.key} no longer exists`);
    throw translate(err, `RestoreObject s3://${ref.bucket}/${ref.key}`);
  }
}

async function awaitRestore(step: Extract<StepInput, { action: 'awaitRestore' }>, deps: StepDeps): Promise<{ tokenStored: boolean; resumedNow: boolean }> {
  const now = deps.now();
  // The first wait of a restore found running carries the "started" hand-over in its record write, as the request does.
  const handOver = step.inspection && step.inspection.waitCount === undefined ? handOverFields('started', now) : undefined;
  const record = await deps.records.update(step.objectId, step.cycle, { taskToken: step.taskToken, ...handOver?.fields }, handOver ? { setIfAbsent: handOver.setIfAbsent } : {});
  if (!record) throw new InvalidInputError(`${step.objectId} is no longer on cycle ${step.cycle}`);
  // After the hand-over's NOTICES_QUEUED (timed `now`), so the history keeps their order.
  const waiting = waitingLine(record, handOver ? new Date(now.getTime() + 1) : now);
  if (handOver) await handStartedOver(record, now, [waiting], deps);
  else await deps.audit.record(waiting);
  return { tokenStored: true, resumedNow: await resumeIfRestored(step.taskToken, record, deps) };
}

/** The wait's history line: when the copy is expected, and whether it was already there when the token was stored. */
function waitingLine(record: ObjectRecord, time: Date): BatchableAuditInput {
  return { objectId: record.objectId, time, type: 'WAITING_FOR_RESTORE', cycle: record.cycle, detail: { expectedReadyAt: record.expectedReadyAt, alreadyRestored: record.status === 'RESTORED' } };
}

/**
 * A waiting task whose copy is already there (S3 said so, or its completion event came before
 * the token was stored) is resumed by its own step: nobody else will. True when it was.
 */
async function resumeIfRestored(taskToken: string, record: ObjectRecord, deps: StepDeps): Promise<boolean> {
  if (record.status !== 'RESTORED') return false;
  await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(completionOutput(record)) }));
  return true;
}

/**
 * The restore waits for a person: the task token goes on the record (where `autorestore
 * approve|deny` finds it), the approvers are asked and the readers told, each by a notice the
 * aggregator batches into one email per recipient.
 */
async function awaitApproval(step: Extract<StepInput, { action: 'awaitApproval' }>, deps: StepDeps): Promise<{ waiting: boolean }> {
  const reason = step.request.Cause ? causeMessage(step.request.Cause) : 'approval is needed';
  const now = deps.now();
  const before = await deps.records.get(step.objectId);
  const record = await deps.records.requestApproval(step.objectId, step.cycle, {
    reason,
    requestedAt: now,
    taskToken: step.taskToken,
    costMicroUsd: before?.cycle === step.cycle ? before.costMicroUsd : undefined,
  });
  if (!record) throw new InvalidInputError(`${step.objectId} is no longer on cycle ${step.cycle}, or its approval was already decided`);
  const readers = Object.values(record.subscribers);
  const file = { ...noticeFileOf(record), requestedBy: readers.map((r) => describeReader(r)).join(', ') || 'unknown', approvalReason: reason };
  const policy = deps.policy ?? DEFAULT_RESTORE_POLICY;
  for (const approver of policy.approvers) await deps.notices.enqueue({ id: `approver:${approver}`, email: approver }, 'approval-requested', file, now);
  await deps.notices.enqueueAll(readers, 'awaiting-approval', file, now);
  await deps.audit.record({
    objectId: step.objectId,
    time: now,
    type: 'APPROVAL_REQUESTED',
    cycle: step.cycle,
    dedupeKey: `approval#${step.cycle}`,
    detail: { reason, costMicroUsd: record.costMicroUsd, approvers: policy.approvers, expiresInSeconds: policy.approvalTimeoutSeconds },
  });
  if (policy.approvers.length === 0) deps.log.warn('a restore waits for approval but the policy names no approvers: it expires unless someone runs autorestore approve', { objectId: step.objectId });
  return { waiting: true };
}

const FAILURE_TEXT: Record<CloseOutcome, string> = {
  NOT_ARCHIVED: 'the object is not archived; nothing to restore',
  GONE: 'the object was deleted',
  FAILED: 'S3 refused the restore',
  OVERDUE: 'the restore did not finish in the expected time',
  REFUSED: 'the restore policy does not allow this restore',
  DENIED: 'the restore was not approved',
};

async function close(step: Extract<StepInput, { action: 'close' }>, deps: StepDeps): Promise<{ outcome: CloseOutcome; reason: string }> {
  const error = step.state?.error;
  if (step.outcome === 'DENIED' && error?.Error === 'States.Timeout') await expireApproval(step, deps);
  const reason =
    step.outcome === 'DENIED' && error?.Error === 'States.Timeout'
      ? 'the restore was not approved: the approval request expired'
      : error?.Cause
        ? `${FAILURE_TEXT[step.outcome]}: ${causeMessage(error.Cause)}`
        : FAILURE_TEXT[step.outcome];
  await deps.records.close(step.objectId, step.cycle, step.outcome, reason);
  await deps.audit.record({ objectId: step.objectId, time: deps.now(), type: 'CYCLE_CLOSED', cycle: step.cycle, detail: { outcome: step.outcome, reason, error: error?.Error } });
  return { outcome: step.outcome, reason };
}

/** Nobody decided in time: the request is recorded as expired (unless a decision won the race). */
async function expireApproval(step: Extract<StepInput, { action: 'close' }>, deps: StepDeps): Promise<void> {
  const record = await deps.records.get(step.objectId);
  const token = record?.cycle === step.cycle ? record.approval?.taskToken : undefined;
  if (!token) return;
  const decided = await deps.records.decideApproval(step.objectId, step.cycle, token, { decision: 'EXPIRED', by: 'expiry', decidedAt: deps.now() });
  if (decided)
    await deps.audit.record({
      objectId: step.objectId,
      time: deps.now(),
      type: 'APPROVAL_DECIDED',
      cycle: step.cycle,
      dedupeKey: `decided#${step.cycle}`,
      detail: { decision: 'EXPIRED', by: 'expiry' },
    });
}

/**
 * The object is restored but its "ready" notice could not be handed to the aggregator. The
 * readers must not hear that the restore failed: the notice stays pending (the reconciler
 * hands it again) and the failure is recorded.
 */
async function readyNoticeFailed(step: Extract<StepInput, { action: 'readyNoticeFailed' }>, deps: StepDeps): Promise<{ pending: boolean }> {
  const record = await deps.records.markReadyNoticePending(step.objectId, step.cycle, deps.now());
  const reason = step.error?.Cause ? causeMessage(step.error.Cause) : undefined;
  await deps.audit.record({ objectId: step.objectId, time: deps.now(), type: 'READY_NOTICE_FAILED', cycle: step.cycle, detail: { error: step.error?.Error, reason, pending: Boolean(record) } });
  if (record) deps.log.error('the ready notice could not be handed to the aggregator; it stays pending for the reconciler', { objectId: step.objectId, cycle: step.cycle, error: step.error?.Error });
  // Not pending: the record is on another cycle, so this cycle has nobody left to tell.
  else deps.log.warn('the ready notice was not handed: the record moved on to another cycle', { objectId: step.objectId, cycle: step.cycle, error: step.error?.Error });
  return { pending: Boolean(record) };
}

/** A Lambda error's Cause is a JSON document ({errorType, errorMessage, trace}); keep the message. */
function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: a plain cause
  }
  return cause;
}

/** Maps an AWS SDK error to the workflow's error names: transient ones are retried, the rest end the cycle. */
function translate(err: unknown, what: string): Error {
  const code = awsErrorCode(err) ?? 'UnknownError';
  const message = err instanceof Error ? err.message : String(err);
  if (isTransientAwsError(err)) return new TransientServiceError(`${what}: ${code}: ${message}`);
  return new RestoreNotPossibleError(`${what}: ${code}: ${message}`);
}

function assertNever(value: never): never {
  throw new InvalidInputError(`unknown action ${JSON.stringify(value)}`);
}
