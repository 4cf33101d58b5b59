/** The `autorestore` CLI as a user runs it (a child process), against the local cloud. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { getObjectOrRestore } from '../../lib/index.js';
import { TABLE_NAMES } from '../../local/cloud.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli, type CliRun } from '../support/cli.js';

let h: Harness;
const BUCKET = 'cli-archive';
const CLASSES = ['GLACIER', 'DEEP_ARCHIVE', 'STANDARD', 'GLACIER_IR'] as const;
const BIG = Array.from({ length: 2000 }, (_, i) => ({ key: `big/${String(i).padStart(4, '0')}.dat`, storageClass: CLASSES[i % 4]! }));
const work = mkdtempSync(join(tmpdir(), 'autorestore-cli-'));

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 200 });
  await h.createBucket(BUCKET);
  const limit = pLimit(32);
  await Promise.all(BIG.map((o) => limit(() => h.putObject(BUCKET, o.key, o.storageClass))));
  await h.putObject(BUCKET, 'small/one.bin', 'GLACIER');
  await h.putObject(BUCKET, 'small/two.bin', 'DEEP_ARCHIVE');
  await h.putObject(BUCKET, 'small/plain.txt', 'STANDARD');
  await h.putObject(BUCKET, 'it/archived.bin', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
}, 180_000);
afterAll(() => h.stop());

const autorestore = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli({ endpoint: h.cloud.endpoint, accessKeyId: 'AKIACLIUSER000000001', home: work, env }, args);
const calls = (op: string) => h.cloud.s3.calls.get(op) ?? 0;

describe('autorestore status', () => {
  it('2,000 mixed objects: two ListObjectsV2 pages, no HeadObject, counts per state (--json)', async () => {
    const [lists, heads] = [calls('ListObjectsV2'), calls('HeadObject')];
    const run = await autorestore(['--json', 'status', `s3://${BUCKET}/big/`]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { objects: { key: string; state: string; storageClass: string }[]; summary: Record<string, number> };
    expect(out.objects).toHaveLength(2000);
    expect(out.summary).toMatchObject({ total: 2000, ARCHIVED: 1000, NOT_ARCHIVED: 1000, RESTORE_IN_PROGRESS: 0, RESTORED: 0 });
    expect(out.objects[1]).toEqual({ key: 'big/0001.dat', storageClass: 'DEEP_ARCHIVE', state: 'ARCHIVED' });
    expect(calls('ListObjectsV2') - lists).toBe(2);
    expect(calls('HeadObject') - heads).toBe(0);
  });

  it('human output: one line per object and a summary', async () => {
    const run = await autorestore(['status', `s3://${BUCKET}/small/`]);
    expect(run.stdout).toMatch(/ARCHIVED\s+GLACIER\s+small\/one\.bin/);
    expect(run.stdout).toContain('3 objects: 1 not archived, 2 archived');
  });
});

describe('autorestore restore', () => {
  it('--dry-run on 2,000 objects: the plan, the cost per tier, and nothing changed', async () => {
    const before = { restores: calls('RestoreObject'), executions: (await h.executions()).length };
    const run = await autorestore(['--json', 'restore', '--dry-run', `s3://${BUCKET}/big/`]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { toRestore: unknown[]; skipped: { reason: string }[]; estimates: { tier: string; available: boolean; costUsd: number }[]; started: unknown[] };
    expect(out.toRestore).toHaveLength(1000);
    expect(out.skipped).toHaveLength(1000);
    expect(out.estimates.map((e) => [e.tier, e.available])).toEqual([
      ['Expedited', false],
      ['Standard', true],
      ['Bulk', true],
    ]);
    expect(out.started).toEqual([]);
    expect(calls('RestoreObject')).toBe(before.restores);
    expect((await h.executions()).length).toBe(before.executions);
    expect(await h.records.get(objectIdOf({ bucket: BUCKET, key: 'big/0000.dat' }))).toBeUndefined();
    expect(await h.audit.history(objectIdOf({ bucket: BUCKET, key: 'big/0000.dat' }))).toEqual([]);
  });

  it('a large restore asks first; without a terminal it needs --yes', async () => {
    const run = await autorestore(['restore', `s3://${BUCKET}/big/`]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/needs confirmation: run again with --yes/);
  });

  it.each([
    [['restore', 'not-a-url'], /not an S3 URL/],
    [['restore', `s3://missing-bucket-x/k`], /bucket does not exist/],
    [['restore', '--tier', 'Fast', `s3://${BUCKET}/small/`], /'Fast' is invalid/],
    [['restore', '--days', '3', `s3://${BUCKET}/it/`], /--days cannot be used for it\/archived\.bin/],
    [['restore', '--tier', 'Expedited', '--yes', `s3://${BUCKET}/small/two.bin`], /Expedited retrieval is not available for small\/two\.bin/],
  ])('%j: one line naming the problem, exit 2, nothing started', async (args, message) => {
    const before = { restores: calls('RestoreObject'), executions: (await h.executions()).length };
    const run = await autorestore(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(calls('RestoreObject')).toBe(before.restores);
    expect((await h.executions()).length).toBe(before.executions);
  });

  // big/0012.dat and big/0016.dat are archived (GLACIER) and read by no other test.
  it.each([
    [['restore', '--days', '30001', `s3://${BUCKET}/big/0012.dat`], 'big/0012.dat', /^autorestore: --days: days must be a whole number from 1 to 30000, got 30001$/],
    [['restore', '--days', '0', `s3://${BUCKET}/big/0012.dat`], 'big/0012.dat', /argument '0' is invalid/],
    [['restore', '--notify', 'not-an-email', `s3://${BUCKET}/big/0012.dat`], 'big/0012.dat', /^autorestore: --notify: not an email address: "not-an-email"$/],
    [['get', '--notify', 'ops@nowhere', `s3://${BUCKET}/big/0016.dat`, join(work, 'never')], 'big/0016.dat', /^autorestore: --notify: not an email address: "ops@nowhere"$/],
  ])('%j is refused at the door: one line, exit 2, no read, no record, no execution, no notice', async (args, key, message) => {
    const before = { reads: calls('GetObject'), restores: calls('RestoreObject'), executions: (await h.executions()).length };
    const run = await autorestore(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stdout).toBe('');
    await h.cloud.settle();
    expect(calls('GetObject')).toBe(before.reads);
    expect(calls('RestoreObject')).toBe(before.restores);
    expect((await h.executions()).length).toBe(before.executions);
    const objectId = objectIdOf({ bucket: BUCKET, key });
    expect(await h.records.get(objectId)).toBeUndefined();
    expect(await h.audit.history(objectId)).toEqual([]);
    expect((await h.notices.pending()).filter((n) => n.file.objectId === objectId)).toEqual([]);
  });

  it('no credentials: one line, exit 2', async () => {
    const run = await autorestore(['status', `s3://${BUCKET}/small/`], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONTAINER_CREDENTIALS_FULL_URI: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no AWS credentials found/);
  });

  it('starts the workflow per object (same emails, same audit history) and says what it started', async () => {
    const run = await autorestore(['--json', 'restore', '--tier', 'Bulk', '--days', '2', '--notify', 'ops@example.com', `s3://${BUCKET}/small/`]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { started: { key: string; executionArn: string; joined: boolean }[]; skipped: { key: string }[] };
    expect(out.started.map((s) => s.key).sort()).toEqual(['small/one.bin', 'small/two.bin']);
    expect(out.skipped.map((s) => s.key)).toEqual(['small/plain.txt']);
    await eventually(() => h.cloud.ses.list().some((m) => m.to.includes('ops@example.com') && m.subject.startsWith('Restoring 2 files')), 'the started email', 30_000);
    const requested = (await h.audit.history(objectIdOf({ bucket: BUCKET, key: 'small/one.bin' }))).find((e) => e.type === 'RESTORE_REQUESTED')!;
    expect(requested.detail).toMatchObject({ tier: 'Bulk', days: 2 });

    const again = await autorestore(['restore', `s3://${BUCKET}/small/`]);
    expect(again.stdout).toContain('0 to restore');
    // The Bulk restore takes 2.4 s here: on a busy machine it may be done by the time the second run lists.
    expect(again.stdout).toMatch(/skip\s+small\/one\.bin\s+\((restore in progress|already restored)\)/);
  });
});

describe('autorestore history, users, get', () => {
  it('history: the audit timeline, oldest first, with the execution', async () => {
    const json = JSON.parse((await autorestore(['--json', 'history', `s3://${BUCKET}/small/one.bin`])).stdout) as { entries: { type: string }[] };
    expect(json.entries.slice(0, 3).map((e) => e.type)).toEqual(['RESTORE_ORDERED', 'EXECUTION_STARTED', 'OBJECT_INSPECTED']);
    const human = await autorestore(['history', `s3://${BUCKET}/small/one.bin`]);
    expect(human.stdout).toMatch(/EXECUTION_STARTED .*arn:aws:states:us-east-1:000000000000:execution:autorestore-restore-object:one_bin-/);
  });

  it('users add, list, remove', async () => {
    expect((await autorestore(['users', 'add', 'alice@corp.example', 'alice@corp.example'])).stdout).toContain('alice@corp.example -> alice@corp.example');
    const listed = JSON.parse((await autorestore(['--json', 'users', 'list'])).stdout) as { users: { principal: string; email: string }[] };
    expect(listed.users).toContainEqual(expect.objectContaining({ principal: 'alice@corp.example', email: 'alice@corp.example' }));
    expect((await autorestore(['users', 'add', 'bob', 'not-an-email'])).code).toBe(2);
    expect((await autorestore(['--json', 'users', 'remove', 'alice@corp.example'])).stdout).toContain('"removed": true');
    expect((await autorestore(['users', 'remove', 'alice@corp.example'])).code).toBe(1);
  });

  it('get: a readable object downloads; an archived one starts its restore and exits 3; --wait downloads when ready', async () => {
    const plain = join(work, 'plain.txt');
    expect((await autorestore(['get', `s3://${BUCKET}/small/plain.txt`, plain])).code).toBe(0);
    expect(readFileSync(plain, 'utf8')).toBe('content of small/plain.txt');

    const pending = await autorestore(['--json', 'get', `s3://${BUCKET}/big/0000.dat`, join(work, 'x')]);
    expect(pending.code).toBe(3);
    // The refused GetObject is itself a detected read: the CLI and the detection share one restore.
    expect(JSON.parse(pending.stdout)).toMatchObject({ status: 'restore-pending', storageClass: 'GLACIER', joined: expect.any(Boolean), expectedReadyAt: expect.any(String) });
    expect((await h.executions()).filter((e) => e.name!.startsWith('0000_dat-'))).toHaveLength(1);

    const waited = await autorestore(['get', '--wait', '--poll-seconds', '0.2', `s3://${BUCKET}/big/0000.dat`, join(work, 'waited.dat')]);
    expect(waited.code).toBe(0);
    expect(readFileSync(join(work, 'waited.dat'), 'utf8')).toBe('content of big/0000.dat');
  });
});

describe('getObjectOrRestore (library)', () => {
  it('returns a typed restore-pending answer, then the object once restored', async () => {
    const { AuditLog, NoticeBook, ObjectRecords, documentClient } = await import('../../lib/index.js');
    const ddb = documentClient({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIALIB', secretAccessKey: 'local' } });
    const deps = {
      s3: h.s3('AKIALIBRARYUSER00001'),
      sfn: h.sfn,
      records: new ObjectRecords(ddb, TABLE_NAMES.objects),
      audit: new AuditLog(ddb, TABLE_NAMES.audit),
      notices: new NoticeBook(ddb, TABLE_NAMES.notices),
      stateMachineArn: h.cloud.stateMachineArn,
    };
    const ref = { bucket: BUCKET, key: 'big/0004.dat' };
    const first = await getObjectOrRestore(deps, ref, { id: 'AKIALIBRARYUSER00001', accessKeyId: 'AKIALIBRARYUSER00001' });
    expect(first).toMatchObject({ kind: 'restore-pending', executionArn: expect.stringContaining(':execution:'), expectedReadyAt: expect.any(String) });
    const second = await eventually(
      async () => {
        const r = await getObjectOrRestore(deps, ref, { id: 'AKIALIBRARYUSER00001' });
        return r.kind === 'object' ? r : undefined;
      },
      'the restored object',
      30_000,
    );
    expect(await second.object.Body!.transformToString()).toBe('content of big/0004.dat');
    ddb.destroy();
  });

  it("refuses, before any request, days outside S3's range and a reader email that is not an address", async () => {
    const { AuditLog, InvalidRestoreRequestError, NoticeBook, ObjectRecords, documentClient } = await import('../../lib/index.js');
    const ddb = documentClient({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIALIB', secretAccessKey: 'local' } });
    const deps = {
      s3: h.s3('AKIALIBRARYUSER00002'),
      sfn: h.sfn,
      records: new ObjectRecords(ddb, TABLE_NAMES.objects),
      audit: new AuditLog(ddb, TABLE_NAMES.audit),
      notices: new NoticeBook(ddb, TABLE_NAMES.notices),
      stateMachineArn: h.cloud.stateMachineArn,
    };
    const ref = { bucket: BUCKET, key: 'big/0020.dat' };
    const reader = { id: 'AKIALIBRARYUSER00002', accessKeyId: 'AKIALIBRARYUSER00002' };
    const before = { reads: calls('GetObject'), executions: (await h.executions()).length };
    await expect(getObjectOrRestore(deps, ref, reader, { days: 30_001 })).rejects.toThrow(InvalidRestoreRequestError);
    await expect(getObjectOrRestore(deps, ref, reader, { days: 0 })).rejects.toMatchObject({ name: 'InvalidRestoreRequestError', option: 'days' });
    await expect(getObjectOrRestore(deps, ref, { ...reader, email: 'not-an-email' })).rejects.toMatchObject({ name: 'InvalidRestoreRequestError', option: 'notify' });
    await h.cloud.settle();
    expect(calls('GetObject')).toBe(before.reads);
    expect((await h.executions()).length).toBe(before.executions);
    expect(await h.records.get(objectIdOf(ref))).toBeUndefined();
    ddb.destroy();
  });
});
