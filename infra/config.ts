/**
 * The deployment's configuration: one typed, validated place. Read from the `autorestore`
 * key of cdk.json's context (override any field with `-c autorestore='{"...": ...}'` or a
 * file with `-c autorestoreConfigFile=path.json`).
 */
import { readFileSync } from 'node:fs';
import { autoKeepSchema } from '../functions/domain/wiring/config.js';
import { z } from 'zod';
import { tierByKindSchema, type TierByKind } from '../functions/domain/wiring/config.js';
import { describeIssues } from '../functions/domain/rules/zod-issues.js';
import { DEFAULT_RESTORE_POLICY, policyProblems, restorePolicySchema } from '../functions/domain/rules/restore-policy.js';
import { longestPatternLength, MAX_EVENT_PATTERN_CHARACTERS } from './event-patterns.js';
import { DEFAULT_STACK_NAME } from './outputs.js';

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name');
const regionName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS Region name');
/** A bucket by name, or with the Region it lives in, so a bucket outside the stack's Region is refused at synth. */
const watchedBucket = z.union([bucketName, z.object({ name: bucketName, region: regionName.optional() }).strict()]);
/**
 * One advanced event selector holds 3 fixed conditions plus one `resources.ARN` prefix per bucket,
 * and CloudTrail allows 500 condition values per trail.
 */
const MAX_WATCHED_BUCKETS = 497;
/** The restore function's environment holds the policy beside the price table and its other variables, 4 KB in all. */
const MAX_POLICY_CHARACTERS = 2_500;

export const DEFAULT_RESTORE_TIERS: TierByKind = {
  GLACIER: 'Standard',
  DEEP_ARCHIVE: 'Standard',
  INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard',
  INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard',
};

