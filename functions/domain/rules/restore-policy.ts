/**
 * The restore policy: which reads may be restored automatically, at which tier, for how long,
 * and when a person must approve. Ordered rules matched by bucket and key prefix; the first
 * match wins; an object no rule matches gets the deployment's defaults (today's behaviour).
 * Pure: the deployment configuration, the functions and the CLI all decide with these.
 */
import { z } from 'zod';
import { ARCHIVE_KINDS, isDeepArchive, RESTORE_TIERS, type ArchiveKind, type RestoreTier } from './archive.js';

const KIND_OR_TIER_MESSAGE = `a tier is one of ${RESTORE_TIERS.join(', ')}`;

export const policyRuleSchema = z
  .object({
    /** Shown in the dry run, the audit history and the emails. @default `rule <n>` */
    name: z.string().min(1).max(64).optional(),
    /** A bucket name, or `*` for every watched bucket. @default '*' */
    bucket: z.string().min(1).default('*'),
    /** A key prefix (compared as is, unicode included); '' matches every key. @default '' */
    prefix: z.string().default(''),
    /** `never`: a read is recorded and the reader told why, but nothing is restored. @default 'automatic' */
    restore: z.enum(['automatic', 'never']).default('automatic'),
    /** What the reader is told under `restore: never`. */
    reason: z.string().min(1).max(500).optional(),
    /** The tier per archive kind; kinds left out take the deployment's `restoreTiers`. */
    tiers: z.partialRecord(z.enum(ARCHIVE_KINDS), z.enum(RESTORE_TIERS, { error: KIND_OR_TIER_MESSAGE })).optional(),
    /** Expedited only for objects up to this size; a larger object is restored at Standard. @default no limit */
    expeditedMaxBytes: z.number().int().min(0).optional(),
    /** How long the restored copy stays (Glacier Flexible Retrieval and Deep Archive). @default the deployment's restoreDays */
    days: z.number().int().min(1).max(30_000).optional(),
    /** A restore that costs more than this (US dollars) waits for a person's approval. @default no limit */
    approvalAboveUsd: z.number().min(0, 'a cost limit cannot be negative').optional(),
    /** Over the monthly budget, restore at Bulk instead of waiting for approval. @default false */
    downgradeToBulk: z.boolean().default(false),
  })
  .strict();
export type PolicyRuleInput = z.input<typeof policyRuleSchema>;

export const restorePolicySchema = z
  .object({
    rules: z.array(policyRuleSchema).default([]),
    /** Restores this month may cost at most this much (US dollars); above it a restore waits for approval. @default no budget */
    monthlyBudgetUsd: z.number().min(0, 'a budget cannot be negative').optional(),
    /** Who is emailed when a restore waits for approval. @default nobody */
    approvers: z.array(z.email()).default([]),
    /** An approval request nobody decides is denied after this long, in seconds. @default 86400 */
    approvalTimeoutSeconds: z.number().int().min(60).max(31_536_000).default(86_400),
  })
  .strict();
export type RestorePolicyConfig = z.output<typeof restorePolicySchema>;

export const DEFAULT_RESTORE_POLICY: RestorePolicyConfig = { rules: [], approvers: [], approvalTimeoutSeconds: 86_400 };

export interface PolicyRule {
  name: string;
  bucket: string;
  prefix: string;
  restore: 'automatic' | 'never';
  reason?: string;
  tiers: Record<ArchiveKind, RestoreTier>;
  expeditedMaxBytes?: number;
  days: number;
  approvalAboveUsd?: number;
  downgradeToBulk: boolean;
}

export interface RestorePolicy {
  rules: PolicyRule[];
  /** What an object no rule matches gets: the deployment's tiers and days. */
  fallback: PolicyRule;
  monthlyBudgetUsd?: number;
  approvers: string[];
  approvalTimeoutSeconds: number;
}

export const FALLBACK_RULE_NAME = 'default';

/** What a deployment tells the CLI about its policy (a stack output): enough to decide as the workflow does, no approver addresses. */
export const publishedPolicySchema = z.object({
  tiers: z.record(z.enum(ARCHIVE_KINDS), z.enum(RESTORE_TIERS)),
  days: z.number().int().min(1),
  rules: z.array(policyRuleSchema),
  monthlyBudgetUsd: z.number().min(0).optional(),
});
export type PublishedPolicy = z.infer<typeof publishedPolicySchema>;

export function publishedPolicyOf(config: { restorePolicy: RestorePolicyConfig; restoreTiers: Record<ArchiveKind, RestoreTier>; restoreDays: number }): string {
  const { rules, monthlyBudgetUsd } = config.restorePolicy;
  return JSON.stringify({ tiers: config.restoreTiers, days: config.restoreDays, rules, ...(monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd } : {}) } satisfies PublishedPolicy);
}

/** The policy from a stack's output, as the workflow resolves it. */
export function policyFromPublished(published: PublishedPolicy): RestorePolicy {
  const { tiers, days, rules, monthlyBudgetUsd } = published;
  return resolvePolicy(
    { rules, approvers: [], approvalTimeoutSeconds: DEFAULT_RESTORE_POLICY.approvalTimeoutSeconds, ...(monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd } : {}) },
    { tiers, days },
  );
}

