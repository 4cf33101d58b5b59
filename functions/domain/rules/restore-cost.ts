/**
 * What one restore costs, from the dated price table (pricing/<region>.json): the request fee
 * plus retrieval per GB for the archive kind and tier. Sums are kept in whole micro-dollars so
 * that the monthly ledger's counters and the sum of the audit entries agree to the last digit.
 */
import type { ArchiveKind, RestoreTier } from './archive.js';

export interface TierPrice {
  perGB: number;
  per1000Requests: number;
}

/** The part of the price table restores need. */
export interface RestorePrices {
  asOf: string;
  restore: Partial<Record<ArchiveKind, Partial<Record<RestoreTier, TierPrice>>>>;
}

export interface RestoreCost {
  /** The whole cost in micro-dollars (1e-6 USD), rounded to the nearest. */
  microUsd: number;
  requestMicroUsd: number;
  retrievalMicroUsd: number;
  /** The date of the price table the figure comes from. */
  pricesAsOf: string;
}

/** S3 bills retrieval per GB of 2^30 bytes. */
const BYTES_PER_GB = 1024 ** 3;

export class UnpricedRestoreError extends RangeError {
  override readonly name = 'UnpricedRestoreError';
}

export function restoreCost(prices: RestorePrices, kind: ArchiveKind, tier: RestoreTier, sizeBytes: number): RestoreCost {
  const price = prices.restore[kind]?.[tier];
  if (!price) throw new UnpricedRestoreError(`the price table of ${prices.asOf} has no price for ${tier} retrieval of ${kind}`);
  if (!Number.isFinite(sizeBytes) || sizeBytes < 0) throw new UnpricedRestoreError(`an object size must be a non-negative number, got ${sizeBytes}`);
  const requestMicroUsd = Math.round((price.per1000Requests / 1000) * 1e6);
  const retrievalMicroUsd = Math.round((sizeBytes / BYTES_PER_GB) * price.perGB * 1e6);
  return { microUsd: requestMicroUsd + retrievalMicroUsd, requestMicroUsd, retrievalMicroUsd, pricesAsOf: prices.asOf };
}

export function usdOf(microUsd: number): number {
  return microUsd / 1e6;
}

export function microUsdOf(usd: number): number {
  return Math.round(usd * 1e6);
}

/** `$0.012345`: micro-dollars shown as dollars, with the cents and at most six decimals. */
export function formatUsd(microUsd: number): string {
  const text = usdOf(microUsd)
    .toFixed(6)
    .replace(/0{1,4}$/, '');
  return `$${text}`;
}

/** The ledger's month of a time: `YYYY-MM` in UTC. */
export function monthOf(time: Date): string {
  return time.toISOString().slice(0, 7);
}
