/** A reader whose read joined a running batch is told about the object read (its file named), not only the folder. */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { startOrJoinRestore } from '../../functions/domain/restores/start-restore.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { BatchBook, type BatchRecord } from '../../functions/domain/stores/batches.js';
import type { ObjectRecord } from '../../functions/domain/stores/records.js';
import { folderJoiners } from '../../functions/restore-batch/joined-readers.js';
import { runBatchStep, type BatchStepDeps } from '../../functions/restore-batch/steps.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { batchRecord, batchStepDeps } from '../support/batches.js';

let state: TestState;
let batches: BatchBook;
const s3 = mockClient(S3Client);
const NOW = new Date('2026-11-23T06:00:00Z');
const LATER = new Date('2026-11-23T16:00:00Z');
const OWNER = ordererReader('AKIABATCHOWNER000001', 'owner@example.com');
const READER = { id: 'arn:aws:iam::111122223333:user/reader', accessKeyId: 'AKIAJOINEDREADER0001' };

beforeAll(async () => {
  state = await startTestState();
  batches = new BatchBook(state.ddb, state.tableNames.objects);
});
afterAll(() => state.stop());
beforeEach(() => s3.reset());

// No job is created or described in these steps.
const deps = (now: Date): BatchStepDeps => batchStepDeps(state, batches, now);

const batch = (batchId: string): BatchRecord =>
  batchRecord(batchId, NOW, {
    expectedCount: 3,
    recipients: [OWNER],
    expectedReadyAt: new Date(NOW.getTime() + 5 * 3600_000).toISOString(),
    deadline: new Date(NOW.getTime() + 11 * 3600_000).toISOString(),
  });

const noticesOf = async (readerId: string) => (await state.notices.pending()).filter((n) => n.readerId === readerId).map((n) => [n.kind, n.file.key]);

describe('readers who joined a batch', () => {
  it('hear "ready" for the file they read once S3 completed it, once; the batch’s own "ready" goes to its recipients', async () => {
    await batches.create(batch('joined'));
    expect(await batches.addJoiner('joined', READER, { bucket: 'b', key: 'p/a.bin' }, 1, NOW)).toBe(true);
    expect(await batches.addJoiner('joined', READER, { bucket: 'b', key: 'p/b.bin' }, 1, NOW)).toBe(true);
    // A duplicate detection of the same read keeps one join.
    expect(await batches.addJoiner('joined', READER, { bucket: 'b', key: 'p/a.bin' }, 1, NOW)).toBe(true);
    expect(Object.keys((await batches.get('joined'))!.joins ?? {})).toHaveLength(2);

    await batches.recordRestored((await batches.get('joined'))!, { bucket: 'b', key: 'p/a.bin' }, { restoredAt: NOW.toISOString(), expiryDate: '2026-11-30T00:00:00.000Z' }, NOW);
    expect(await runBatchStep({ action: 'readiness', batchId: 'joined' }, deps(NOW))).toMatchObject({ state: 'waiting' });
    expect(await noticesOf(READER.id)).toEqual([['ready', 'p/a.bin']]);
    const ready = (await state.notices.pending()).find((n) => n.readerId === READER.id)!;
    expect(ready.file).toMatchObject({ objectId: objectIdOf({ bucket: 'b', key: 'p/a.bin' }), cycle: 1, expiryDate: '2026-11-30T00:00:00.000Z', tier: 'Standard' });

    // The next look tells nothing twice; the other object is told when S3 completes it.
    await batches.recordRestored((await batches.get('joined'))!, { bucket: 'b', key: 'p/b.bin' }, { restoredAt: NOW.toISOString() }, NOW);
    await batches.recordRestored((await batches.get('joined'))!, { bucket: 'b', key: 'p/c.bin' }, { restoredAt: NOW.toISOString() }, NOW);
    expect(await runBatchStep({ action: 'readiness', batchId: 'joined' }, deps(NOW))).toMatchObject({ state: 'ready' });
    expect((await noticesOf(READER.id)).sort()).toEqual([
      ['ready', 'p/a.bin'],
      ['ready', 'p/b.bin'],
    ]);
    expect(Object.values((await batches.get('joined'))!.joins ?? {}).map((j) => j.told)).toEqual(['ready', 'ready']);

    expect(await runBatchStep({ action: 'finish', batchId: 'joined' }, deps(NOW))).toMatchObject({ status: 'READY' });
    // The reader hears about their files, not the folder; the owner hears about the folder.
    expect((await noticesOf(READER.id)).sort()).toEqual([
      ['ready', 'p/a.bin'],
      ['ready', 'p/b.bin'],
    ]);
    expect(await noticesOf(OWNER.id)).toEqual([['ready', 'p/ [batch joined: 3 of 3 objects ready]']]);
  });

  it('at the end, an object whose completion never came is asked of S3: restored -> "ready", not restored -> "failed" with the reason', async () => {
    const reader = { id: 'arn:aws:iam::111122223333:user/late', accessKeyId: 'AKIAJOINEDREADER0002' };
    await batches.create({ ...batch('lost-events'), expectedCount: 2 });
    await batches.addJoiner('lost-events', reader, { bucket: 'b', key: 'p/restored.bin' }, 1, NOW);
    await batches.addJoiner('lost-events', reader, { bucket: 'b', key: 'p/never.bin' }, 1, NOW);
    s3.on(HeadObjectCommand, { Key: 'p/restored.bin' }).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Mon, 30 Nov 2026 00:00:00 GMT"' });
    s3.on(HeadObjectCommand, { Key: 'p/never.bin' }).resolves({ StorageClass: 'GLACIER' });

    expect(await runBatchStep({ action: 'finish', batchId: 'lost-events' }, deps(LATER))).toMatchObject({ status: 'FAILED' });
    const told = (await state.notices.pending()).filter((n) => n.readerId === reader.id);
    expect(told.map((n) => [n.kind, n.file.key]).sort()).toEqual([
      ['failed', 'p/never.bin'],
      ['ready', 'p/restored.bin'],
    ]);
    expect(told.find((n) => n.kind === 'failed')!.file.failureReason).toMatch(/^the bulk restore lost-events did not restore it before 2026-11-23T17:00:00.000Z$/);
    expect(told.find((n) => n.kind === 'ready')!.file.expiryDate).toBe('2026-11-30T00:00:00.000Z');
  });

  it('a reader whose object could not be kept hears about the folder with the recipients', () => {
    const kept = { id: 'kept' };
    const overflow = { id: 'overflow' };
    expect(folderJoiners({ joiners: { kept, overflow }, joins: { k: { readerId: 'kept', objectId: 'b/p/x', cycle: 1, bucket: 'b', key: 'p/x' } } })).toEqual([overflow]);
  });
});

