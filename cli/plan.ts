/**
 * Pure planning for `autorestore restore`: what each listed object needs, whether the
 * requested options are valid for it, and what the restore will cost and take.
 */
import { archiveKindOf, isIntelligentTiering, RESTORE_TIERS, restoreDurationMs, tierAllowed, type ArchiveKind, type RestoreTier } from '../functions/domain/rules/archive.js';
import { restoreCost, usdOf, type RestorePrices } from '../functions/domain/rules/restore-cost.js';
import { loadPriceTable } from '../infra/price-table.js';
import { UsageError } from './s3-url.js';

export interface ListedObject {
  key: string;
  size: number;
  storageClass: string;
  /** Intelligent-Tiering archive tier, when known (HeadObject). */
  archiveStatus?: string;
  /** Whether a HeadObject looked for the Intelligent-Tiering tier. */
  tierChecked?: boolean;
  restoreInProgress?: boolean;
  restoreExpiry?: string;
}

export type ObjectState = 'NOT_ARCHIVED' | 'ARCHIVED' | 'RESTORE_IN_PROGRESS' | 'RESTORED' | 'UNKNOWN_TIER';

/** The object's archive tier, by the same rule as the workflow's inspection of a HeadObject answer. */
function kindOf(o: ListedObject): ArchiveKind | undefined {
  return archiveKindOf({ StorageClass: o.storageClass, ArchiveStatus: o.archiveStatus });
}

/**
 * ListObjectsV2 with RestoreStatus tells restore state but not an Intelligent-Tiering object's
 * tier; such an object is UNKNOWN_TIER until a HeadObject says.
 */
export function stateOf(o: ListedObject): ObjectState {
  if (o.restoreInProgress) return 'RESTORE_IN_PROGRESS';
  if (o.restoreExpiry || (o.restoreInProgress === false && o.storageClass !== 'INTELLIGENT_TIERING')) return 'RESTORED';
  if (kindOf(o)) return 'ARCHIVED';
  if (o.storageClass === 'INTELLIGENT_TIERING' && !o.tierChecked) return 'UNKNOWN_TIER';
  return 'NOT_ARCHIVED';
}

export interface RestoreRequestOptions {
  tier?: RestoreTier;
  days?: number;
}

export interface Plan {
  restore: (ListedObject & { kind: ArchiveKind })[];
  skipped: { key: string; reason: 'not archived' | 'already restored' | 'restore in progress' | `not allowed by the restore policy: ${string}` }[];
  totals: { objects: number; bytes: number };
  estimates: TierEstimate[];
}

export interface TierEstimate {
  tier: RestoreTier;
  available: boolean;
  costUsd: number;
  /** The latest documented completion among the objects, from now. */
  readyBy?: string;
}

/** Validates the options against every object to restore; throws a UsageError naming the first problem. */
export function planRestore(objects: ListedObject[], options: RestoreRequestOptions, now: Date, prices: PriceTable = loadPrices()): Plan {
  const restore: Plan['restore'] = [];
  const skipped: Plan['skipped'] = [];
  for (const o of objects) {
    const state = stateOf(o);
    if (state === 'NOT_ARCHIVED') skipped.push({ key: o.key, reason: 'not archived' });
    else if (state === 'RESTORED') skipped.push({ key: o.key, reason: 'already restored' });
    else if (state === 'RESTORE_IN_PROGRESS') skipped.push({ key: o.key, reason: 'restore in progress' });
    else if (state === 'UNKNOWN_TIER') throw new Error(`internal: the tier of ${o.key} was not looked up`);
    else restore.push({ ...o, kind: kindOf(o)! });
  }
  for (const o of restore) {
    if (options.days !== undefined && isIntelligentTiering(o.kind)) throw new UsageError(`--days cannot be used for ${o.key}: Intelligent-Tiering archive tiers take no Days`);
    if (options.tier && !tierAllowed(o.kind, options.tier)) throw new UsageError(`${options.tier} retrieval is not available for ${o.key} (${o.kind})`);
  }
  const estimates = RESTORE_TIERS.map((tier) => estimate(restore, tier, now, prices));
  return { restore, skipped, totals: { objects: restore.length, bytes: restore.reduce((n, o) => n + o.size, 0) }, estimates };
}

function estimate(objects: Plan['restore'], tier: RestoreTier, now: Date, prices: PriceTable): TierEstimate {
  if (objects.some((o) => !tierAllowed(o.kind, tier) || !prices.restore[o.kind]?.[tier])) return { tier, available: false, costUsd: 0 };
  let microUsd = 0;
  let latest = 0;
  for (const o of objects) {
    microUsd += restoreCost(prices, o.kind, tier, o.size).microUsd;
    latest = Math.max(latest, restoreDurationMs(o.kind, tier));
  }
  return { tier, available: true, costUsd: Math.round(usdOf(microUsd) * 10_000) / 10_000, ...(objects.length ? { readyBy: new Date(now.getTime() + latest).toISOString() } : {}) };
}

export type PriceTable = RestorePrices;

export const loadPrices: () => PriceTable = loadPriceTable;

/** A restore this big, or Expedited, is confirmed before it starts. */
export function needsConfirmation(plan: Plan, tier: RestoreTier | undefined): boolean {
  return tier === 'Expedited' || plan.restore.length > 100 || plan.totals.bytes > 100 * 1024 ** 3;
}
