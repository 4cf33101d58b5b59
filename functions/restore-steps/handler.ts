import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../domain/stores/audit.js';
import { clients } from '../domain/wiring/clients.js';
import { loadEnv, restoreStepsEnvSchema } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { functionMetrics } from '../domain/wiring/metrics.js';
import { ObjectRecords } from '../domain/stores/records.js';
import { CostLedger } from '../domain/stores/ledger.js';
import { NoticeBook } from '../domain/stores/notices.js';
import { runStep } from './steps.js';

const env = loadEnv(restoreStepsEnvSchema);
const ddb = clients.ddb();
const metrics = functionMetrics('restore-steps');

async function restoreStepsHandler(event: unknown) {
  const result = await step(event);
  // Restores by tier, for the dashboard: only the requests S3 accepted as new restores.
  if (isNewRestore(result)) {
    metrics.count('RestoresRequested', 1, { name: 'tier', value: result.tier });
    metrics.flush();
  }
  return result;
}

function isNewRestore(result: unknown): result is { outcome: 'REQUESTED'; tier: string } {
  return typeof result === 'object' && result !== null && 'outcome' in result && result.outcome === 'REQUESTED' && 'tier' in result && typeof result.tier === 'string';
}

function step(event: unknown) {
  return runStep(event, {
    s3: clients.s3(),
    sfn: clients.sfn(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    tiers: env.RESTORE_TIERS,
    restoreDays: env.RESTORE_DAYS,
    policy: env.RESTORE_POLICY,
    prices: env.RESTORE_PRICES,
    ledger: new CostLedger(ddb, env.AUDIT_TABLE),
    notices: new NoticeBook(ddb, env.NOTICES_TABLE),
    maxWaitCycles: env.MAX_WAIT_CYCLES,
    now: () => new Date(),
    log: logger,
  });
}

export const handler = middy(restoreStepsHandler).use(injectLambdaContext(logger));
