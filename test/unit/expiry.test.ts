import { describe, expect, it } from 'vitest';
import { copyPartRanges, copyPartSize, decideAutoKeep, restoredCopyRefusal, SINGLE_COPY_LIMIT_BYTES, splitByRestoredCopy } from '../../functions/domain/rules/expiry.js';
import { planKeep, type StoragePriceTable } from '../../cli/keep-plan.js';
import { taggingHeader } from '../../functions/domain/restores/expiry-keep.js';

const GiB = 1024 ** 3;
const prices: StoragePriceTable = {
  asOf: 'test',
  storagePerGBMonth: { STANDARD: 0.023, GLACIER: 0.0036, DEEP_ARCHIVE: 0.00099 },
  putCopyPer1000Requests: { STANDARD: 0.005 },
};

describe('which restored copies can be extended or kept', () => {
  it.each([
    [{ key: 'a', storageClass: 'GLACIER', restoreInProgress: false, restoreExpiry: '2026-12-01T00:00:00.000Z' }, undefined],
    [{ key: 'a', storageClass: 'DEEP_ARCHIVE', restoreInProgress: false, restoreExpiry: '2026-12-01T00:00:00.000Z' }, undefined],
    [{ key: 'a', storageClass: 'GLACIER', restoreInProgress: true }, 'the restore is still in progress'],
    [{ key: 'a', storageClass: 'GLACIER' }, 'not restored (restore it first: autorestore restore)'],
    [{ key: 'a', storageClass: 'STANDARD' }, 'not archived (STANDARD)'],
    [{ key: 'a', storageClass: 'GLACIER_IR' }, 'not archived (GLACIER_IR)'],
    [{ key: 'a', storageClass: 'INTELLIGENT_TIERING', restoreInProgress: false }, 'Intelligent-Tiering: a restore moves it back to a frequent access tier, no copy expires'],
  ])('%j -> %s', (o, reason) => {
    expect(restoredCopyRefusal(o)).toBe(reason);
  });

  it('splits a listing into eligible objects and refusals with their reasons', () => {
    const { eligible, refused } = splitByRestoredCopy([
      { key: 'kept', storageClass: 'GLACIER', restoreInProgress: false, restoreExpiry: '2026-12-01T00:00:00.000Z' },
      { key: 'cold', storageClass: 'GLACIER' },
    ]);
    expect(eligible.map((o) => o.key)).toEqual(['kept']);
    expect(refused).toEqual([{ key: 'cold', reason: 'not restored (restore it first: autorestore restore)' }]);
  });
});

describe('multipart copies', () => {
  it('part ranges cover every byte once, the last part shorter', () => {
    expect(copyPartRanges(10, 4)).toEqual([
      { partNumber: 1, range: 'bytes=0-3' },
      { partNumber: 2, range: 'bytes=4-7' },
      { partNumber: 3, range: 'bytes=8-9' },
    ]);
  });

  it('parts grow so that no object needs more than 10,000 of them', () => {
    expect(copyPartSize(6 * GiB)).toBe(512 * 1024 ** 2);
    const fiveTiB = 5 * 1024 * GiB;
    expect(copyPartRanges(fiveTiB, copyPartSize(fiveTiB))).toHaveLength(10_000);
    expect(() => copyPartRanges(fiveTiB, 512 * 1024 ** 2)).toThrow(/at most 10,000/);
  });

  it('a 6 GiB object is copied in parts, a 5 GiB one in one CopyObject (S3 limit, not lowered)', () => {
    const plan = planKeep(
      [
        { key: 'six', size: 6 * GiB, storageClass: 'GLACIER', restoreExpiry: 'x' },
        { key: 'five', size: SINGLE_COPY_LIMIT_BYTES, storageClass: 'DEEP_ARCHIVE', restoreExpiry: 'x' },
      ],
      'STANDARD',
      undefined,
      prices,
    );
    expect(plan.steps.map((s) => [s.key, s.copy.method, s.copy.method === 'multipart' ? s.copy.ranges.length : 1])).toEqual([
      ['six', 'multipart', 12],
      ['five', 'CopyObject', 1],
    ]);
    // 12 parts + create + complete, and one CopyObject: 15 PUT-priced requests.
    expect(plan.estimate.requests).toBe(15);
    expect(plan.estimate.requestsUsd).toBeCloseTo(15 * 0.000005, 9);
    expect(plan.estimate.storageDeltaUsdPerMonth).toBe(Number((6 * (0.023 - 0.0036) + 5 * (0.023 - 0.00099)).toPrecision(3)));
  });
});

describe('the auto-keep policy', () => {
  const policy = { afterRestores: 3, withinDays: 30, storageClass: 'STANDARD' as const };
  const now = new Date('2026-11-23T00:00:00.000Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();

  it('keeps on the K-th restore within the window, not before', () => {
    expect(
      decideAutoKeep(
        policy,
        [
          { cycle: 1, time: daysAgo(20) },
          { cycle: 2, time: daysAgo(1) },
        ],
        now,
      ),
    ).toEqual({ keep: false, restores: 2 });
    expect(
      decideAutoKeep(
        policy,
        [
          { cycle: 1, time: daysAgo(20) },
          { cycle: 2, time: daysAgo(1) },
          { cycle: 3, time: daysAgo(0) },
        ],
        now,
      ),
    ).toEqual({ keep: true, restores: 3 });
  });

  it('restores older than the window and duplicate completions of one cycle do not count', () => {
    const completions = [
      { cycle: 1, time: daysAgo(31) },
      { cycle: 2, time: daysAgo(2) },
      { cycle: 2, time: daysAgo(2) },
      { cycle: 3, time: daysAgo(0) },
    ];
    expect(decideAutoKeep(policy, completions, now)).toEqual({ keep: false, restores: 2 });
  });
});

describe("a multipart keep's x-amz-tagging", () => {
  it('percent-encodes each key and value (a space is %20, never +), so a strict decoder and a form decoder both read the tags back', () => {
    const tags = [
      { Key: 'space key', Value: 'with spaces' },
      { Key: 'a+b', Value: '1+1=2' },
      { Key: 'amp', Value: 'x&y' },
      { Key: 'ünï', Value: 'çødé/?#%' },
      { Key: 'empty', Value: '' },
    ];
    const header = taggingHeader(tags);
    expect(header).not.toMatch(/\+/);
    const strict = header.split('&').map((pair) => pair.split('=').map(decodeURIComponent));
    expect(strict).toEqual(tags.map((t) => [t.Key, t.Value]));
    expect([...new URLSearchParams(header)]).toEqual(tags.map((t) => [t.Key, t.Value]));
  });
});
