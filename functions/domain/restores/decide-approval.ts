/**
 * A person's decision on a restore that waits for approval (`autorestore approve|deny`): the
 * decision is written first, conditionally, so that of two approvers (or an approver and the
 * expiry) exactly one decides; then the waiting task is resumed (approved) or failed (denied).
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut, type SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalDeniedError } from '../rules/errors.js';
import type { AuditLog } from '../stores/audit.js';
import type { ObjectRecord, ObjectRecords } from '../stores/records.js';

export interface ApprovalDeps {
  sfn: SFNClient;
  records: ObjectRecords;
  audit: AuditLog;
  now: () => Date;
}

export interface ApprovalDecision {
  decision: 'APPROVED' | 'DENIED';
  /** The approver's identity (an ARN or an access key id). */
  by: string;
  reason?: string;
}

export type DecisionResult =
  | { decided: true; record: ObjectRecord }
  /** Nothing waits: no approval was asked, it was decided already, or the request expired. */
  | { decided: false; why: string };

const DENIED = new ApprovalDeniedError().name;

export async function decideApproval(deps: ApprovalDeps, objectId: string, decision: ApprovalDecision): Promise<DecisionResult> {
  const record = await deps.records.get(objectId);
  const approval = record?.approval;
  if (!record || !approval) return { decided: false, why: 'no restore of this object waits for approval' };
  if (approval.decision !== 'PENDING' || !approval.taskToken)
    return { decided: false, why: `its approval was already decided: ${approval.decision.toLowerCase()}${approval.by ? ` by ${approval.by}` : ''}` };
  const decidedAt = deps.now();
  const decided = await deps.records.decideApproval(objectId, record.cycle, approval.taskToken, { ...decision, decidedAt });
  if (!decided) return { decided: false, why: 'someone else decided it first' };
  await deps.audit.record({
    objectId,
    time: decidedAt,
    type: 'APPROVAL_DECIDED',
    cycle: record.cycle,
    dedupeKey: `decided#${record.cycle}`,
    detail: { decision: decision.decision, by: decision.by, ...(decision.reason ? { reason: decision.reason } : {}), costMicroUsd: approval.costMicroUsd },
  });
  try {
    if (decision.decision === 'APPROVED') {
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: approval.taskToken, output: JSON.stringify({ decision: 'APPROVED', by: decision.by }) }));
    } else {
      // The cause is what the readers are told; Step Functions allows 32,768 characters.
      await deps.sfn.send(
        new SendTaskFailureCommand({ taskToken: approval.taskToken, error: DENIED, cause: `denied by ${decision.by}${decision.reason ? `: ${decision.reason.slice(0, 4000)}` : ''}` }),
      );
    }
  } catch (err) {
    // The wait ended on its own meanwhile (it expired): the expiry closes the cycle.
    if (err instanceof TaskTimedOut || err instanceof TaskDoesNotExist) return { decided: false, why: 'the approval request expired before the decision reached it' };
    throw err;
  }
  return { decided: true, record: decided };
}
