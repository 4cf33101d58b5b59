import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../domain/stores/audit.js';
import { clients } from '../domain/wiring/clients.js';
import { loadEnv, restoreStepsEnvSchema } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { ObjectRecords } from '../domain/stores/records.js';
import { runStep } from './steps.js';

const env = loadEnv(restoreStepsEnvSchema);
const ddb = clients.ddb();

async function restoreStepsHandler(event: unknown) {
  return runStep(event, {
    s3: clients.s3(),
    sfn: clients.sfn(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    tiers: env.RESTORE_TIERS,
    restoreDays: env.RESTORE_DAYS,
    maxWaitCycles: env.MAX_WAIT_CYCLES,
    now: () => new Date(),
    log: logger,
  });
}

export const handler = middy(restoreStepsHandler).use(injectLambdaContext(logger));
