/** `autorestore extend` and `autorestore keep` as a user runs them (a child process), against the local cloud. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiryReminderOptOuts } from '../../functions/domain/stores/expiry-opt-outs.js';
import { TABLE_NAMES } from '../../local/cloud.js';
import { parseRestoreHeader } from '../../functions/domain/rules/archive.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli, type CliRun } from '../support/cli.js';
import { documentClient } from '../../functions/domain/wiring/document-client.js';

let h: Harness;
const BUCKET = 'lifecycle-archive';
const READER = 'AKIAREADERLIFECYCLE1';
const ADMIN = 'AKIATESTADMIN0000001';
const work = mkdtempSync(join(tmpdir(), 'autorestore-lifecycle-'));

beforeAll(async () => {
  // A restored copy lives 2 simulated days = 9.6 real seconds; Expedited restores take milliseconds.
  h = await startHarness({ realMsPerSimulatedHour: 200, restoreDays: 2, restoreTiers: { GLACIER: 'Expedited' } });
  await h.createBucket(BUCKET);
  await h.principals.put(READER, 'reader@example.com', new Date());
  await h.putObject(BUCKET, 'plain.txt', 'STANDARD');
  await h.putObject(BUCKET, 'cold/never-restored.bin', 'GLACIER');
  await h.putObject(BUCKET, 'it/archived.bin', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
});
afterAll(() => h.stop());

const autorestore = (args: string[]): Promise<CliRun> => runCli({ endpoint: h.cloud.endpoint, accessKeyId: ADMIN, home: work }, args);

/** A Deep Archive restore under way (Bulk: 48 simulated hours, 9.6 real seconds). */
async function restoreUnderWay(key: string): Promise<void> {
  await h.putObject(BUCKET, key, 'DEEP_ARCHIVE');
  await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: key, RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Bulk' } } }));
}

/** Whole seconds: a listing gives the expiry to the millisecond, the Restore header to the second. */
const seconds = (iso: string | undefined) => Math.floor(Date.parse(iso ?? '') / 1000);

const calls = (op: string) => h.cloud.s3.calls.get(op) ?? 0;
const expiryOf = async (key: string) => parseRestoreHeader((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Restore)?.expiryDate;

/** A reader's read restores the object through the workflow; resolves once its record says RESTORED. */
async function restoredByReader(key: string, storageClass = 'GLACIER'): Promise<void> {
  await h.s3().send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: `content of ${key}`,
      StorageClass: storageClass as never,
      ContentType: 'text/csv',
      Metadata: { owner: 'lab-7' },
      Tagging: 'project=atlas',
    }),
  );
  expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
  await eventually(async () => (await h.records.get(objectIdOf({ bucket: BUCKET, key })))?.status === 'RESTORED', `${key} restored`, 30_000);
}

