/**
 * Each function's environment as a schema, validated once at cold start. The CDK side builds
 * the same variables from these types, so a missing variable is a compile error in infra.
 */
import { z } from 'zod';
import { KEEP_STORAGE_CLASSES } from '../rules/expiry.js';
import { ARCHIVE_KINDS, RESTORE_TIERS, tierAllowed, type ArchiveKind, type RestoreTier } from '../rules/archive.js';
import { ConfigurationError } from '../rules/errors.js';
import { describeIssues } from '../rules/zod-issues.js';
import { restorePolicySchema } from '../rules/restore-policy.js';

const name = z.string().min(1);
const positiveSeconds = z.coerce.number().positive();
/** Comma-separated bucket names, or `*` for every bucket the account owns (the local cloud's default). */
const bucketList = z
  .string()
  .min(1)
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  );

export const tierByKindSchema = z.record(z.enum(ARCHIVE_KINDS), z.enum(RESTORE_TIERS)).refine((m) => Object.entries(m).every(([k, t]) => tierAllowed(k as ArchiveKind, t)), {
  message: 'Expedited retrieval is not available for Deep Archive',
});
export type TierByKind = Record<ArchiveKind, RestoreTier>;

const tables = {
  OBJECTS_TABLE: name,
  AUDIT_TABLE: name,
};

export const detectAccessEnvSchema = z.object({
  ...tables,
  NOTICES_TABLE: name,
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  WATCHED_BUCKETS: bucketList,
  ACCOUNT_ID: z.string().regex(/^\d{12}$/),
});

/** The auto-keep policy: keep an object for good on its `afterRestores`-th restore within `withinDays` days. */
export const autoKeepSchema = z.object({
  afterRestores: z.number().int().min(1).max(1000),
  withinDays: z.number().int().min(1).max(3650),
  storageClass: z.enum(KEEP_STORAGE_CLASSES).default('STANDARD'),
});

export const restoreCompletedEnvSchema = z.object({
  ...tables,
  /** Where a completion queues its readers' "ready" notices; absent (a stack deployed before it did), the workflow queues them. */
  NOTICES_TABLE: name.optional(),
  WATCHED_BUCKETS: bucketList,
  ACCOUNT_ID: z.string().regex(/^\d{12}$/),
  /** The auto-keep policy as JSON ({"afterRestores","withinDays","storageClass"}); absent: off. */
  AUTO_KEEP: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'AUTO_KEEP is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(autoKeepSchema)
    .optional(),
});

/** A variable holding JSON, parsed and then checked by `schema`. */
function jsonVar<T extends z.ZodType>(variable: string, schema: T) {
  return z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `${variable} is not JSON` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const tierPriceSchema = z.object({ perGB: z.number().min(0), per1000Requests: z.number().min(0) });
/** The restore part of the dated price table (pricing/<region>.json). */
export const restorePricesSchema = z.object({
  asOf: z.string().min(1),
  restore: z.partialRecord(z.enum(ARCHIVE_KINDS), z.partialRecord(z.enum(RESTORE_TIERS), tierPriceSchema)),
});

export const restoreStepsEnvSchema = z.object({
  ...tables,
  RESTORE_TIERS: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'RESTORE_TIERS is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(tierByKindSchema),
  RESTORE_DAYS: z.coerce.number().int().min(1).max(30_000),
  /** After this many wait timeouts with the restore still running, the cycle ends as overdue. */
  MAX_WAIT_CYCLES: z.coerce.number().int().min(1),
  /** Where the restore request queues its readers' "started" notices and the approval step its emails to the approvers and the readers. */
  NOTICES_TABLE: name,
  /** The deployment's restore policy (infra/config.ts `restorePolicy`), as JSON. */
  RESTORE_POLICY: jsonVar('RESTORE_POLICY', restorePolicySchema),
  /** The restore prices of the deployment's price table, as JSON. */
  RESTORE_PRICES: jsonVar('RESTORE_PRICES', restorePricesSchema),
});

export const notifyAggregatorEnvSchema = z.object({
  ...tables,
  NOTICES_TABLE: name,
  PRINCIPALS_TABLE: name,
  SENDER_ADDRESS: z.email(),
  DEBOUNCE_SECONDS: positiveSeconds,
  MAX_WAIT_SECONDS: positiveSeconds,
  MAX_FILES_PER_EMAIL: z.coerce.number().int().min(1).default(100),
  /** How long a notice for a reader with no known email is kept, waiting for a mapping. */
  UNRESOLVED_RETENTION_SECONDS: positiveSeconds.default(7 * 24 * 3600),
  /** The SES configuration set every email is sent through, when the deployment names one. */
  SES_CONFIGURATION_SET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  /** How long a tick holds the sending lease: at least the function's timeout; a crashed tick's lease lapses after it. */
  AGGREGATOR_LEASE_SECONDS: positiveSeconds.default(300),
  /** How long before a restored Glacier / Deep Archive copy expires its readers get a reminder; 0 turns reminders off. */
  EXPIRY_REMINDER_SECONDS: z.coerce
    .number()
    .min(0)
    .default(24 * 3600),
});

export type DetectAccessEnv = z.infer<typeof detectAccessEnvSchema>;
export type RestoreCompletedEnv = z.infer<typeof restoreCompletedEnvSchema>;
export type RestoreStepsEnv = z.infer<typeof restoreStepsEnvSchema>;
export type NotifyAggregatorEnv = z.infer<typeof notifyAggregatorEnvSchema>;

/** Variables the function runs without (no default either): undefined after parsing. */
type OptionalVars<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
/** The variables as strings, for the CDK side and the local cloud to fill in; only optional ones may be left out. */
export type EnvVars<S extends z.ZodObject> = { [K in Exclude<keyof z.output<S>, OptionalVars<z.output<S>>>]-?: string } & { [K in OptionalVars<z.output<S>>]?: string };

export function loadEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`invalid environment: ${describeIssues(parsed.error, '(environment)')}`);
  }
  return parsed.data;
}

export function isWatched(bucket: string, watched: readonly string[]): boolean {
  return watched.includes('*') || watched.includes(bucket);
}