/** The policy with every rule complete: a rule's missing tiers and days come from the deployment's defaults. */
export function resolvePolicy(config: RestorePolicyConfig, defaults: { tiers: Record<ArchiveKind, RestoreTier>; days: number }): RestorePolicy {
  const complete = (rule: z.output<typeof policyRuleSchema>, index: number): PolicyRule => ({
    name: rule.name ?? `rule ${index + 1}`,
    bucket: rule.bucket,
    prefix: rule.prefix,
    restore: rule.restore,
    ...(rule.reason ? { reason: rule.reason } : {}),
    tiers: { ...defaults.tiers, ...rule.tiers },
    ...(rule.expeditedMaxBytes !== undefined ? { expeditedMaxBytes: rule.expeditedMaxBytes } : {}),
    days: rule.days ?? defaults.days,
    ...(rule.approvalAboveUsd !== undefined ? { approvalAboveUsd: rule.approvalAboveUsd } : {}),
    downgradeToBulk: rule.downgradeToBulk,
  });
  return {
    rules: config.rules.map(complete),
    fallback: { name: FALLBACK_RULE_NAME, bucket: '*', prefix: '', restore: 'automatic', tiers: { ...defaults.tiers }, days: defaults.days, downgradeToBulk: false },
    ...(config.monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd: config.monthlyBudgetUsd } : {}),
    approvers: config.approvers,
    approvalTimeoutSeconds: config.approvalTimeoutSeconds,
  };
}

function covers(rule: { bucket: string; prefix: string }, bucket: string, key: string): boolean {
  return (rule.bucket === '*' || rule.bucket === bucket) && key.startsWith(rule.prefix);
}

/** The first rule that matches the object, or the fallback. */
export function matchRule(policy: RestorePolicy, bucket: string, key: string): PolicyRule {
  return policy.rules.find((r) => covers(r, bucket, key)) ?? policy.fallback;
}

/**
 * What is wrong with a policy, one line per problem: a rule that an earlier one always matches
 * first (it can never apply), Expedited for a Deep Archive kind (S3 has no Expedited there), or
 * two rules with one name (the audit history would not tell them apart).
 */
export function policyProblems(config: RestorePolicyConfig): string[] {
  const problems: string[] = [];
  const named = config.rules.map((r, i) => ({ ...r, label: r.name ? `"${r.name}"` : `rule ${i + 1}` }));
  named.forEach((rule, i) => {
    const shadow = named.slice(0, i).find((earlier) => (earlier.bucket === '*' || earlier.bucket === rule.bucket) && rule.prefix.startsWith(earlier.prefix));
    if (shadow) problems.push(`rules[${i}] (${rule.label}) can never match: ${shadow.label} before it covers bucket ${rule.bucket} prefix "${rule.prefix}"`);
    for (const [kind, tier] of Object.entries(rule.tiers ?? {})) {
      if (tier === 'Expedited' && isDeepArchive(kind as ArchiveKind)) problems.push(`rules[${i}] (${rule.label}): Expedited retrieval is not available for ${kind}`);
    }
    const twin = named.slice(0, i).find((earlier) => rule.name !== undefined && earlier.name === rule.name);
    if (twin) problems.push(`rules[${i}]: the name "${rule.name}" is used twice`);
  });
  return problems;
}

export interface ObjectToRestore {
  bucket: string;
  key: string;
  kind: ArchiveKind;
  size: number;
}

export type PolicyDecision =
  | { allowed: false; rule: string; reason: string }
  | {
      allowed: true;
      rule: string;
      tier: RestoreTier;
      days: number;
      /** The rule's Expedited size limit sent this object to Standard. */
      expeditedTooLarge?: boolean;
      approvalAboveUsd?: number;
      downgradeToBulk: boolean;
    };

export class PolicyTierError extends RangeError {
  override readonly name = 'PolicyTierError';
}

/**
 * How the policy restores one object: the tier (a requested one overrides the rule's, within
 * the rule's Expedited size limit) and the days. Refuses what the matching rule says never.
 */
export function decideRestore(policy: RestorePolicy, object: ObjectToRestore, requested: { tier?: RestoreTier; days?: number } = {}): PolicyDecision {
  const rule = matchRule(policy, object.bucket, object.key);
  if (rule.restore === 'never') {
    return {
      allowed: false,
      rule: rule.name,
      reason: rule.reason ?? `objects under s3://${rule.bucket === '*' ? '*' : rule.bucket}/${rule.prefix} are not restored automatically (rule ${rule.name})`,
    };
  }
  let tier = requested.tier ?? rule.tiers[object.kind];
  const expeditedTooLarge = tier === 'Expedited' && rule.expeditedMaxBytes !== undefined && object.size > rule.expeditedMaxBytes;
  if (expeditedTooLarge) {
    if (requested.tier) throw new PolicyTierError(`Expedited retrieval is limited to ${rule.expeditedMaxBytes} bytes by rule ${rule.name}; s3://${object.bucket}/${object.key} has ${object.size}`);
    tier = 'Standard';
  }
  return {
    allowed: true,
    rule: rule.name,
    tier,
    days: requested.days ?? rule.days,
    ...(expeditedTooLarge ? { expeditedTooLarge } : {}),
    ...(rule.approvalAboveUsd !== undefined ? { approvalAboveUsd: rule.approvalAboveUsd } : {}),
    downgradeToBulk: rule.downgradeToBulk,
  };
}
