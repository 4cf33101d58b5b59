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
import type { Charge, CostLedger } from '../stores/ledger.js';
import type { ObjectRecord, ObjectRecords } from '../stores/records.js';

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
  /** The cycle's reader, as the inspection found the record (`chargedReaderOf`): without it, the record is read. */
  readerId?: string;
}

/**
 * Whom a cycle's restore is counted against: the reader who opened it (the only subscriber when
 * the restore is requested, unless others joined in the seconds between; then the first by id,
 * so a retry picks the same).
 */
export function chargedReaderOf(record: Pick<ObjectRecord, 'subscribers'> | undefined): string {
  return Object.keys(record?.subscribers ?? {}).sort()[0] ?? 'unknown';
}

export interface ChargedRestore {
  tier: RestoreTier;
  cost: RestoreCost;
  month: string;
  /** False when a retried step found the charge already made. */
  charged: boolean;
  downgraded: boolean;
  /** What the ledger holds for this restore, to take back if S3 does not run it. */
  entry: Charge;
}

export async function chargeRestore(deps: ChargeDeps, restore: RestoreToCharge, decision: Extract<PolicyDecision, { allowed: true }>, policy: RestorePolicy): Promise<ChargedRestore> {
  // The record is read only when something needs it: an approval (a limit or a budget applies),
  // or the cycle's reader when the inspection did not pass it on.
  let record: Promise<ObjectRecord | undefined> | undefined;
  const current = () => (record ??= deps.records.get(restore.objectId).then((r) => (r?.cycle === restore.cycle ? r : undefined)));
  const approved = async () => (await current())?.approval?.decision === 'APPROVED';
  const month = monthOf(deps.now());
  const cost = restoreCost(deps.prices, restore.kind, decision.tier, restore.size);
  // What the approvers and the readers are told it costs.
  const holdForApproval = () => deps.records.update(restore.objectId, restore.cycle, { costMicroUsd: cost.microUsd, policyRule: decision.rule });
  if (decision.approvalAboveUsd !== undefined && cost.microUsd > microUsdOf(decision.approvalAboveUsd) && !(await approved())) {
    await holdForApproval();
    throw new ApprovalRequiredError(`the restore costs ${formatUsd(cost.microUsd)}, over the ${formatUsd(microUsdOf(decision.approvalAboveUsd))} that rule ${decision.rule} allows without approval`);
  }
  const readerId = restore.readerId ?? chargedReaderOf(await current());
  const charge = { month, chargeId: `${restore.objectId}#${restore.cycle}`, bucket: restore.bucket, readerId };
  // An approved restore is counted but not held to the budget: a person decided to spend it.
  const budget = policy.monthlyBudgetUsd === undefined || (await approved()) ? undefined : microUsdOf(policy.monthlyBudgetUsd);
  const entry: Charge = { ...charge, tier: decision.tier, microUsd: cost.microUsd };
  const result = await deps.ledger.charge(entry, budget);
  if (result !== 'OVER_BUDGET') return { tier: decision.tier, cost, month, charged: result === 'CHARGED', downgraded: false, entry };
  if (decision.downgradeToBulk && decision.tier !== 'Bulk') {
    const bulk = restoreCost(deps.prices, restore.kind, 'Bulk', restore.size);
    // Bulk is what the rule accepts once the budget is spent; it is counted, not held back.
    const bulkEntry: Charge = { ...charge, tier: 'Bulk', microUsd: bulk.microUsd };
    const bulkResult = await deps.ledger.charge(bulkEntry);
    return { tier: 'Bulk', cost: bulk, month, charged: bulkResult === 'CHARGED', downgraded: true, entry: bulkEntry };
  }
  await holdForApproval();
  throw new ApprovalRequiredError(`the restore costs ${formatUsd(cost.microUsd)} and the ${formatUsd(budget ?? 0)} budget of ${month} does not cover it`);
}

/**
 * The restore runs at another tier than the one charged (Expedited had no capacity, S3 asked
 * for Standard): the charge is replaced by the new tier's, which is cheaper, so no budget check.
 */
export async function rechargeAtTier(
  deps: Pick<ChargeDeps, 'ledger' | 'prices'>,
  charged: ChargedRestore,
  restore: Pick<RestoreToCharge, 'kind' | 'size'>,
  tier: RestoreTier,
): Promise<ChargedRestore> {
  await deps.ledger.refund(charged.entry);
  const cost = restoreCost(deps.prices, restore.kind, tier, restore.size);
  const entry: Charge = { ...charged.entry, tier, microUsd: cost.microUsd };
  const result = await deps.ledger.charge(entry);
  return { ...charged, tier, cost, charged: result === 'CHARGED', entry };
}
