/**
 * Every function's environment, built from the deployment configuration in one place: the CDK
 * constructs set it on the Lambda functions, the local cloud on the handlers it runs in process,
 * so a default or a unit is never restated. Pure: names, ARNs and CDK tokens in, strings out.
 */
import type { reconcileCyclesEnvSchema } from '../functions/reconcile-cycles/env.js';
import type { detectAccessEnvSchema, EnvVars, notifyAggregatorEnvSchema, restoreCompletedEnvSchema, restoreStepsEnvSchema } from '../functions/domain/wiring/config.js';
import type { DeploymentConfig } from './config.js';
import { loadPriceTable, restorePricesOf } from './price-table.js';
import type { TableRole } from './table-definitions.js';
import { DEFAULT_RESTORE_POLICY } from '../functions/domain/rules/restore-policy.js';

/** What the deployment created: table names, the state machine's ARN, the account (CDK tokens are fine). */
export interface FunctionResources {
  tables: Record<TableRole, string>;
  stateMachineArn: string;
  /** The account that owns the watched buckets. */
  account: string;
}

/**
 * How a duration of the deployment becomes the number of seconds a function waits: as is on
 * AWS; the local cloud runs on a simulated clock and turns simulated seconds into real ones.
 */
export interface TimeScale {
  realSeconds(simulatedSeconds: number): number;
}

export interface FunctionEnvironments {
  'detect-access': EnvVars<typeof detectAccessEnvSchema>;
  'restore-completed': EnvVars<typeof restoreCompletedEnvSchema>;
  'restore-steps': EnvVars<typeof restoreStepsEnvSchema>;
  'notify-aggregator': EnvVars<typeof notifyAggregatorEnvSchema>;
  'reconcile-cycles': EnvVars<typeof reconcileCyclesEnvSchema>;
}

/** The settings the functions read; a DeploymentConfig is one. */
export type FunctionSettings = Pick<
  DeploymentConfig,
  | 'watchedBuckets'
  | 'senderAddress'
  | 'sesConfigurationSet'
  | 'restoreTiers'
  | 'restoreDays'
  | 'maxWaitCycles'
  | 'debounceSeconds'
  | 'maxWaitSeconds'
  | 'reconcileScheduleMinutes'
  | 'expiryReminderHours'
  | 'autoKeep'
> &
  Partial<Pick<DeploymentConfig, 'restorePolicy'>>;

export const MAX_FILES_PER_EMAIL = 100;
/** How long a notice for a reader with no known email waits for a mapping. */
export const UNRESOLVED_RETENTION_SECONDS = 7 * 24 * 3600;
/** At least the aggregator's timeout (2 minutes), so a tick still running is never overlapped. */
export const AGGREGATOR_LEASE_SECONDS = 300;
/**
 * The reconciler's grace covers real work (a detection between opening a cycle and starting
 * its execution), so it never shrinks below a few real seconds however fast a clock runs.
 */
export const MIN_RECONCILE_GRACE_REAL_SECONDS = 5;

const AS_IS: TimeScale = { realSeconds: (s) => s };

export function functionEnvironments(config: FunctionSettings, resources: FunctionResources, scale: TimeScale = AS_IS): FunctionEnvironments {
  const { tables } = resources;
  const seconds = (s: number) => String(scale.realSeconds(s));
  const watched = config.watchedBuckets.join(',');
  const recorded = { OBJECTS_TABLE: tables.objects, AUDIT_TABLE: tables.audit };
  return {
    'detect-access': {
      ...recorded,
      NOTICES_TABLE: tables.notices,
      STATE_MACHINE_ARN: resources.stateMachineArn,
      WATCHED_BUCKETS: watched,
      ACCOUNT_ID: resources.account,
    },
    'restore-completed': {
      ...recorded,
      NOTICES_TABLE: tables.notices,
      WATCHED_BUCKETS: watched,
      ACCOUNT_ID: resources.account,
      ...(config.autoKeep ? { AUTO_KEEP: JSON.stringify(config.autoKeep) } : {}),
    },
    'restore-steps': {
      ...recorded,
      RESTORE_TIERS: JSON.stringify(config.restoreTiers),
      RESTORE_DAYS: String(config.restoreDays),
      MAX_WAIT_CYCLES: String(config.maxWaitCycles),
      NOTICES_TABLE: tables.notices,
      RESTORE_POLICY: JSON.stringify(config.restorePolicy ?? DEFAULT_RESTORE_POLICY),
      RESTORE_PRICES: JSON.stringify(restorePricesOf(loadPriceTable())),
    },
    'notify-aggregator': {
      ...recorded,
      NOTICES_TABLE: tables.notices,
      PRINCIPALS_TABLE: tables.principals,
      SENDER_ADDRESS: config.senderAddress,
      DEBOUNCE_SECONDS: seconds(config.debounceSeconds),
      MAX_WAIT_SECONDS: seconds(config.maxWaitSeconds),
      MAX_FILES_PER_EMAIL: String(MAX_FILES_PER_EMAIL),
      UNRESOLVED_RETENTION_SECONDS: seconds(UNRESOLVED_RETENTION_SECONDS),
      ...(config.sesConfigurationSet ? { SES_CONFIGURATION_SET: config.sesConfigurationSet } : {}),
      AGGREGATOR_LEASE_SECONDS: seconds(AGGREGATOR_LEASE_SECONDS),
      EXPIRY_REMINDER_SECONDS: seconds(config.expiryReminderHours * 3600),
    },
    'reconcile-cycles': {
      ...recorded,
      NOTICES_TABLE: tables.notices,
      STATE_MACHINE_ARN: resources.stateMachineArn,
      // A cycle opened just now may not have started its execution yet: leave it one period.
      RECONCILE_GRACE_SECONDS: String(Math.max(MIN_RECONCILE_GRACE_REAL_SECONDS, scale.realSeconds(config.reconcileScheduleMinutes * 60))),
    },
  };
}
