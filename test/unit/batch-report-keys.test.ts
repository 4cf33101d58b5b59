/** BO16: a completion report may spell a key URL-encoded (as the manifest) or raw; either way the batch reads the key it submitted. */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { BatchBook, type BatchRecord } from '../../functions/domain/stores/batches.js';
import { keyReadings, resolveReportKeys } from '../../functions/restore-batch/reports.js';
import { runBatchStep, type BatchStepDeps } from '../../functions/restore-batch/steps.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { batchRecord, batchStepDeps } from '../support/batches.js';

/** S3 as the report step sees it: objects in a map (GetObject reads, PutObject writes). */
class MapS3 extends S3Client {
  readonly objects = new Map<string, string>();
  constructor() {
    super({ region: 'us-east-1' });
  }
  override send(command: unknown): Promise<never> {
    if (command instanceof GetObjectCommand) {
      const body = this.objects.get(`${command.input.Bucket!}/${command.input.Key!}`);
      if (body === undefined) return Promise.reject(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
      return Promise.resolve({ Body: Object.assign(Readable.from([Buffer.from(body)]), { transformToString: () => Promise.resolve(body) }) } as never);
    }
    if (command instanceof PutObjectCommand) {
      this.objects.set(`${command.input.Bucket!}/${command.input.Key!}`, command.input.Body as string);
      return Promise.resolve({ ETag: '"e"' } as never);
    }
    return Promise.reject(new Error(`unexpected ${(command as object).constructor.name}`));
  }
}

const NOW = new Date('2026-11-23T06:00:00Z');
const MANIFESTS = 'manifests';
let state: TestState;
let batches: BatchBook;
beforeAll(async () => {
  state = await startTestState();
  batches = new BatchBook(state.ddb, state.tableNames.objects);
});
afterAll(() => state.stop());

const deps = (s3: S3Client): BatchStepDeps => batchStepDeps(state, batches, NOW, { s3, manifestBucket: MANIFESTS });

const batch = (batchId: string, count: number): BatchRecord =>
  batchRecord(batchId, NOW, {
    status: 'RUNNING',
    days: 2,
    jobs: [
      {
        kind: 'archive',
        manifestKey: `batches/${batchId}/archive.csv`,
        manifestEtag: 'e',
        count,
        deep: false,
        attempt: 0,
        jobId: `job-${batchId}`,
        status: 'Complete',
        succeeded: 1,
        failed: count - 1,
      },
    ],
    objectCount: count,
    recipients: [ordererReader('AKIABATCHOWNER000003', 'owner@example.com')],
  });

// Keys whose raw and encoded spellings read differently: a `+`, a space with a `+`, a `%`, a comma.
const SLOW = 'p/a+b.bin';
const DENIED = 'p/100% done, final.bin';
const GONE = 'p/x%20y.bin';

/** A batch whose job reported SLOW as throttled, DENIED as refused and GONE as deleted, the report spelling keys with `spell`. */
async function reportWith(batchId: string, spell: (key: string) => string) {
  const s3 = new MapS3();
  const keys = [SLOW, DENIED, GONE, 'p/fine.bin', 'p/done.bin'];
  s3.objects.set(`${MANIFESTS}/batches/${batchId}/archive.csv`, keys.map((k) => `b,${encodeURIComponent(k)}\n`).join(''));
  const reports = `batches/${batchId}/reports/job-job-${batchId}`;
  s3.objects.set(`${MANIFESTS}/${reports}/manifest.json`, JSON.stringify({ Results: [{ TaskExecutionStatus: 'failed', Bucket: MANIFESTS, Key: `${reports}/results/failed.csv` }] }));
  const cell = (text: string) => `"${text.replace(/"/g, '""')}"`;
  s3.objects.set(
    `${MANIFESTS}/${reports}/results/failed.csv`,
    [
      `b,${cell(spell(SLOW))},,failed,SlowDown,503,Please reduce your request rate.`,
      `b,${cell(spell(DENIED))},,failed,AccessDenied,403,Access Denied`,
      `b,${cell(spell(GONE))},,failed,NoSuchKey,404,The specified key does not exist.`,
      `b,p/fine.bin,,failed,RestoreAlreadyInProgress,409,Object restore is already in progress`,
    ].join('\n'),
  );
  await batches.create(batch(batchId, keys.length));
  const answer = await runBatchStep({ action: 'report', batchId }, deps(s3));
  return { answer, s3, record: (await batches.get(batchId))! };
}

describe('completion report keys', () => {
  for (const [spelling, spell] of [
    ['URL-encoded, as in the manifest', encodeURIComponent],
    ['raw', (key: string) => key],
  ] as const) {
    it(`reads keys spelt ${spelling}: the throttled key is retried as submitted, the refused one named, the deleted and the already restoring counted apart`, async () => {
      const id = spelling === 'raw' ? 'keys-raw' : 'keys-encoded';
      const { answer, s3, record } = await reportWith(id, spell);
      expect(answer).toEqual({ retry: true, expected: 2, deleted: 1, failed: 1 });
      expect(record.jobs[0]).toMatchObject({ reported: true, alreadyRestoring: 1, deleted: 1, retried: 1 });
      expect(s3.objects.get(`${MANIFESTS}/batches/${id}/retry-1-archive.csv`)).toBe(`b,${encodeURIComponent(SLOW)}\n`);
      expect(record.failures).toEqual([{ reason: 'AccessDenied (403): Access Denied', count: 1, sample: [DENIED] }]);
    });
  }

  it('reads a text as the key it names when both readings are submitted keys, by the spelling the report’s other rows show', () => {
    const submitted = new Set(['p/a b', 'p/a%20b', 'p/c+d']);
    // Raw, shown by `p/c+d` (its decoded reading `p/c d` was not submitted).
    expect(resolveReportKeys(['p/a%20b', 'p/c+d'], submitted)).toEqual(['p/a%20b', 'p/c+d']);
    // Encoded, shown by `p/c%2Bd`.
    expect(resolveReportKeys(['p/a%20b', 'p/c%2Bd'], submitted)).toEqual(['p/a b', 'p/c+d']);
  });

  it('leaves a text unresolved, never guessed, when nothing settles which submitted key it names or it names none', () => {
    const submitted = new Set(['p/a b', 'p/a%20b']);
    expect(resolveReportKeys(['p/a%20b'], submitted)).toEqual([undefined]);
    expect(resolveReportKeys(['p/q%20r'], submitted)).toEqual([undefined]);
    expect(keyReadings('p/plain key.bin')).toEqual(['p/plain key.bin']);
    expect(keyReadings('p/a+b')).toEqual(['p/a b', 'p/a+b']);
  });

  it('a task S3 found already restoring is waited for like an accepted one: the batch ends READY, nothing reported failed', async () => {
    const s3 = new MapS3();
    const reports = 'batches/keys-restoring/reports/job-job-keys-restoring';
    s3.objects.set(`${MANIFESTS}/batches/keys-restoring/archive.csv`, 'b,p%2Fone.bin\nb,p%2Ftwo.bin\n');
    s3.objects.set(`${MANIFESTS}/${reports}/manifest.json`, JSON.stringify({ Results: [{ TaskExecutionStatus: 'failed', Bucket: MANIFESTS, Key: `${reports}/failed.csv` }] }));
    s3.objects.set(`${MANIFESTS}/${reports}/failed.csv`, 'b,p%2Ftwo.bin,,failed,RestoreAlreadyInProgress,409,Object restore is already in progress\n');
    await batches.create(batch('keys-restoring', 2));
    expect(await runBatchStep({ action: 'report', batchId: 'keys-restoring' }, deps(s3))).toEqual({ retry: false, expected: 2, deleted: 0, failed: 0 });
    const waiting = (await batches.get('keys-restoring'))!;
    await batches.recordRestored(waiting, { bucket: 'b', key: 'p/one.bin' }, { restoredAt: NOW.toISOString() }, NOW);
    await batches.recordRestored(waiting, { bucket: 'b', key: 'p/two.bin' }, { restoredAt: NOW.toISOString() }, NOW);
    expect(await runBatchStep({ action: 'readiness', batchId: 'keys-restoring' }, deps(s3))).toMatchObject({ state: 'ready' });
    expect(await runBatchStep({ action: 'finish', batchId: 'keys-restoring' }, deps(s3))).toEqual({ status: 'READY', restored: 2, failed: 0, deleted: 0 });
  });

  it('a versioned batch: the report’s version ids go into a three-column retry manifest, whose job is created with the VersionId field', async () => {
    const s3 = new MapS3();
    const id = 'keys-versioned';
    const reports = `batches/${id}/reports/job-job-${id}`;
    // Report keys spelt with `%` are looked up in the manifest (BO16): its third column must not get in the way.
    s3.objects.set(`${MANIFESTS}/batches/${id}/archive.csv`, `b,${encodeURIComponent(SLOW)},v-slow\nb,${encodeURIComponent('p/a b')},v-space\nb,p%2Fdenied.bin,v-denied\n`);
    s3.objects.set(`${MANIFESTS}/${reports}/manifest.json`, JSON.stringify({ Results: [{ TaskExecutionStatus: 'failed', Bucket: MANIFESTS, Key: `${reports}/failed.csv` }] }));
    s3.objects.set(
      `${MANIFESTS}/${reports}/failed.csv`,
      [
        `b,${encodeURIComponent(SLOW)},v-slow,failed,SlowDown,503,Please reduce your request rate.`,
        `b,p%2Fdenied.bin,v-denied,failed,AccessDenied,403,Access Denied`,
        `b,${encodeURIComponent('p/a b')},v-space,failed,NoSuchVersion,404,The specified version does not exist.`,
      ].join('\n'),
    );
    const versioned = batch(id, 3);
    versioned.jobs = versioned.jobs.map((job) => ({ ...job, versioned: true }));
    await batches.create(versioned);
    expect(await runBatchStep({ action: 'report', batchId: id }, deps(s3))).toEqual({ retry: true, expected: 1, deleted: 1, failed: 1 });
    const record = (await batches.get(id))!;
    expect(s3.objects.get(`${MANIFESTS}/batches/${id}/retry-1-archive.csv`)).toBe(`b,${encodeURIComponent(SLOW)},v-slow\n`);
    expect(record.jobs[1]).toMatchObject({ attempt: 1, count: 1, versioned: true });
    const prepared = (await runBatchStep({ action: 'prepare', batchId: id }, deps(s3))) as { archive: { fields: string[]; manifestArn: string } };
    expect(prepared.archive).toMatchObject({ fields: ['Bucket', 'Key', 'VersionId'], manifestArn: `arn:aws:s3:::${MANIFESTS}/batches/${id}/retry-1-archive.csv` });
  });

  it('an unversioned batch keeps two columns: retry manifests and the job’s fields name Bucket and Key only', async () => {
    const { s3 } = await reportWith('keys-unversioned', encodeURIComponent);
    expect(s3.objects.get(`${MANIFESTS}/batches/keys-unversioned/retry-1-archive.csv`)).toBe(`b,${encodeURIComponent(SLOW)}\n`);
    const prepared = (await runBatchStep({ action: 'prepare', batchId: 'keys-unversioned' }, deps(s3))) as { archive: { fields: string[] } };
    expect(prepared.archive.fields).toEqual(['Bucket', 'Key']);
  });
});
