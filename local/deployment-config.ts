/**
 * The local cloud's deployment: its options read as the stack's configuration (the same schema
 * fills the same defaults), and its functions' environment built by the same function as the
 * CDK stack's (infra/function-environments.ts), durations turned into real seconds.
 */
import { DEFAULT_RESTORE_TIERS, parseDeploymentConfig, type DeploymentConfig } from '../infra/config.js';
import { functionEnvironments, type FunctionResources, type TimeScale } from '../infra/function-environments.js';
import type { RestoreTier } from '../functions/domain/rules/archive.js';
import type { TierByKind } from '../functions/domain/wiring/config.js';

/** The local cloud watches every bucket unless told which: a watch no stack can have (its trail and rules name buckets). */
export const EVERY_BUCKET = '*';
export const LOCAL_SENDER_ADDRESS = 'restores@autorestore.local';
/** Checked by the schema in place of `*`, which is no bucket name. */
const EVERY_BUCKET_STAND_IN = 'every-bucket';

/** The options of the local cloud that are the deployment's configuration; every one defaults as the stack does. */
export interface LocalDeploymentOptions {
  /** Buckets whose reads are watched; `*` (the default) watches every bucket. */
  watchedBuckets?: string[];
  restoreDays?: number;
  /** Simulated seconds, as on AWS. */
  debounceSeconds?: number;
  maxWaitSeconds?: number;
  waitTimeoutSeconds?: number;
  maxWaitCycles?: number;
  /** How often the reconciler of stuck cycles runs, in simulated minutes (15, as on AWS); 0 turns it off. */
  reconcileEveryMinutes?: number;
  /** How often the notification aggregator runs, in simulated minutes (1 to 60; 1, as on AWS by default). */
  aggregatorScheduleMinutes?: number;
  /** @default restores@autorestore.local */
  senderAddress?: string;
  /** Restore tier per archive kind (default: Standard everywhere, as the CDK default). */
  restoreTiers?: Partial<Record<keyof TierByKind, RestoreTier>>;
  /** The restore policy, as in the stack's configuration (default: no rules, no budget). */
  restorePolicy?: unknown;
  /** Simulated hours before a restored copy expires that its readers are reminded (24, as on AWS); 0 turns reminders off. */
  expiryReminderHours?: number;
  /** The auto-keep policy (off by default, as on AWS). */
  autoKeep?: { afterRestores: number; withinDays: number; storageClass?: string };
}

/** The options as a validated deployment configuration: invalid options throw InvalidDeploymentConfigError. */
export function localDeploymentConfig(options: LocalDeploymentOptions): DeploymentConfig {
  const watchesEvery = !options.watchedBuckets?.length || options.watchedBuckets.includes(EVERY_BUCKET);
  const senderAddress = options.senderAddress ?? LOCAL_SENDER_ADDRESS;
  const config = parseDeploymentConfig({
    watchedBuckets: watchesEvery ? [EVERY_BUCKET_STAND_IN] : options.watchedBuckets,
    senderAddress,
    // The local SES sends as any address: the sender's domain stands for the verified identity.
    sesIdentity: senderAddress.split('@').pop(),
    restoreTiers: { ...DEFAULT_RESTORE_TIERS, ...options.restoreTiers },
    restoreDays: options.restoreDays,
    debounceSeconds: options.debounceSeconds,
    maxWaitSeconds: options.maxWaitSeconds,
    waitTimeoutSeconds: options.waitTimeoutSeconds,
    maxWaitCycles: options.maxWaitCycles,
    // 0 turns the local schedule off; the reconciler's grace then keeps the default period.
    reconcileScheduleMinutes: options.reconcileEveryMinutes || undefined,
    aggregatorScheduleMinutes: options.aggregatorScheduleMinutes,
    restorePolicy: options.restorePolicy,
    expiryReminderHours: options.expiryReminderHours,
    autoKeep: options.autoKeep,
  });
  return watchesEvery ? { ...config, watchedBuckets: [EVERY_BUCKET] } : config;
}

export class ConflictingFunctionEnvironmentError extends Error {
  override readonly name = 'ConflictingFunctionEnvironmentError';
}

/**
 * One environment for every function: the local cloud runs all handlers in one runtime thread,
 * which has one `process.env`. Functions that share a variable give it the same value; a difference
 * would configure one of them wrongly, so it is refused.
 */
export function localFunctionEnvironment(config: DeploymentConfig, resources: FunctionResources, scale: TimeScale): Record<string, string> {
  const merged: Record<string, { value: string; from: string }> = {};
  for (const [fn, env] of Object.entries(functionEnvironments(config, resources, scale))) {
    for (const [name, value] of Object.entries(env as Record<string, string | undefined>)) {
      if (value === undefined) continue;
      const earlier = merged[name];
      if (earlier && earlier.value !== value) throw new ConflictingFunctionEnvironmentError(`${name} is ${earlier.value} for ${earlier.from} but ${value} for ${fn}`);
      merged[name] ??= { value, from: fn };
    }
  }
  return Object.fromEntries(Object.entries(merged).map(([name, { value }]) => [name, value]));
}