export const deploymentConfigSchema = z
  .object({
    /** `prod` turns on deletion protection and keeps tables and logs when the stack is deleted. @default 'dev' */
    stage: z.enum(['dev', 'prod']).default('dev'),
    /** Also the prefix of the state machine's and the EventBridge rules' names (a rule name has at most 64 characters). @default 'S3Autorestore' */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,45}$/, 'a stack name of 1-46 letters, digits and hyphens, starting with a letter')
      .default(DEFAULT_STACK_NAME),
    /** The account that owns the watched buckets; events from any other account are ignored. @default the stack's account */
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: regionName.optional(),
    /** Names, or `{ "name": ..., "region": ... }`; every bucket must be in the stack's Region (checked at synth when declared). */
    watchedBuckets: z.array(watchedBucket).min(1).max(MAX_WATCHED_BUCKETS, `at most ${MAX_WATCHED_BUCKETS} buckets (CloudTrail allows 500 selector conditions per trail)`),
    /** The From address of every email; must belong to `sesIdentity`. */
    senderAddress: z.email(),
    /** The verified SES identity (domain or address) the functions may send as. */
    sesIdentity: z.string().min(3),
    /** An SES configuration set every email is sent through (event publishing, suppression, dedicated IPs). @default none */
    sesConfigurationSet: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'an SES configuration set name: 1-64 letters, digits, _ and -')
      .optional(),
    /** The retrieval tier for each archive kind. @default 'Standard' for every kind */
    restoreTiers: tierByKindSchema.default(DEFAULT_RESTORE_TIERS),
    /** How long a restored copy stays readable, in days (Glacier Flexible Retrieval and Deep Archive). @default 7 */
    restoreDays: z.number().int().min(1).max(30_000).default(7),
    /** A reader's pending notices are emailed once the newest is this old (the reader has stopped opening files), in seconds. @default 120 */
    debounceSeconds: z.number().int().min(1).default(120),
    /** A reader's pending notices are emailed once the oldest is this old, even while the reader is still opening files, in seconds. @default 900 */
    maxWaitSeconds: z.number().int().min(1).default(900),
    /** How long the workflow waits for S3's restore-completed event before checking the object itself, in seconds. @default 86400 */
    waitTimeoutSeconds: z.number().int().min(60).max(31_536_000).default(86_400),
    /** Waits (of waitTimeoutSeconds each) before a still-running restore is declared overdue. @default 4 */
    maxWaitCycles: z.number().int().min(1).default(4),
    /** How often the aggregator sends the emails that are due, in minutes. @default 1 */
    aggregatorScheduleMinutes: z.number().int().min(1).max(60).default(1),
    /** How often the reconciler repairs restore cycles whose execution ended without closing them, in minutes. @default 15 */
    reconcileScheduleMinutes: z.number().int().min(1).max(1440).default(15),
    /**
     * Create a trail that logs GetObject data events of the watched buckets. Defaults to true
     * unless `existingTrailArn` names a trail that does it already.
     * @default true, or false when existingTrailArn is set
     */
    createTrail: z.boolean().optional(),
    /** A trail of the account that already logs GetObject data events for the watched buckets (CloudTrail allows 5 trails per Region). @default none */
    existingTrailArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[A-Za-z0-9._-]{3,128}$/, 'a CloudTrail trail ARN, arn:aws:cloudtrail:<region>:<account>:trail/<name>')
      .optional(),
    /** Turn on EventBridge notifications on the watched buckets (needed for restore completion events). @default true */
    enableBucketEventBridge: z.boolean().default(true),
    /** Days the functions' and the workflow's logs are kept (rounded up to a CloudWatch Logs retention). @default 365 */
    logRetentionDays: z.number().int().min(1).default(365),
    /** Hours before a restored Glacier / Deep Archive copy expires that each reader who was told it is ready gets one "expires soon" email; 0 turns reminders off. @default 24 */
    expiryReminderHours: z
      .number()
      .min(0)
      .max(24 * 365)
      .default(24),
    /** Keep an object for good (copy it into `storageClass`, default STANDARD) once it was restored `afterRestores` times within `withinDays` days. @default off */
    autoKeep: autoKeepSchema.optional(),
    /** The KMS keys (key ARNs, not aliases) of SSE-KMS objects the auto-keep copies: the completion function may kms:Decrypt and kms:GenerateDataKey with these, and no others. Only with autoKeep. @default none */
    autoKeepKmsKeyArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id> (an alias does not authorise the key)'))
      .min(1)
      .max(50)
      .optional(),
    /** Which reads are restored automatically, at which tier, and when a person must approve (first matching rule wins). @default no rules: every read restored with restoreTiers and restoreDays */
    restorePolicy: restorePolicySchema.default(DEFAULT_RESTORE_POLICY),
  })
  .superRefine((c, ctx) => {
    for (const problem of policyProblems(c.restorePolicy)) ctx.addIssue({ code: 'custom', message: problem, path: ['restorePolicy'] });
    const size = JSON.stringify(c.restorePolicy).length;
    if (size > MAX_POLICY_CHARACTERS) {
      ctx.addIssue({
        code: 'custom',
        path: ['restorePolicy'],
        message: `the policy is ${size} characters as JSON; at most ${MAX_POLICY_CHARACTERS} fit in the restore function's environment (Lambda allows 4 KB of variables in all): merge rules or shorten names`,
      });
    }
  })
  .refine((c) => c.senderAddress.toLowerCase().endsWith(`@${c.sesIdentity.toLowerCase()}`) || c.senderAddress.toLowerCase() === c.sesIdentity.toLowerCase(), {
    message: 'senderAddress must be the SES identity itself or an address in its domain',
    path: ['senderAddress'],
  })
  .refine((c) => !c.autoKeepKmsKeyArns || c.autoKeep, { message: 'autoKeepKmsKeyArns applies to the autoKeep policy: set autoKeep too', path: ['autoKeepKmsKeyArns'] })
  .refine((c) => c.maxWaitSeconds >= c.debounceSeconds, { message: 'maxWaitSeconds must be at least debounceSeconds', path: ['maxWaitSeconds'] })
  .refine((c) => !(c.createTrail === true && c.existingTrailArn), {
    message: 'createTrail and existingTrailArn exclude each other: the stack either creates its trail or relies on the existing one',
    path: ['existingTrailArn'],
  })
  .refine((c) => new Set(c.watchedBuckets.map(nameOf)).size === c.watchedBuckets.length, { message: 'a bucket is listed twice', path: ['watchedBuckets'] })
  .refine((c) => longestPatternLength(c.watchedBuckets.map(nameOf)) <= MAX_EVENT_PATTERN_CHARACTERS, {
    message: `too many watched buckets for one EventBridge rule: its event pattern would exceed EventBridge's ${MAX_EVENT_PATTERN_CHARACTERS} characters; split them over several stacks`,
    path: ['watchedBuckets'],
  })
  .transform(({ watchedBuckets, createTrail, ...rest }) => ({
    ...rest,
    watchedBuckets: watchedBuckets.map(nameOf),
    /** The Region each bucket was declared in, for those declared with one. */
    watchedBucketRegions: Object.fromEntries(watchedBuckets.flatMap((b) => (typeof b === 'object' && b.region ? [[b.name, b.region] as const] : []))),
    createTrail: createTrail ?? !rest.existingTrailArn,
  }));