describe('autorestore extend', () => {
  beforeAll(() => restoreUnderWay('deep/in-progress.bin'));

  it.each([
    [['extend', '--days', '3', `s3://${BUCKET}/plain.txt`], /cannot extend plain\.txt: not archived \(STANDARD\)/],
    [['extend', '--days', '3', `s3://${BUCKET}/cold/never-restored.bin`], /cannot extend cold\/never-restored\.bin: not restored/],
    [['extend', '--days', '3', `s3://${BUCKET}/deep/in-progress.bin`], /cannot extend deep\/in-progress\.bin: the restore is still in progress/],
    [['extend', '--days', '3', `s3://${BUCKET}/it/archived.bin`], /cannot extend it\/archived\.bin: Intelligent-Tiering/],
    [['extend', '--days', '3', `s3://${BUCKET}/missing/key.bin`], /nothing at s3:\/\/lifecycle-archive\/missing\/key\.bin/],
    [['extend', '--days', '3', `s3://${BUCKET}/cold/`], /nothing to extend at s3:\/\/lifecycle-archive\/cold\/: 1 not restored/],
    [['extend', '--days', '0', `s3://${BUCKET}/cold/never-restored.bin`], /expected a positive whole number/],
    [['extend', '--days', '30001', `s3://${BUCKET}/cold/never-restored.bin`], /--days: days must be a whole number from 1 to 30000/],
    [['extend', `s3://${BUCKET}/cold/never-restored.bin`], /required option '--days <n>' not specified/],
  ])('%j: one line naming the problem, exit 2, no RestoreObject', async (args, message) => {
    const restores = calls('RestoreObject');
    const run = await autorestore(args);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(calls('RestoreObject')).toBe(restores);
  });

  it('moves the expiry (record and audit too); the object stays readable past the old expiry; --dry-run changes nothing', async () => {
    await Promise.all([restoredByReader('extend/report.csv'), restoredByReader('extend/control.csv')]);
    const objectId = objectIdOf({ bucket: BUCKET, key: 'extend/report.csv' });
    const oldExpiry = (await expiryOf('extend/report.csv'))!;

    const restores = calls('RestoreObject');
    const dry = await autorestore(['--json', 'extend', '--days', '5', '--dry-run', `s3://${BUCKET}/extend/report.csv`]);
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout) as { dryRun: boolean; extend: { key: string; expiry: string }[] };
    expect(planned).toMatchObject({ dryRun: true, extend: [{ key: 'extend/report.csv' }] });
    expect(seconds(planned.extend[0]!.expiry)).toBe(seconds(oldExpiry));
    expect(calls('RestoreObject')).toBe(restores);
    expect(await expiryOf('extend/report.csv')).toBe(oldExpiry);

    const run = await autorestore(['--json', 'extend', '--days', '5', `s3://${BUCKET}/extend/report.csv`]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { results: { key: string; outcome: string; previousExpiry: string; expiryDate: string }[] };
    expect(result.results).toEqual([{ key: 'extend/report.csv', outcome: 'extended', previousExpiry: expect.any(String) as string, expiryDate: expect.any(String) as string }]);
    expect(seconds(result.results[0]!.previousExpiry)).toBe(seconds(oldExpiry));
    const newExpiry = result.results[0]!.expiryDate;
    expect(Date.parse(newExpiry)).toBeGreaterThan(Date.parse(oldExpiry));
    expect(await expiryOf('extend/report.csv')).toBe(newExpiry);
    expect(calls('RestoreObject')).toBe(restores + 1);

    const record = await h.records.get(objectId);
    expect(record).toMatchObject({ status: 'RESTORED', expiryDate: newExpiry });
    const entry = (await h.audit.history(objectId)).find((e) => e.type === 'RESTORE_EXTENDED');
    expect(entry).toMatchObject({ cycle: record!.cycle, detail: { days: 5, previousExpiry: result.results[0]!.previousExpiry, expiryDate: newExpiry, by: ADMIN } });

    // The control, restored alongside for as long, expires; the extended copy is still there.
    await eventually(async () => (await h.read(BUCKET, 'extend/control.csv', ADMIN)) === 'InvalidObjectState', 'the control copy expired', 30_000);
    expect(await h.read(BUCKET, 'extend/report.csv', ADMIN)).toBe('OK');
  });
  it('--notify emails the readers the new expiry once per restore; without it they hear nothing', async () => {
    await restoredByReader('notify/notify.csv');
    const toReader = () => h.cloud.ses.list().filter((m) => m.to.includes('reader@example.com') && m.text.includes('notify/notify.csv'));
    await eventually(() => toReader().length === 2 || undefined, 'started and ready');
    const run = await autorestore(['--json', 'extend', '--days', '4', '--notify', `s3://${BUCKET}/notify/notify.csv`]);
    expect(JSON.parse(run.stdout)).toMatchObject({ results: [{ key: 'notify/notify.csv', outcome: 'extended', readersNotified: 1 }] });
    const emails = await eventually(() => (toReader().length === 3 ? toReader() : undefined), 'the extension email', 30_000);
    expect(emails[2]!.subject).toBe('The restored copy of 1 file stays longer');
    const again = await autorestore(['--json', 'extend', '--days', '5', '--notify', `s3://${BUCKET}/notify/notify.csv`]);
    expect(JSON.parse(again.stdout)).toMatchObject({ results: [{ outcome: 'extended', readersNotified: 0 }] });
    expect((await h.notices.pending()).filter((n) => n.kind === 'extended')).toEqual([]);
  });

  it('status shows "restored until <time>" for the extended copy and "expired <time>" for the one whose copy is gone', async () => {
    await eventually(async () => (await h.records.get(objectIdOf({ bucket: BUCKET, key: 'extend/control.csv' })))?.status === 'EXPIRED', 'the control cycle expired');
    const controlExpiry = (await h.records.get(objectIdOf({ bucket: BUCKET, key: 'extend/control.csv' })))!.expiryDate!;
    const run = await autorestore(['status', `s3://${BUCKET}/extend/`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ARCHIVED\s+GLACIER\s+expired (\S+)\s+extend\/control\.csv$/m);
    expect(/expired (\S+)/.exec(run.stdout)![1]).toBe(controlExpiry);
    expect(run.stdout).toMatch(/^RESTORED\s+GLACIER\s+restored until \S+\s+extend\/report\.csv$/m);
    const json = JSON.parse((await autorestore(['--json', 'status', `s3://${BUCKET}/extend/`])).stdout) as { objects: object[] };
    expect(json.objects).toEqual([
      { key: 'extend/control.csv', storageClass: 'GLACIER', state: 'ARCHIVED', expiredAt: controlExpiry },
      { key: 'extend/report.csv', storageClass: 'GLACIER', state: 'RESTORED', restoredUntil: expect.any(String) as string },
    ]);
  });
});

describe('autorestore keep', () => {
  beforeAll(() => restoreUnderWay('deep/in-progress-2.bin'));

  it.each([
    [['keep', '--yes', `s3://${BUCKET}/plain.txt`], /cannot keep plain\.txt: not archived \(STANDARD\)/],
    [['keep', '--yes', `s3://${BUCKET}/cold/never-restored.bin`], /cannot keep cold\/never-restored\.bin: not restored/],
    [['keep', '--yes', `s3://${BUCKET}/deep/in-progress-2.bin`], /cannot keep deep\/in-progress-2\.bin: the restore is still in progress/],
    [['keep', '--yes', `s3://${BUCKET}/it/archived.bin`], /cannot keep it\/archived\.bin: Intelligent-Tiering/],
    [['keep', '--yes', `s3://${BUCKET}/missing/key.bin`], /nothing at s3:\/\/lifecycle-archive\/missing\/key\.bin/],
    [['keep', '--yes', '--storage-class', 'DEEP_ARCHIVE', `s3://${BUCKET}/cold/never-restored.bin`], /'DEEP_ARCHIVE' is invalid/],
    [['keep', '--yes', '--part-size', String(1024 * 1024), `s3://${BUCKET}/keep/`], /--part-size: S3 takes parts of 5242880 to 5368709120 bytes/],
    [['keep', '--yes', '--single-copy-limit', String(6 * 1024 ** 3), `s3://${BUCKET}/keep/`], /--single-copy-limit: S3 copies at most 5368709120 bytes/],
  ])('%j: one line naming the problem, exit 2, no copy', async (args, message) => {
    const copies = calls('CopyObject');
    const run = await autorestore(args);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(calls('CopyObject')).toBe(copies);
  });

  it('copies the restored object onto itself: readable after its restore would have expired, metadata and tags as before, KEPT in the audit', async () => {
    await Promise.all([restoredByReader('keep/data.csv'), restoredByReader('keep/control.csv')]);
    const head = async () => h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'keep/data.csv' }));
    const tags = async () => (await h.s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'keep/data.csv' }))).TagSet;
    const before = await head();
    const tagsBefore = await tags();
    expect(tagsBefore).toEqual([{ Key: 'project', Value: 'atlas' }]);

    const dry = await autorestore(['--json', 'keep', '--dry-run', '--storage-class', 'STANDARD_IA', `s3://${BUCKET}/keep/data.csv`]);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { keep: { key: string; method: string }[]; estimate: { requestsUsd: number; storageDeltaUsdPerMonth: number } };
    expect(plan.keep).toEqual([expect.objectContaining({ key: 'keep/data.csv', method: 'CopyObject' })]);
    expect(plan.estimate.storageDeltaUsdPerMonth).toBeGreaterThan(0);
    expect((await head()).StorageClass).toBe('GLACIER');

    const run = await autorestore(['--json', 'keep', '--storage-class', 'STANDARD_IA', `s3://${BUCKET}/keep/data.csv`]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ results: [{ key: 'keep/data.csv', outcome: 'kept', storageClass: 'STANDARD_IA', method: 'CopyObject' }] });
    const after = await head();
    expect(after.StorageClass).toBe('STANDARD_IA');
    expect(after.Restore).toBeUndefined();
    expect({ type: after.ContentType, metadata: after.Metadata }).toEqual({ type: before.ContentType, metadata: before.Metadata });
    expect(await tags()).toEqual(tagsBefore);
    const objectId = objectIdOf({ bucket: BUCKET, key: 'keep/data.csv' });
    expect((await h.audit.history(objectId)).find((e) => e.type === 'KEPT')).toMatchObject({
      detail: { storageClass: 'STANDARD_IA', previousStorageClass: 'GLACIER', method: 'CopyObject', by: ADMIN },
    });
    // No "expires soon" reminder for a copy that no longer expires.
    expect((await h.records.copiesExpiringBefore('2100-01-01T00:00:00.000Z')).map((r) => r.objectId)).not.toContain(objectId);

    await eventually(async () => (await h.read(BUCKET, 'keep/control.csv', ADMIN)) === 'InvalidObjectState', 'the control copy expired', 30_000);
    expect(await h.read(BUCKET, 'keep/data.csv', ADMIN)).toBe('OK');
  });

  it('above the single-copy limit the copy is a multipart upload of part copies (limit lowered to 1 MiB, parts of 5 MiB, for the test)', async () => {
    const key = 'keep/large.bin';
    const body = 'y'.repeat(11 * 1024 * 1024 + 17);
    await h.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, StorageClass: 'GLACIER', Metadata: { owner: 'lab-7' }, Tagging: 'size=large' }));
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: key, RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Expedited' } } }));
    await eventually(async () => Boolean(await expiryOf(key)), 'restored');
    const before = { parts: calls('UploadPartCopy'), copies: calls('CopyObject') };
    const run = await autorestore(['--json', 'keep', '--single-copy-limit', String(1024 * 1024), '--part-size', String(5 * 1024 * 1024), `s3://${BUCKET}/${key}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ results: [{ key, outcome: 'kept', storageClass: 'STANDARD', method: 'multipart', parts: 3 }] });
    expect(calls('UploadPartCopy') - before.parts).toBe(3);
    expect(calls('CopyObject')).toBe(before.copies);
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect({ class: head.StorageClass ?? 'STANDARD', length: head.ContentLength, metadata: head.Metadata }).toEqual({ class: 'STANDARD', length: body.length, metadata: { owner: 'lab-7' } });
    expect((await h.s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet).toEqual([{ Key: 'size', Value: 'large' }]);
  });
});

describe('autorestore reminders', () => {
  it('off and on for an address; a bad address is refused with one line', async () => {
    const off = await autorestore(['--json', 'reminders', 'off', 'Reader@Example.com']);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toEqual({ email: 'Reader@Example.com', reminders: false });
    const ddb = documentClient({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: ADMIN, secretAccessKey: 'local' } });
    const optOuts = new ExpiryReminderOptOuts(ddb, TABLE_NAMES.notices);
    expect(await optOuts.optedOut(['reader@example.com'])).toEqual(new Set(['reader@example.com']));
    expect((await autorestore(['reminders', 'on', 'reader@example.com'])).stdout).toBe('reader@example.com: "expires soon" reminders again\n');
    expect(await optOuts.optedOut(['reader@example.com'])).toEqual(new Set());
    const bad = await autorestore(['reminders', 'off', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['autorestore: not an email address: "not-an-address"']);
    ddb.destroy();
  });
});
