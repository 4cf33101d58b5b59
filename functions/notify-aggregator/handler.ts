import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AuditLog } from '../domain/stores/audit.js';
import { clients } from '../domain/wiring/clients.js';
import { loadEnv, notifyAggregatorEnvSchema } from '../domain/wiring/config.js';
import { logger } from '../domain/wiring/logger.js';
import { functionMetrics } from '../domain/wiring/metrics.js';
import { executionLink } from '../domain/rules/execution-link.js';
import { NoticeBook } from '../domain/stores/notices.js';
import { ExpiryReminderOptOuts } from '../domain/stores/expiry-opt-outs.js';
import { PrincipalMap } from '../domain/stores/principals.js';
import { ObjectRecords } from '../domain/stores/records.js';
import { handleAggregatorEvent } from './aggregator.js';

const env = loadEnv(notifyAggregatorEnvSchema);
const ddb = clients.ddb();
const now = () => new Date();
const metrics = functionMetrics('notify-aggregator');

async function notifyAggregatorHandler(event: unknown) {
  try {
    return await aggregate(event);
  } finally {
    metrics.flush();
  }
}

function aggregate(event: unknown) {
  return handleAggregatorEvent(event, {
    ses: clients.ses(),
    records: new ObjectRecords(ddb, env.OBJECTS_TABLE),
    notices: new NoticeBook(ddb, env.NOTICES_TABLE),
    principals: new PrincipalMap(ddb, env.PRINCIPALS_TABLE),
    audit: new AuditLog(ddb, env.AUDIT_TABLE),
    sender: env.SENDER_ADDRESS,
    configurationSet: env.SES_CONFIGURATION_SET,
    rules: { debounceMs: env.DEBOUNCE_SECONDS * 1000, maxWaitMs: env.MAX_WAIT_SECONDS * 1000 },
    maxFilesPerEmail: env.MAX_FILES_PER_EMAIL,
    unresolvedRetentionMs: env.UNRESOLVED_RETENTION_SECONDS * 1000,
    leaseMs: env.AGGREGATOR_LEASE_SECONDS * 1000,
    expiryReminderMs: env.EXPIRY_REMINDER_SECONDS * 1000,
    reminderOptOuts: new ExpiryReminderOptOuts(ddb, env.NOTICES_TABLE),
    now,
    log: logger,
    metrics,
    // The Step Functions console on AWS; the local console when running against a local endpoint.
    executionLink: (executionArn) => executionLink(executionArn, process.env.AWS_ENDPOINT_URL),
  });
}

export const handler = middy(notifyAggregatorHandler).use(injectLambdaContext(logger));
