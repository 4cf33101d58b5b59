/** The bulk path when S3's completion events never arrive: a HeadObject sample finds the objects restored, and the batch ends ready, not partial. */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { submitBatch } from '../../cli/commands/batch-submit.js';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { BATCH_STATE_MACHINE_ARN, MANIFEST_BUCKET } from '../../local/deployment.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'bulk-no-events';

beforeAll(async () => {
  // Every Object Restore Completed event is lost. A Standard restore takes 4 simulated hours (4 s),
  // the tier's maximum is 5 (the sample), the partial report comes after 11.
  h = await startHarness({ realMsPerSimulatedHour: 1000, faults: { dropRestoreEvents: 1 } });
  await h.createBucket(BUCKET);
});
afterAll(async () => {
  await h.stop();
});

it('ends READY from a HeadObject sample at the expected time, on the deployment’s clock', async () => {
  await h.putObjects(
    BUCKET,
    Array.from({ length: 30 }, (_, i) => `lost/${i}.bin`),
    'GLACIER',
  );
  const submitted = await submitBatch(
    { s3: h.s3(), sfn: h.sfn, batches: h.batches, manifestBucket: MANIFEST_BUCKET, batchStateMachineArn: BATCH_STATE_MACHINE_ARN, now: () => new Date() },
    { bucket: BUCKET, prefix: 'lost/', tier: 'STANDARD', days: 1, recipients: [ordererReader('AKIALOSTEVENTS000001', 'lost@example.com')] },
  );
  if (submitted.outcome !== 'submitted') throw new Error(`not submitted: ${submitted.outcome}`);
  const execution = await eventually(
    async () => {
      const out = await h.sfn.send(new DescribeExecutionCommand({ executionArn: submitted.executionArn }));
      return out.status !== 'RUNNING' ? out : undefined;
    },
    'the batch to end',
    60_000,
    200,
  );
  expect(execution.status).toBe('SUCCEEDED');
  const batch = (await h.batches.get(submitted.batchId))!;
  expect(batch).toMatchObject({ status: 'READY', expectedCount: 30, restoredCount: 30 });
  // It was the sample, not the deadline: the batch ended before its partial report was due.
  expect(Date.parse(batch.updatedAt)).toBeLessThan(Date.parse(batch.deadline));
});
