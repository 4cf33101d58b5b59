/**
 * Plans and submits one bulk restore (listing, streamed manifest, upload, batch record,
 * workflow start) in a process of its own, so its peak memory is its own: prints the
 * submission, the wall time and the peak RSS as JSON. Used by bench/bulk.ts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { submitBatch } from '../cli/commands/batch-submit.js';
import { ordererReader } from '../functions/domain/restores/order-restore.js';
import { BatchBook } from '../functions/domain/stores/batches.js';
import { documentClient } from '../functions/domain/wiring/document-client.js';

const [endpoint, table, manifestBucket, stateMachineArn, bucket, prefix, requester, notify, tier] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  'STANDARD' | 'BULK',
];
const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: requester, secretAccessKey: 'local' } };
// BULK_S3_ENDPOINT: a listing generator in place of S3 (bench/bulk-listing.ts).
const s3 = new S3Client({ ...config, endpoint: process.env.BULK_S3_ENDPOINT ?? endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
const sfn = new SFNClient(config);
const ddb = documentClient(config);

const started = process.hrtime.bigint();
const submission = await submitBatch(
  { s3, sfn, batches: new BatchBook(ddb, table), manifestBucket, batchStateMachineArn: stateMachineArn, now: () => new Date() },
  { bucket, prefix, tier, days: 1, recipients: [ordererReader(requester), ordererReader(requester, notify)] },
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ submission, seconds, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
for (const client of [s3, sfn, ddb]) client.destroy();
