import { loadPriceTable, restorePricesOf } from '../../infra/price-table.js';
import { describe, expect, it } from 'vitest';
import { reconcileCyclesEnvSchema } from '../../functions/reconcile-cycles/env.js';
import { detectAccessEnvSchema, loadEnv, notifyAggregatorEnvSchema, restoreCompletedEnvSchema, restoreStepsEnvSchema } from '../../functions/domain/wiring/config.js';
import { parseDeploymentConfig } from '../../infra/config.js';
import { functionEnvironments, type FunctionEnvironments } from '../../infra/function-environments.js';
import { SimulatedClock } from '../../local/clock.js';
import { EVERY_BUCKET, localDeploymentConfig, localFunctionEnvironment } from '../../local/deployment-config.js';

const TABLES = { objects: 'objects-t', audit: 'audit-t', notices: 'notices-t', principals: 'principals-t' };
const RESOURCES = { tables: TABLES, stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:S3Autorestore-restore-object', account: '111122223333' };
const SCHEMAS = {
  'detect-access': detectAccessEnvSchema,
  'restore-completed': restoreCompletedEnvSchema,
  'restore-steps': restoreStepsEnvSchema,
  'notify-aggregator': notifyAggregatorEnvSchema,
  'reconcile-cycles': reconcileCyclesEnvSchema,
} as const;
const deployment = (extra: object = {}) => parseDeploymentConfig({ watchedBuckets: ['archive-one', 'archive-two'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', ...extra });

describe('functionEnvironments', () => {
  it("gives every function each variable its schema requires, with the configuration's values as deployed", () => {
    const envs = functionEnvironments(deployment({ sesConfigurationSet: 'autorestore', restoreDays: 3 }), RESOURCES);
    for (const [fn, schema] of Object.entries(SCHEMAS)) expect(() => loadEnv(schema, envs[fn as keyof FunctionEnvironments]), fn).not.toThrow();
    expect(envs['detect-access']).toEqual({
      OBJECTS_TABLE: 'objects-t',
      AUDIT_TABLE: 'audit-t',
      NOTICES_TABLE: 'notices-t',
      STATE_MACHINE_ARN: RESOURCES.stateMachineArn,
      WATCHED_BUCKETS: 'archive-one,archive-two',
      ACCOUNT_ID: '111122223333',
    });
    expect(envs['restore-steps']).toMatchObject({
      RESTORE_DAYS: '3',
      MAX_WAIT_CYCLES: '4',
      RESTORE_TIERS: JSON.stringify({ GLACIER: 'Standard', DEEP_ARCHIVE: 'Standard', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard' }),
    });
    expect(envs['notify-aggregator']).toMatchObject({
      DEBOUNCE_SECONDS: '120',
      MAX_WAIT_SECONDS: '900',
      MAX_FILES_PER_EMAIL: '100',
      UNRESOLVED_RETENTION_SECONDS: '604800',
      AGGREGATOR_LEASE_SECONDS: '300',
      SES_CONFIGURATION_SET: 'autorestore',
    });
    expect(envs['reconcile-cycles'].RECONCILE_GRACE_SECONDS).toBe('900');
  });

  it('leaves SES_CONFIGURATION_SET out when the deployment names none', () => {
    expect(functionEnvironments(deployment(), RESOURCES)['notify-aggregator']).not.toHaveProperty('SES_CONFIGURATION_SET');
  });

  it("scales durations, and only durations, keeping the reconciler's grace at 5 real seconds or more", () => {
    const hourPerSecond = new SimulatedClock(1000);
    const envs = functionEnvironments(deployment({ restoreDays: 3 }), RESOURCES, hourPerSecond);
    expect(envs['notify-aggregator']).toMatchObject({ DEBOUNCE_SECONDS: String(120 / 3600), MAX_WAIT_SECONDS: String(900 / 3600), UNRESOLVED_RETENTION_SECONDS: '168', MAX_FILES_PER_EMAIL: '100' });
    expect(envs['restore-steps'].RESTORE_DAYS).toBe('3');
    expect(envs['reconcile-cycles'].RECONCILE_GRACE_SECONDS).toBe('5');
    expect(functionEnvironments(deployment({ reconcileScheduleMinutes: 60 * 24 }), RESOURCES, new SimulatedClock(60_000))['reconcile-cycles'].RECONCILE_GRACE_SECONDS).toBe('1440');
  });
});

describe("the local cloud's deployment", () => {
  const LOCAL = { tables: TABLES, stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:autorestore-restore-object', account: '000000000000' };

  it('with default options, sets the variables the local cloud set before they came from the deployment configuration', () => {
    const clock = new SimulatedClock(1000);
    const env = localFunctionEnvironment(localDeploymentConfig({}), LOCAL, clock);
    const simulatedSeconds = (s: number) => String(clock.realSeconds(s));
    expect(env).toEqual({
      OBJECTS_TABLE: 'objects-t',
      AUDIT_TABLE: 'audit-t',
      NOTICES_TABLE: 'notices-t',
      PRINCIPALS_TABLE: 'principals-t',
      STATE_MACHINE_ARN: LOCAL.stateMachineArn,
      WATCHED_BUCKETS: '*',
      ACCOUNT_ID: '000000000000',
      RESTORE_TIERS: JSON.stringify({ GLACIER: 'Standard', DEEP_ARCHIVE: 'Standard', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard' }),
      RESTORE_DAYS: '7',
      MAX_WAIT_CYCLES: '4',
      // No policy rules and no budget: every read restored as before policies existed.
      RESTORE_POLICY: JSON.stringify({ rules: [], approvers: [], approvalTimeoutSeconds: 86_400 }),
      RESTORE_PRICES: JSON.stringify(restorePricesOf(loadPriceTable())),
      SENDER_ADDRESS: 'restores@autorestore.local',
      DEBOUNCE_SECONDS: simulatedSeconds(120),
      MAX_WAIT_SECONDS: simulatedSeconds(900),
      MAX_FILES_PER_EMAIL: '100',
      UNRESOLVED_RETENTION_SECONDS: simulatedSeconds(7 * 24 * 3600),
      AGGREGATOR_LEASE_SECONDS: simulatedSeconds(300),
      EXPIRY_REMINDER_SECONDS: simulatedSeconds(24 * 3600),
      RECONCILE_GRACE_SECONDS: '5',
    });
    for (const [fn, schema] of Object.entries(SCHEMAS)) expect(() => loadEnv(schema, env), fn).not.toThrow();
  });

  it('reads its options as the stack reads its configuration', () => {
    const config = localDeploymentConfig({
      watchedBuckets: ['archive', 'media'],
      restoreTiers: { DEEP_ARCHIVE: 'Bulk' },
      restoreDays: 365,
      debounceSeconds: 3600,
      maxWaitSeconds: 7200,
      waitTimeoutSeconds: 7200,
      maxWaitCycles: 10,
      senderAddress: 'ops@example.org',
    });
    expect(config).toMatchObject({
      watchedBuckets: ['archive', 'media'],
      restoreTiers: { GLACIER: 'Standard', DEEP_ARCHIVE: 'Bulk', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard' },
      restoreDays: 365,
      debounceSeconds: 3600,
      maxWaitSeconds: 7200,
      waitTimeoutSeconds: 7200,
      maxWaitCycles: 10,
      senderAddress: 'ops@example.org',
      sesIdentity: 'example.org',
    });
    expect(localDeploymentConfig({}).watchedBuckets).toEqual([EVERY_BUCKET]);
  });

  it("keeps the reconciler's grace at one default period when the local schedule is off, and scales a slower one", () => {
    const clock = new SimulatedClock(60_000);
    expect(localFunctionEnvironment(localDeploymentConfig({ reconcileEveryMinutes: 0 }), LOCAL, clock).RECONCILE_GRACE_SECONDS).toBe(String(clock.realSeconds(15 * 60)));
    expect(localFunctionEnvironment(localDeploymentConfig({ reconcileEveryMinutes: 30 }), LOCAL, clock).RECONCILE_GRACE_SECONDS).toBe(String(clock.realSeconds(30 * 60)));
  });

  it('refuses options the stack would refuse, naming them', () => {
    expect(() => localDeploymentConfig({ debounceSeconds: 900, maxWaitSeconds: 120 })).toThrow(/maxWaitSeconds must be at least debounceSeconds/);
    expect(() => localDeploymentConfig({ watchedBuckets: ['Not_A_Bucket'] })).toThrow(/watchedBuckets.0: not a valid S3 bucket name/);
    expect(() => localDeploymentConfig({ restoreTiers: { DEEP_ARCHIVE: 'Expedited' } })).toThrow(/Expedited retrieval is not available for Deep Archive/);
  });
});
