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
    /** `prod` turns on deletion protection and keeps tables and logs when the stack is deleted. */
    stage: z.enum(['dev', 'prod']).default('dev'),
    stackName: z.string().min(1).default('S3Autorestore'),
    /** The account that owns the watched buckets; events from any other account are ignored. */
    account: z.string().regex(/^\d{12}$/).optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
    watchedBuckets: z.array(bucketName).min(1),
    /** The From address of every email; must belong to `sesIdentity`. */
    senderAddress: z.string().email(),
    /** The verified SES identity (domain or address) the functions may send as. */
    sesIdentity: z.string().min(3),
    restoreTiers: tierByKindSchema.default({
      GLACIER: 'Standard',
      DEEP_ARCHIVE: 'Standard',
      INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard',
      INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard',
    }),
    restoreDays: z.number().int().min(1).max(30_000).default(7),
    debounceSeconds: z.number().int().min(1).default(120),
    maxWaitSeconds: z.number().int().min(1).default(900),
    waitTimeoutSeconds: z.number().int().min(60).max(31_536_000).default(86_400),
    /** Waits (of waitTimeoutSeconds each) before a still-running restore is declared overdue. */
    maxWaitCycles: z.number().int().min(1).default(4),
    aggregatorScheduleMinutes: z.number().int().min(1).max(60).default(1),
    /** How often the reconciler repairs restore cycles whose execution ended without closing them. */
    reconcileScheduleMinutes: z.number().int().min(1).max(1440).default(15),
    /** Create a trail with S3 data events for the watched buckets, or rely on an existing one. */
    createTrail: z.boolean().default(true),
    /** Turn on EventBridge notifications on the watched buckets (needed for restore completion events). */
    enableBucketEventBridge: z.boolean().default(true),
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
