import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../shared/audit.js';
import { clients } from '../shared/clients.js';
import { detectAccessEnvSchema, loadEnv } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { NoticeBook } from '../shared/notices.js';
import { ObjectRecords } from '../shared/records.js';
import { detectAccess } from './detect.js';

const env = loadEnv(detectAccessEnvSchema);
const ddb = clients.ddb();

async function detectAccessHandler(event: unknown) {
  const result = await detectAccess(event, {
    sfn: clients.sfn(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    notices: new NoticeBook(ddb, env.NOTICES_TABLE),
    stateMachineArn: env.STATE_MACHINE_ARN,
    watchedBuckets: env.WATCHED_BUCKETS,
    accountId: env.ACCOUNT_ID,
    now: () => new Date(),
    log: logger,
  });
  logger.info('read handled', { ...result });
  return result;
}

export const handler = middy(detectAccessHandler).use(injectLambdaContext(logger));
