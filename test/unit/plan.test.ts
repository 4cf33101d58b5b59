import { describe, expect, it } from 'vitest';
import { planRestore, stateOf, type ListedObject } from '../../cli/plan.js';
import { UsageError } from '../../cli/s3-url.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const glacier: ListedObject = { key: 'a.bin', size: 1024, storageClass: 'GLACIER' };
const deep: ListedObject = { key: 'b.bin', size: 1024, storageClass: 'DEEP_ARCHIVE' };
const itArchive: ListedObject = { key: 'c.bin', size: 1024, storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'ARCHIVE_ACCESS', tierChecked: true };
const itFrequent: ListedObject = { key: 'd.bin', size: 1024, storageClass: 'INTELLIGENT_TIERING', tierChecked: true };
const standard: ListedObject = { key: 'e.bin', size: 1024, storageClass: 'STANDARD' };

describe('the restore plan', () => {
  it('classifies objects by the archive rules', () => {
    const plan = planRestore([glacier, deep, itArchive, itFrequent, standard], {}, NOW);
    expect(plan.restore.map((o) => [o.key, o.kind])).toEqual([
      ['a.bin', 'GLACIER'],
      ['b.bin', 'DEEP_ARCHIVE'],
      ['c.bin', 'INTELLIGENT_TIERING_ARCHIVE_ACCESS'],
    ]);
    expect(plan.skipped.map((s) => s.key)).toEqual(['d.bin', 'e.bin']);
    expect(stateOf({ ...itFrequent, tierChecked: false })).toBe('UNKNOWN_TIER');
  });

  it('refuses a tier the archive does not offer, and Days for Intelligent-Tiering', () => {
    expect(() => planRestore([glacier, deep], { tier: 'Expedited' }, NOW)).toThrow(new UsageError('Expedited retrieval is not available for b.bin (DEEP_ARCHIVE)'));
    expect(() => planRestore([itArchive], { days: 3 }, NOW)).toThrow(UsageError);
    expect(planRestore([glacier], { tier: 'Expedited', days: 3 }, NOW).restore).toHaveLength(1);
  });

  it('estimates each tier with its documented time, and none where the tier is not offered', () => {
    const plan = planRestore([glacier, deep], {}, NOW);
    expect(plan.estimates.map((e) => [e.tier, e.available, e.readyBy])).toEqual([
      ['Expedited', false, undefined],
      ['Standard', true, '2026-11-22T22:00:00.000Z'],
      ['Bulk', true, '2026-11-24T10:00:00.000Z'],
    ]);
  });
});
