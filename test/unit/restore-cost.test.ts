import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatUsd, monthOf, restoreCost, UnpricedRestoreError, type RestorePrices } from '../../functions/domain/rules/restore-cost.js';

const prices = JSON.parse(readFileSync(new URL('../../pricing/us-east-1.json', import.meta.url), 'utf8')) as RestorePrices;
const GiB = 1024 ** 3;

describe('the cost of one restore', () => {
  // Figures worked by hand from pricing/us-east-1.json: request fee = per1000Requests / 1000,
  // retrieval = GiB x perGB; in micro-dollars (1e-6 USD).
  it.each([
    ['GLACIER', 'Expedited', 2 * GiB, 10_000, 60_000],
    ['GLACIER', 'Standard', 1 * GiB, 50, 10_000],
    ['GLACIER', 'Standard', GiB / 2, 50, 5_000],
    ['GLACIER', 'Bulk', 100 * GiB, 0, 0],
    ['DEEP_ARCHIVE', 'Standard', 10 * GiB, 100, 200_000],
    ['DEEP_ARCHIVE', 'Bulk', 4 * GiB, 25, 10_000],
    ['INTELLIGENT_TIERING_ARCHIVE_ACCESS', 'Expedited', 1 * GiB, 10_000, 30_000],
    ['INTELLIGENT_TIERING_ARCHIVE_ACCESS', 'Standard', 1 * GiB, 0, 0],
    ['INTELLIGENT_TIERING_ARCHIVE_ACCESS', 'Bulk', 1 * GiB, 0, 0],
    ['INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS', 'Standard', 1 * GiB, 0, 0],
    ['INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS', 'Bulk', 1 * GiB, 0, 0],
  ] as const)('%s at %s for %d bytes: request %d + retrieval %d micro-dollars', (kind, tier, size, request, retrieval) => {
    expect(restoreCost(prices, kind, tier, size)).toEqual({ requestMicroUsd: request, retrievalMicroUsd: retrieval, microUsd: request + retrieval, pricesAsOf: '2026-11-01' });
  });

  it('100 TiB from Glacier at Expedited is thousands of dollars, at Bulk free', () => {
    expect(restoreCost(prices, 'GLACIER', 'Expedited', 100 * 1024 * GiB).microUsd).toBe(3_072_010_000);
    expect(restoreCost(prices, 'GLACIER', 'Bulk', 100 * 1024 * GiB).microUsd).toBe(0);
  });

  it('has no price for Expedited from Deep Archive, and refuses a negative size', () => {
    expect(() => restoreCost(prices, 'DEEP_ARCHIVE', 'Expedited', GiB)).toThrow(UnpricedRestoreError);
    expect(() => restoreCost(prices, 'GLACIER', 'Standard', -1)).toThrow(/non-negative/);
  });

  it('shows micro-dollars as dollars and dates by UTC month', () => {
    expect(formatUsd(10_050)).toBe('$0.01005');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(3_072_010_000)).toBe('$3072.01');
    expect(monthOf(new Date('2026-11-30T23:59:59Z'))).toBe('2026-11');
  });
});