describe('an object whose earlier restore has expired, under a running batch', () => {
  const sfn = mockClient(SFNClient);
  const ref = { bucket: 'b', key: 'p/again.bin' };
  const expired = (): ObjectRecord => ({
    objectId: objectIdOf(ref),
    bucket: 'b',
    key: 'p/again.bin',
    cycle: 2,
    status: 'EXPIRED',
    cycleStartedAt: '2026-10-01T00:00:00.000Z',
    executionName: 'old',
    subscribers: {},
    updatedAt: '2026-10-10T00:00:00.000Z',
  });

  it('a read joins the batch (no execution of its own) and the batch’s restore becomes the object’s next cycle, counted once', async () => {
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.objects, Item: expired() }));
    await batches.create({ ...batch('again'), status: 'RUNNING', expectedCount: 1, startedNotified: true });
    sfn.reset();

    const joined = await startOrJoinRestore(
      {
        sfn: new SFNClient({ region: 'us-east-1' }),
        records: state.records,
        audit: state.audit,
        notices: state.notices,
        stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:restore',
        now: () => NOW,
        batches,
      },
      ref,
      READER,
      NOW,
    );
    expect(joined).toMatchObject({ opened: false, cycle: 3, executionName: 'again' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(Object.values((await batches.get('again'))!.joins ?? {})).toEqual([expect.objectContaining({ readerId: READER.id, cycle: 3 })]);
    // The batch's jobs are with S3: the reader hears now that their file is being restored.
    const againNotices = async () => (await state.notices.pending()).filter((n) => n.readerId === READER.id && n.file.key === 'p/again.bin').map((n) => [n.kind, n.file.cycle, n.file.expectedReadyAt]);
    expect(await againNotices()).toEqual([['started', 3, batch('again').expectedReadyAt]]);

    // S3 completes the batch's restore: the record's next cycle, naming the batch, counted once.
    expect(await batches.recordRestored((await batches.get('again'))!, ref, { restoredAt: NOW.toISOString() }, NOW)).toMatchObject({ recorded: true, counted: true });
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ cycle: 3, status: 'RESTORED', batchId: 'again' });
    expect(await batches.recordRestored((await batches.get('again'))!, ref, { restoredAt: NOW.toISOString() }, NOW)).toMatchObject({ recorded: false });
    expect(await batches.get('again')).toMatchObject({ restoredCount: 1 });

    // The reader is told about that cycle of the file.
    await runBatchStep({ action: 'readiness', batchId: 'again' }, deps(NOW));
    // "ready" replaces the "started" still pending.
    expect(await againNotices()).toEqual([['ready', 3, batch('again').expectedReadyAt]]);
  });
});
