import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../domain/stores/audit.js';
import { clients } from '../domain/wiring/clients.js';
import { loadEnv } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { NoticeBook } from '../domain/stores/notices.js';
import { ObjectRecords } from '../domain/stores/records.js';
import { reconcileCyclesEnvSchema } from './env.js';
import { reconcile } from './reconcile.js';

const env = loadEnv(reconcileCyclesEnvSchema);
const ddb = clients.ddb();

/** Runs on a schedule; its input (a constant) carries nothing. */
async function reconcileCyclesHandler() {
  const result = await reconcile({
    s3: clients.s3(),
    sfn: clients.sfn(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    notices: new NoticeBook(ddb, env.NOTICES_TABLE),
    stateMachineArn: env.STATE_MACHINE_ARN,
    graceMs: env.RECONCILE_GRACE_SECONDS * 1000,
    now: () => new Date(),
    log: logger,
  });
  logger.info('open cycles reconciled', { ...result });
  return result;
}

export const handler = middy(reconcileCyclesHandler).use(injectLambdaContext(logger));
