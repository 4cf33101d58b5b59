import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../domain/stores/audit.js';
import { BatchBook } from '../domain/stores/batches.js';
import { clients } from '../domain/wiring/clients.js';
import { loadEnv, restoreCompletedEnvSchema } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { NoticeBook } from '../domain/stores/notices.js';
import { ObjectRecords } from '../domain/stores/records.js';
import { restoreCompleted } from './completed.js';

const env = loadEnv(restoreCompletedEnvSchema);
const ddb = clients.ddb();

async function restoreCompletedHandler(event: unknown) {
  const result = await restoreCompleted(event, {
    sfn: clients.sfn(),
    s3: clients.s3(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    watchedBuckets: env.WATCHED_BUCKETS,
    accountId: env.ACCOUNT_ID,
    ...(env.AUTO_KEEP ? { autoKeep: env.AUTO_KEEP } : {}),
    ...(env.NOTICES_TABLE ? { notices: new NoticeBook(ddb, env.NOTICES_TABLE) } : {}),
    batches: new BatchBook(ddb, env.OBJECTS_TABLE),
    now: () => new Date(),
    log: logger,
  });
  logger.info('restore event handled', { ...result });
  return result;
}

export const handler = middy(restoreCompletedHandler).use(injectLambdaContext(logger));
