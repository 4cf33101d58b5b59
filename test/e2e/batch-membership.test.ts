/** `status` and `history` say which bulk restore an object is part of, and the object's own restore state, before and after S3 completes it. */
import { HeadObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import type { BatchRecord } from '../../functions/domain/stores/batches.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli, type CliRun } from '../support/cli.js';

let h: Harness;
const BUCKET = 'bulk-members';
const CALLER = 'AKIABATCHMEMBERS0001';

beforeAll(async () => {
  // 20 s per simulated hour: an Expedited restore takes 1 s, a Standard one 80 s (still under way while the test reads it).
  h = await startHarness({ realMsPerSimulatedHour: 20_000 });
  await h.createBucket(BUCKET);
});
afterAll(async () => {
  await h.stop();
});

function batchOf(batchId: string, prefix: string, status: BatchRecord['status']): BatchRecord {
  const now = new Date().toISOString();
  return {
    objectId: `#batch#${batchId}`,
    batchId,
    bucket: BUCKET,
    prefix,
    requestKey: `request-${batchId}`,
    status,
    tier: 'STANDARD',
    days: 2,
    jobs: [],
    objectCount: 2,
    recipients: [],
    createdAt: now,
    expectedReadyAt: now,
    deadline: now,
    updatedAt: now,
  };
}

describe('an object of a bulk restore', () => {
  it('status and history name the running batch before the object has a record, and the ended batch from the record after', async () => {
    await h.putObjects(BUCKET, ['run/waiting.bin', 'run/restoring.bin', 'done/ready.bin', 'alone/archived.bin'], 'GLACIER');
    await h.putObject(BUCKET, 'run/plain.txt', 'STANDARD');
    // A running batch over run/: S3 has started one restore and not yet the other.
    await h.batches.create(batchOf('run-batch', 'run/', 'RUNNING'));
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'run/restoring.bin', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } } }));
    // An ended batch over done/: S3 completed its object's restore, and the completion gave the object its record.
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'done/ready.bin', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Expedited' } } }));
    const expiry = await eventually(
      async () => {
        const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'done/ready.bin' }));
        return head.Restore?.includes('ongoing-request="false"') ? /expiry-date="([^"]+)"/.exec(head.Restore)![1] : undefined;
      },
      'the Expedited restore to complete',
      30_000,
    );
    const done = batchOf('done-batch', 'done/', 'RESTORING');
    await h.batches.create(done);
    expect(
      await h.batches.recordRestored(done, { bucket: BUCKET, key: 'done/ready.bin' }, { restoredAt: new Date().toISOString(), expiryDate: new Date(expiry).toISOString() }, new Date()),
    ).toMatchObject({
      recorded: true,
    });
    await h.batches.end(done, 'READY', new Date());

    const status = await autorestore(['--json', 'status', `s3://${BUCKET}/`]);
    expect(status.code).toBe(0);
    const rows = (JSON.parse(status.stdout) as { objects: { key: string; batch?: unknown }[] }).objects;
    const batchOfKey = (key: string) => rows.find((r) => r.key === key)?.batch;
    expect(batchOfKey('run/waiting.bin')).toEqual({ batchId: 'run-batch', batchStatus: 'RUNNING', objectState: 'not yet known' });
    expect(batchOfKey('run/restoring.bin')).toEqual({ batchId: 'run-batch', batchStatus: 'RUNNING', objectState: 'restoring' });
    expect(batchOfKey('done/ready.bin')).toEqual({ batchId: 'done-batch', batchStatus: 'READY', objectState: 'restored', restoredUntil: expect.any(String) as unknown });
    // Not archived, or under no batch's prefix: no batch.
    expect(batchOfKey('run/plain.txt')).toBeUndefined();
    expect(batchOfKey('alone/archived.bin')).toBeUndefined();

    const text = await autorestore(['status', `s3://${BUCKET}/run/`]);
    expect(text.stdout).toMatch(/RESTORE_IN_PROGRESS .*run\/restoring\.bin {2}\(part of batch run-batch \(RUNNING\): restoring\)/);
    expect(text.stdout).toMatch(/ARCHIVED .*run\/waiting\.bin {2}\(part of batch run-batch \(RUNNING\): not yet known\)/);

    const history = JSON.parse((await autorestore(['--json', 'history', `s3://${BUCKET}/run/restoring.bin`])).stdout) as { batch?: unknown };
    expect(history.batch).toEqual({ batchId: 'run-batch', batchStatus: 'RUNNING', objectState: 'restoring' });
    const readyHistory = await autorestore(['history', `s3://${BUCKET}/done/ready.bin`]);
    expect(readyHistory.stdout).toMatch(/part of batch done-batch \(READY\): restored until \d{4}-/);
    const alone = JSON.parse((await autorestore(['--json', 'history', `s3://${BUCKET}/alone/archived.bin`])).stdout) as { batch?: unknown };
    expect(alone.batch).toBeUndefined();

    // The console's object page says the same.
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${h.cloud.endpoint}/_console/#/object/${encodeURIComponent(objectIdOf({ bucket: BUCKET, key: 'run/restoring.bin' }))}`);
      await expect.poll(() => page.locator('[data-fact="batch"]').innerText(), { timeout: 30_000 }).toBe('part of batch run-batch (RUNNING): restoring');
      expect(await page.locator('[data-fact="status"]').innerText()).toBe('never restored');
      await page.goto(`${h.cloud.endpoint}/_console/#/object/${encodeURIComponent(objectIdOf({ bucket: BUCKET, key: 'done/ready.bin' }))}`);
      await expect.poll(() => page.locator('[data-fact="batch"]').innerText(), { timeout: 30_000 }).toMatch(/^part of batch done-batch \(READY\): restored until \d{4}-/);
    } finally {
      await browser.close();
    }
  });
});

const autorestore = (args: string[]): Promise<CliRun> => runCli({ endpoint: h.cloud.endpoint, accessKeyId: CALLER }, args);
