/**
 * The deployment's configuration: one typed, validated place. Read from the `autorestore`
 * key of cdk.json's context (override any field with `-c autorestore='{"...": ...}'` or a
 * file with `-c autorestoreConfigFile=path.json`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { tierByKindSchema } from '../functions/shared/config.js';

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name');

export const deploymentConfigSchema = z
  .object({
    /** `prod` turns on deletion protection and keeps tables and logs when the stack is deleted. @default 'dev' */
    stage: z.enum(['dev', 'prod']).default('dev'),
    /** @default 'S3Autorestore' */
    stackName: z.string().min(1).default('S3Autorestore'),
    /** The account that owns the watched buckets; events from any other account are ignored. @default the stack's account */
    account: z.string().regex(/^\d{12}$/).optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
    watchedBuckets: z.array(bucketName).min(1),
    /** The From address of every email; must belong to `sesIdentity`. */
    senderAddress: z.string().email(),
    /** The verified SES identity (domain or address) the functions may send as. */
    sesIdentity: z.string().min(3),
    /** The retrieval tier for each archive kind. @default 'Standard' for every kind */
    restoreTiers: tierByKindSchema.default({
      GLACIER: 'Standard',
      DEEP_ARCHIVE: 'Standard',
      INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard',
      INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard',
    }),
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
    /** Create a trail with S3 data events for the watched buckets, or rely on an existing one. @default true */
    createTrail: z.boolean().default(true),
    /** Turn on EventBridge notifications on the watched buckets (needed for restore completion events). @default true */
    enableBucketEventBridge: z.boolean().default(true),
    /** Days the functions' and the workflow's logs are kept (rounded up to a CloudWatch Logs retention). @default 365 */
    logRetentionDays: z.number().int().min(1).default(365),
  })
  .refine((c) => c.senderAddress.toLowerCase().endsWith(`@${c.sesIdentity.toLowerCase()}`) || c.senderAddress.toLowerCase() === c.sesIdentity.toLowerCase(), {
    message: 'senderAddress must be the SES identity itself or an address in its domain',
    path: ['senderAddress'],
  })
  .refine((c) => c.maxWaitSeconds >= c.debounceSeconds, { message: 'maxWaitSeconds must be at least debounceSeconds', path: ['maxWaitSeconds'] });

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

export class InvalidDeploymentConfigError extends Error {
  override readonly name = 'InvalidDeploymentConfigError';
}

export function parseDeploymentConfig(raw: unknown): DeploymentConfig {
  const parsed = deploymentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidDeploymentConfigError(`invalid autorestore configuration: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
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
