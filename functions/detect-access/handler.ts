import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../domain/stores/audit.js';
import { BatchBook } from '../domain/stores/batches.js';
import { clients } from '../domain/wiring/clients.js';
import { detectAccessEnvSchema, loadEnv } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { functionMetrics } from '../domain/wiring/metrics.js';
import { NoticeBook } from '../domain/stores/notices.js';
import { ObjectRecords } from '../domain/stores/records.js';
import { detectAccess } from './detect.js';

const env = loadEnv(detectAccessEnvSchema);
const ddb = clients.ddb();
const metrics = functionMetrics('detect-access');

async function detectAccessHandler(event: unknown) {
  const result = await detectAccess(event, {
    sfn: clients.sfn(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    notices: new NoticeBook(ddb, env.NOTICES_TABLE),
    stateMachineArn: env.STATE_MACHINE_ARN,
    batches: new BatchBook(ddb, env.OBJECTS_TABLE),
    watchedBuckets: env.WATCHED_BUCKETS,
    accountId: env.ACCOUNT_ID,
    now: () => new Date(),
    log: logger,
  });
  logger.info('read handled', { ...result });
  // The read's own time (CloudTrail's eventTime) to now: the first leg of read -> "started" email.
  const readTime = Date.parse(String((event as { detail?: { eventTime?: unknown } } | undefined)?.detail?.eventTime));
  if (result.outcome === 'started' && Number.isFinite(readTime)) {
    metrics.milliseconds('ReadDetectionDelay', Date.now() - readTime);
    metrics.flush();
  }
  return result;
}

export const handler = middy(detectAccessHandler).use(injectLambdaContext(logger));
