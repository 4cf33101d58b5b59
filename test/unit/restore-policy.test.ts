import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESTORE_POLICY,
  decideRestore,
  matchRule,
  policyProblems,
  PolicyTierError,
  resolvePolicy,
  restorePolicySchema,
  type PolicyRuleInput,
} from '../../functions/domain/rules/restore-policy.js';

const defaults = { tiers: { GLACIER: 'Standard', DEEP_ARCHIVE: 'Standard', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard' } as const, days: 7 };
const policyOf = (rules: PolicyRuleInput[], more: Record<string, unknown> = {}) => resolvePolicy(restorePolicySchema.parse({ rules, ...more }), defaults);
const MiB = 1024 ** 2;

describe('rule matching', () => {
  const policy = policyOf([
    { name: 'raw frozen', bucket: 'data', prefix: 'raw/frozen/', restore: 'never', reason: 'frozen raw data is never restored' },
    { name: 'raw', bucket: 'data', prefix: 'raw/', tiers: { GLACIER: 'Bulk' } },
    { name: 'photos', prefix: 'fotos/ünïcødé/', tiers: { GLACIER: 'Expedited' }, expeditedMaxBytes: 10 * MiB },
    { name: 'anywhere in data', bucket: 'data', days: 2 },
  ]);

  it('takes the first rule that matches, even when a later one matches too', () => {
    expect(matchRule(policy, 'data', 'raw/frozen/a.bin').name).toBe('raw frozen');
    expect(matchRule(policy, 'data', 'raw/b.bin').name).toBe('raw');
    expect(matchRule(policy, 'data', 'other/b.bin').name).toBe('anywhere in data');
  });

  it('matches bucket exactly and `*` for any bucket', () => {
    expect(matchRule(policy, 'data-2', 'raw/b.bin').name).toBe('default');
    expect(matchRule(policy, 'any-bucket', 'fotos/ünïcødé/x.jpg').name).toBe('photos');
  });

  it('compares unicode prefixes as written, not normalised or case-folded', () => {
    expect(matchRule(policy, 'b', 'fotos/ünïcødé/😀 space+plus%.jpg').name).toBe('photos');
    expect(matchRule(policy, 'b', 'fotos/ÜNÏCØDÉ/x.jpg').name).toBe('default');
    // The same letters decomposed (NFD) are other bytes in an S3 key.
    expect(matchRule(policy, 'b', 'fotos/ünïcødé/x.jpg'.normalize('NFD')).name).toBe('default');
  });

  it('falls back to the deployment defaults: today behaviour', () => {
    const none = resolvePolicy(DEFAULT_RESTORE_POLICY, defaults);
    expect(decideRestore(none, { bucket: 'b', key: 'k', kind: 'GLACIER', size: 1 })).toEqual({ allowed: true, rule: 'default', tier: 'Standard', days: 7, downgradeToBulk: false });
  });
});

describe('what a rule decides', () => {
  const policy = policyOf([
    { name: 'never', prefix: 'vault/', restore: 'never' },
    { name: 'fast small', prefix: 'small/', tiers: { GLACIER: 'Expedited', DEEP_ARCHIVE: 'Bulk' }, expeditedMaxBytes: 10 * MiB, approvalAboveUsd: 1, days: 3, downgradeToBulk: true },
  ]);

  it('refuses under never, with a reason for the reader', () => {
    expect(decideRestore(policy, { bucket: 'b', key: 'vault/x', kind: 'GLACIER', size: 1 })).toEqual({
      allowed: false,
      rule: 'never',
      reason: 'objects under s3://*/vault/ are not restored automatically (rule never)',
    });
  });

  it('uses the tier per archive kind and the rule days', () => {
    expect(decideRestore(policy, { bucket: 'b', key: 'small/x', kind: 'DEEP_ARCHIVE', size: 1 })).toMatchObject({ tier: 'Bulk', days: 3, approvalAboveUsd: 1, downgradeToBulk: true });
    expect(decideRestore(policy, { bucket: 'b', key: 'small/x', kind: 'INTELLIGENT_TIERING_ARCHIVE_ACCESS', size: 1 })).toMatchObject({ tier: 'Standard' });
  });

  it('allows Expedited up to the size limit and restores larger objects at Standard', () => {
    expect(decideRestore(policy, { bucket: 'b', key: 'small/x', kind: 'GLACIER', size: 10 * MiB })).toMatchObject({ tier: 'Expedited' });
    expect(decideRestore(policy, { bucket: 'b', key: 'small/x', kind: 'GLACIER', size: 10 * MiB + 1 })).toMatchObject({ tier: 'Standard', expeditedTooLarge: true });
  });

  it('lets a person ask for another tier and days, but not Expedited over the size limit', () => {
    expect(decideRestore(policy, { bucket: 'b', key: 'small/x', kind: 'GLACIER', size: 1 }, { tier: 'Bulk', days: 9 })).toMatchObject({ tier: 'Bulk', days: 9 });
    expect(() => decideRestore(policy, { bucket: 'b', key: 'small/x', kind: 'GLACIER', size: 20 * MiB }, { tier: 'Expedited' })).toThrow(PolicyTierError);
  });
});

describe('policy problems', () => {
  it('names every rule an earlier one always matches first', () => {
    const problems = policyProblems(
      restorePolicySchema.parse({
        rules: [
          { name: 'all raw', prefix: 'raw/' },
          { name: 'raw in data', bucket: 'data', prefix: 'raw/2024/' },
          { name: 'data', bucket: 'data', prefix: '' },
          { name: 'data logs', bucket: 'data', prefix: 'logs/' },
          { name: 'other bucket raw', bucket: 'other', prefix: 'logs/' },
        ],
      }),
    );
    expect(problems).toEqual([
      'rules[1] ("raw in data") can never match: "all raw" before it covers bucket data prefix "raw/2024/"',
      'rules[3] ("data logs") can never match: "data" before it covers bucket data prefix "logs/"',
    ]);
  });

  it('a specific bucket first does not hide a later rule for any bucket', () => {
    expect(policyProblems(restorePolicySchema.parse({ rules: [{ bucket: 'data', prefix: 'raw/' }, { prefix: 'raw/' }] }))).toEqual([]);
  });

  it('refuses Expedited for Deep Archive kinds and a name used twice', () => {
    expect(
      policyProblems(
        restorePolicySchema.parse({
          rules: [
            { name: 'x', prefix: 'a/', tiers: { INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Expedited' } },
            { name: 'x', prefix: 'b/' },
          ],
        }),
      ),
    ).toEqual(['rules[0] ("x"): Expedited retrieval is not available for INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS', 'rules[1]: the name "x" is used twice']);
  });

  it('the schema refuses an unknown tier and a negative budget or limit', () => {
    expect(restorePolicySchema.safeParse({ rules: [{ tiers: { GLACIER: 'Fast' } }] }).error?.issues[0]?.message).toMatch(/a tier is one of Expedited, Standard, Bulk/);
    expect(restorePolicySchema.safeParse({ monthlyBudgetUsd: -1 }).error?.issues[0]?.message).toBe('a budget cannot be negative');
    expect(restorePolicySchema.safeParse({ rules: [{ approvalAboveUsd: -0.5 }] }).error?.issues[0]?.message).toBe('a cost limit cannot be negative');
  });
});
