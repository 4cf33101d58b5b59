import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { BatchBook } from '../domain/stores/batches.js';
import { NoticeBook } from '../domain/stores/notices.js';
import { clients } from '../domain/wiring/clients.js';
import { loadEnv } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { S3ControlClient } from './s3control.js';
import { restoreBatchEnvSchema } from './env.js';
import { runBatchStep } from './steps.js';

const env = loadEnv(restoreBatchEnvSchema);
const ddb = clients.ddb();
const control = new S3ControlClient({
  accountId: env.ACCOUNT_ID,
  region: process.env.AWS_REGION ?? 'us-east-1',
  // The same endpoint variables the SDK clients honour (the local cloud sets one).
  endpoint: process.env.AWS_ENDPOINT_URL_S3_CONTROL ?? process.env.AWS_ENDPOINT_URL,
  credentials: () => clients.s3().config.credentials(),
});

async function restoreBatchHandler(event: unknown) {
  return runBatchStep(event, {
    s3: clients.s3(),
    control,
    batches: new BatchBook(ddb, env.OBJECTS_TABLE),
    notices: new NoticeBook(ddb, env.NOTICES_TABLE),
    manifestBucket: env.MANIFEST_BUCKET,
    readySeconds: {
      flexible: { STANDARD: env.BATCH_READY_FLEXIBLE_STANDARD_SECONDS, BULK: env.BATCH_READY_FLEXIBLE_BULK_SECONDS },
      deep: { STANDARD: env.BATCH_READY_DEEP_STANDARD_SECONDS, BULK: env.BATCH_READY_DEEP_BULK_SECONDS },
    },
    deadlineSeconds: {
      flexible: { STANDARD: env.BATCH_DEADLINE_FLEXIBLE_STANDARD_SECONDS, BULK: env.BATCH_DEADLINE_FLEXIBLE_BULK_SECONDS },
      deep: { STANDARD: env.BATCH_DEADLINE_DEEP_STANDARD_SECONDS, BULK: env.BATCH_DEADLINE_DEEP_BULK_SECONDS },
    },
    now: () => new Date(),
    log: logger,
  });
}

export const handler = middy(restoreBatchHandler).use(injectLambdaContext(logger));