function nameOf(bucket: z.infer<typeof watchedBucket>): string {
  return typeof bucket === 'string' ? bucket : bucket.name;
}

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

export class InvalidDeploymentConfigError extends Error {
  override readonly name = 'InvalidDeploymentConfigError';
}

export class WatchedBucketRegionError extends Error {
  override readonly name = 'WatchedBucketRegionError';
}

/**
 * Detection is regional: a trail logs, and EventBridge delivers, the data events of its own
 * Region only, so a watched bucket elsewhere would never start a restore. Refuse it at synth.
 * `stackRegion` is undefined for an environment-agnostic stack.
 */
export function assertWatchedBucketsInRegion(config: DeploymentConfig, stackRegion: string | undefined): void {
  const declared = Object.entries(config.watchedBucketRegions);
  if (declared.length === 0) return;
  if (stackRegion === undefined) {
    throw new WatchedBucketRegionError(
      `watched buckets declare their Region (${declared.map(([b, r]) => `${b}: ${r}`).join(', ')}) but the stack has none to compare with: set "region" in the autorestore configuration`,
    );
  }
  const elsewhere = declared.filter(([, region]) => region !== stackRegion);
  if (elsewhere.length > 0) {
    throw new WatchedBucketRegionError(
      `watched buckets outside the stack's Region ${stackRegion}: ${elsewhere.map(([b, r]) => `${b} (${r})`).join(', ')}. CloudTrail and EventBridge detect reads per Region: deploy one stack per Region, each watching its own buckets`,
    );
  }
}

export function parseDeploymentConfig(raw: unknown): DeploymentConfig {
  const parsed = deploymentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // One line per problem: a policy with several mistakes is fixed in one pass.
    throw new InvalidDeploymentConfigError(`invalid autorestore configuration:\n${describeIssues(parsed.error, '(root)', '\n')}`);
  }
  return parsed.data;
}

/** The configuration from CDK context: the `autorestore` object, merged over a file if one is named. */
export function configFromContext(tryGetContext: (key: string) => unknown): DeploymentConfig {
  const file = tryGetContext('autorestoreConfigFile');
  const fromFile = typeof file === 'string' ? (JSON.parse(readFileSync(file, 'utf8')) as object) : {};
  const inline = tryGetContext('autorestore');
  const fromContext = typeof inline === 'string' ? (JSON.parse(inline) as object) : ((inline as object | undefined) ?? {});
  return parseDeploymentConfig({ ...fromFile, ...fromContext });
}
