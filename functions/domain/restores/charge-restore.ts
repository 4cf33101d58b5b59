/**
 * Pricing a restore and adding it to the month's ledger before RestoreObject is sent, so that
 * the budget is checked by the same conditional write that spends it. A restore over its rule's
 * cost limit, or over the month's budget, waits for a person unless it was approved already
 * (or its rule says to restore at Bulk instead).
 */
import type { ArchiveKind, RestoreTier } from '../rules/archive.js';
import { ApprovalRequiredError } from '../rules/errors.js';
import { formatUsd, microUsdOf, monthOf, restoreCost, type RestoreCost, type RestorePrices } from '../rules/restore-cost.js';
import type { PolicyDecision, RestorePolicy } from '../rules/restore-policy.js';
import type { CostLedger } from '../stores/ledger.js';
import type { ObjectRecords } from '../stores/records.js';

export interface ChargeDeps {
  ledger: CostLedger;
  records: ObjectRecords;
  prices: RestorePrices;
  now: () => Date;
}

export interface RestoreToCharge {
  objectId: string;
  cycle: number;
  bucket: string;
  kind: ArchiveKind;
  size: number;
}

export interface ChargedRestore {
  tier: RestoreTier;
  cost: RestoreCost;
  month: string;
  /** False when a retried step found the charge already made. */
  charged: boolean;
  downgraded: boolean;
}

export async function chargeRestore(deps: ChargeDeps, restore: RestoreToCharge, decision: Extract<PolicyDecision, { allowed: true }>, policy: RestorePolicy): Promise<ChargedRestore> {
  const record = await deps.records.get(restore.objectId);
  const current = record?.cycle === restore.cycle ? record : undefined;
  const approved = current?.approval?.decision === 'APPROVED';
  const month = monthOf(deps.now());
  const cost = restoreCost(deps.prices, restore.kind, decision.tier, restore.size);
  // What the approvers and the readers are told it costs.
  const holdForApproval = () => deps.records.update(restore.objectId, restore.cycle, { costMicroUsd: cost.microUsd, policyRule: decision.rule });
  if (!approved && decision.approvalAboveUsd !== undefined && cost.microUsd > microUsdOf(decision.approvalAboveUsd)) {
    await holdForApproval();
    throw new ApprovalRequiredError(`the restore costs ${formatUsd(cost.microUsd)}, over the ${formatUsd(microUsdOf(decision.approvalAboveUsd))} that rule ${decision.rule} allows without approval`);
  }
  // The cycle's reader: the one who opened it (the only subscriber when the restore is requested,
  // unless others joined in the seconds between; then the first by id, so a retry picks the same).
  const readerId = Object.keys(current?.subscribers ?? {}).sort()[0] ?? 'unknown';
  const charge = { month, chargeId: `${restore.objectId}#${restore.cycle}`, bucket: restore.bucket, readerId };
  // An approved restore is counted but not held to the budget: a person decided to spend it.
  const budget = approved || policy.monthlyBudgetUsd === undefined ? undefined : microUsdOf(policy.monthlyBudgetUsd);
  const result = await deps.ledger.charge({ ...charge, tier: decision.tier, microUsd: cost.microUsd }, budget);
  if (result !== 'OVER_BUDGET') return { tier: decision.tier, cost, month, charged: result === 'CHARGED', downgraded: false };
  if (decision.downgradeToBulk && decision.tier !== 'Bulk') {
    const bulk = restoreCost(deps.prices, restore.kind, 'Bulk', restore.size);
    // Bulk is what the rule accepts once the budget is spent; it is counted, not held back.
    const bulkResult = await deps.ledger.charge({ ...charge, tier: 'Bulk', microUsd: bulk.microUsd });
    return { tier: 'Bulk', cost: bulk, month, charged: bulkResult === 'CHARGED', downgraded: true };
  }
  await holdForApproval();
  throw new ApprovalRequiredError(`the restore costs ${formatUsd(cost.microUsd)} and the ${formatUsd(budget ?? 0)} budget of ${month} does not cover it`);
}
