/**
 * The real restore-object.asl.json, run by the local interpreter with the real step and
 * aggregator logic: each scenario asserts the path of states taken.
 */
import { BatchWriteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { restoreCompleted } from '../../functions/restore-completed/completed.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { RestoreObjectCommand as RestoreObjectCommandRef, S3Client, S3ServiceException as S3ServiceExceptionRef } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ACCOUNT, BUCKET, restoreCompletedEvent } from '../fixtures/events.js';
import { dedupeMarkers } from '../support/audit-items.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { eventually } from '../../local/eventually.js';
import { recordingLog } from '../support/log.js';
import { seedCycle } from '../support/records.js';
import { workflowWorld, type WorkflowWorld } from '../support/workflow.js';

let state: TestState;
let world: WorkflowWorld;
let ref: ObjectRef;
let n = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(async () => {
  ref = { bucket: BUCKET, key: `paths/object ${++n}.bin` };
  await seedCycle(state, ref, { readers: ['alice', 'bob'] });
});

/** S3 finishes the restore and tells EventBridge, which runs the completion function. */
async function s3CompletesRestore() {
  world.s3.objects.get(`${ref.bucket}/${ref.key}`)!.restore = 'done';
  return restoreCompleted(restoreCompletedEvent({ key: ref.key, id: `done-${n}`, time: new Date().toISOString() }), {
    sfn: new SFNClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    records: state.records,
    audit: state.audit,
    notices: state.notices,
    watchedBuckets: [BUCKET],
    accountId: ACCOUNT,
    now: () => new Date(),
    log: recordingLog(),
  });
}
const waitingForRestore = () => eventually(async () => (await state.records.get(objectIdOf(ref)))?.taskToken, 'the task token to be stored');
const pendingKinds = async () =>
  (await state.notices.pending())
    .filter((p) => p.file.key === ref.key)
    .map((p) => `${p.kind}:${p.reader.userName}`)
    .sort();
const auditTypes = async () => (await state.audit.history(objectIdOf(ref))).map((e) => e.type).reverse();

const HAPPY_PATH = ['Inspect object', 'What state is the object in?', 'Request restore and wait', 'Were the readers told it is ready?', 'File is ready'];

describe('restore-object state machine', () => {
  beforeEach(() => {
    world = workflowWorld(state);
  });

  it('fresh restore: request, tell readers, wait for the completion event, which tells readers it is ready', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    const execution = world.run(ref);
    await waitingForRestore();
    expect(await s3CompletesRestore()).toMatchObject({ resumed: 'now' });
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual(HAPPY_PATH);
    expect(path.length).toBeLessThanOrEqual(5);
    expect(world.s3.mock.commandCalls(RestoreObjectCommandRef).length).toBe(1);
    expect(await pendingKinds()).toEqual(['ready:alice', 'ready:bob']);
    expect(await auditTypes()).toEqual(['EXECUTION_STARTED', 'OBJECT_INSPECTED', 'RESTORE_REQUESTED', 'NOTICES_QUEUED', 'WAITING_FOR_RESTORE', 'RESTORE_COMPLETED', 'NOTICES_QUEUED']);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'RESTORED', readyNotified: true, startedNotified: true });
  });

  it('fresh restore: one record write per step, history lines without dedupe markers, batched with what the step writes beside them', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      const execution = world.run(ref);
      await waitingForRestore();
      await s3CompletesRestore();
      expect((await execution.done).status).toBe('SUCCEEDED');
      const commands = sent.mock.calls.map(([command]) => command);
      const writes = commands.filter((c) => c instanceof PutCommand || c instanceof UpdateCommand);
      const ledgerWrite = (c: PutCommand | UpdateCommand) => String(c instanceof PutCommand ? c.input.Item?.objectId : c.input.Key?.objectId).startsWith('#ledger#');
      const on = (table: string) => writes.filter((c) => c.input.TableName === table && !ledgerWrite(c)).length;
      const batches = commands.filter((c) => c instanceof BatchWriteCommand).map((c) => Object.fromEntries(Object.entries(c.input.RequestItems ?? {}).map(([table, puts]) => [table, puts.length])));
      // Inspect, request (with the "started" hand-over and the task token) and completion (with the "ready" hand-over).
      expect(on(state.tableNames.objects)).toBe(3);
      // Every history line goes in a batch: the inspection's with the execution's start; the request's and the
      // wait's with the "started" notices (one per subscriber: alice and bob); the completion's with the "ready" ones.
      expect(on(state.tableNames.audit)).toBe(0);
      expect(batches).toEqual([{ [state.tableNames.audit]: 2 }, { [state.tableNames.notices]: 2, [state.tableNames.audit]: 3 }, { [state.tableNames.notices]: 2, [state.tableNames.audit]: 2 }]);
      // The cost ledger (in the audit table): the charge's marker, which counts for its reader, and the month's total (with its bucket and tier).
      expect(writes.filter(ledgerWrite)).toHaveLength(2);
    } finally {
      sent.mockRestore();
    }
    expect(await dedupeMarkers(state, objectIdOf(ref))).toEqual([]);
  });

  it('restore already in progress: no RestoreObject, straight to the wait', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'DEEP_ARCHIVE', restore: 'ongoing' });
    const execution = world.run(ref);
    await waitingForRestore();
    // The wait handed the "started" notices over itself, with its history lines.
    expect(await pendingKinds()).toEqual(['started:alice', 'started:bob']);
    expect(await auditTypes()).toEqual(expect.arrayContaining(['NOTICES_QUEUED', 'WAITING_FOR_RESTORE']));
    await s3CompletesRestore();
    const { path } = await execution.done;
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Wait for restore', 'Were the readers told it is ready?', 'File is ready']);
    expect(world.s3.mock.commandCalls(RestoreObjectCommandRef)).toHaveLength(0);
  });

  it('already restored: straight to "ready", no RestoreObject (which would reset the expiry and bill again)', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER', restore: 'done' });
    const { path, status } = await world.run(ref).done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Notify: file ready', 'File is ready']);
    expect(world.s3.mock.commandCalls(RestoreObjectCommandRef)).toHaveLength(0);
    expect(await pendingKinds()).toEqual(['ready:alice', 'ready:bob']);
  });

  it('not archived: closes the cycle, tells nobody', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'STANDARD' });
    const { path, status } = await world.run(ref).done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Close cycle: nothing to restore']);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'CLOSED', outcome: 'NOT_ARCHIVED' });
    expect(await pendingKinds()).toEqual([]);
  });

  it('Intelligent-Tiering archive tier: restored without Days', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'ARCHIVE_ACCESS' });
    const execution = world.run(ref);
    await waitingForRestore();
    await s3CompletesRestore();
    expect((await execution.done).path).toEqual(HAPPY_PATH);
    expect(world.s3.mock.commandCalls(RestoreObjectCommandRef)[0]!.args[0].input.RestoreRequest).toEqual({ GlacierJobParameters: { Tier: 'Standard' } });
  });

  it('completion before the token is stored: the wait resumes itself', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    // S3 finishes the instant the restore is requested, before the workflow reaches its wait.
    world.s3.mock.on(RestoreObjectCommandRef).callsFakeOnce(async () => {
      world.s3.objects.get(`${ref.bucket}/${ref.key}`)!.restore = 'ongoing';
      await s3CompletesRestore();
      return { $metadata: { httpStatusCode: 202 } };
    });
    const { path, status } = await world.run(ref).done;
    expect(status).toBe('SUCCEEDED');
    // Resumed by itself, the wait cannot know the completion queued the "ready" notices: the workflow hands them over (again, idempotently).
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Request restore and wait', 'Were the readers told it is ready?', 'Notify: file ready', 'File is ready']);
    expect(await pendingKinds()).toEqual(['ready:alice', 'ready:bob']);
    expect((await state.audit.history(objectIdOf(ref))).find((e) => e.type === 'WAITING_FOR_RESTORE')!.detail).toMatchObject({ alreadyRestored: true });
  });
});

describe('restore-object state machine, when the completion event does not come', () => {
  beforeEach(() => {
    world = workflowWorld(state, { waitTimeoutSeconds: 1, maxWaitCycles: 3 });
  });

  it('timeout -> still ongoing -> waits again -> completed', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'DEEP_ARCHIVE' });
    const execution = world.run(ref);
    await eventually(() => execution.path.includes('Is the restore done?') && execution.path.includes('Wait for restore'), 'the second wait');
    await s3CompletesRestore();
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Check restore after timeout',
      'Is the restore done?',
      'Wait for restore',
      'Were the readers told it is ready?',
      'File is ready',
    ]);
  });

  it('events lost entirely: the HeadObject fallback finds the restore done', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    const execution = world.run(ref);
    await waitingForRestore();
    world.s3.objects.get(`${ref.bucket}/${ref.key}`)!.restore = 'done'; // and no event
    const { path } = await execution.done;
    expect(path.slice(-4)).toEqual(['Check restore after timeout', 'Is the restore done?', 'Notify: file ready', 'File is ready']);
  });

  it('object deleted during the wait: closes the cycle and tells the readers', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    const execution = world.run(ref);
    await waitingForRestore();
    world.s3.objects.get(`${ref.bucket}/${ref.key}`)!.deleted = true;
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path.slice(-5)).toEqual(['Is the restore done?', 'Close cycle: object deleted', 'Notify readers of the failure', 'How did it end?', 'Ended: object deleted']);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'CLOSED', outcome: 'GONE' });
    expect(await pendingKinds()).toEqual(['failed:alice', 'failed:bob']);
  });

  it('a restore that never finishes ends as overdue, failed and audible', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'DEEP_ARCHIVE', restore: 'ongoing' });
    const { path, status, error } = await world.run(ref).done;
    expect(status).toBe('FAILED');
    expect(error).toBe('RestoreFailed');
    expect(path.filter((s) => s === 'Wait for restore')).toHaveLength(3);
    expect(path.slice(-4)).toEqual(['Close cycle: restore overdue', 'Notify readers of the failure', 'How did it end?', 'Restore failed']);
    expect((await state.audit.history(objectIdOf(ref)))[0]).toMatchObject({ type: 'NOTICES_QUEUED', detail: { kind: 'failed' } });
  });

  it('an object that keeps reading as archived (copy expired, completion event lost) is requested once per wait, then overdue', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    // S3 accepts every request, but each time the object reads as archived again by the recheck.
    world.s3.mock.on(RestoreObjectCommandRef).resolves({ $metadata: { httpStatusCode: 202 } });
    const { path, status, error } = await world.run(ref).done;
    expect(status).toBe('FAILED');
    expect(error).toBe('RestoreFailed');
    expect(path.filter((s) => s === 'Request restore and wait')).toHaveLength(3);
    expect(world.s3.mock.commandCalls(RestoreObjectCommandRef)).toHaveLength(3);
    expect(path.slice(-5)).toEqual(['Is the restore done?', 'Close cycle: restore overdue', 'Notify readers of the failure', 'How did it end?', 'Restore failed']);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'CLOSED', outcome: 'OVERDUE', waitCount: 3 });
    expect(await pendingKinds()).toEqual(['failed:alice', 'failed:bob']);
  });

  it('a refused restore ends the cycle as failed', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    world.s3.mock.on(RestoreObjectCommandRef).rejects(new S3ServiceExceptionRef({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    const { path, status } = await world.run(ref).done;
    expect(status).toBe('FAILED');
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Close cycle: restore failed',
      'Notify readers of the failure',
      'How did it end?',
      'Restore failed',
    ]);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'CLOSED', outcome: 'FAILED', outcomeReason: expect.stringContaining('AccessDenied') });
  });
});

const failing = (name: string) => Object.assign(new Error(`${name} (injected)`), { name });

describe('restore-object state machine, when a closing or notifying step keeps failing', () => {
  beforeEach(() => {
    world = workflowWorld(state);
  });

  it('a failed "ready" notice does not tell the readers the restore failed: it stays pending, recorded, and the execution fails with its own error', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER', restore: 'done' });
    world.beforeInvoke = (_arn, payload) => {
      if ((payload as { kind?: string }).kind === 'ready') throw failing('InvalidInputError');
    };
    const { path, status, error } = await world.run(ref).done;
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Notify: file ready', 'Keep the ready notice pending', 'Is the cycle still current?', 'Ready notice not handed']);
    expect(status).toBe('FAILED');
    expect(error).toBe('ReadyNoticeFailed');
    expect(await pendingKinds()).toEqual([]);
    const record = await state.records.get(objectIdOf(ref));
    expect(record).toMatchObject({ status: 'RESTORED', openPartition: 'OPEN' });
    expect(record).not.toHaveProperty('readyNotified');
    expect(record).not.toHaveProperty('failureNotified');
    expect((await state.audit.history(objectIdOf(ref)))[0]).toMatchObject({ type: 'READY_NOTICE_FAILED', detail: { error: 'InvalidInputError', pending: true } });
  });

  it('a closing step that keeps failing still closes the record (direct write), tells the readers, and ends in a Fail state', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    world.s3.mock.on(RestoreObjectCommandRef).rejects(new S3ServiceExceptionRef({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    world.beforeInvoke = (_arn, payload) => {
      if ((payload as { action?: string }).action === 'close') throw failing('InvalidInputError');
    };
    const { path, status, error } = await world.run(ref).done;
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Close cycle: restore failed',
      'Close cycle: last resort',
      'Were readers waiting for the restore?',
      'Notify readers of the failure',
      'How did it end?',
      'Cycle could not be closed',
    ]);
    expect(status).toBe('FAILED');
    expect(error).toBe('CycleCloseFailed');
    const record = await state.records.get(objectIdOf(ref));
    expect(record).toMatchObject({ status: 'CLOSED', outcome: 'FAILED', outcomeReason: 'the cycle could not be closed normally: InvalidInputError', failureNotified: true });
    // Out of the open-cycles index, so the reconciler never sees it: the workflow told the readers itself.
    expect(record).not.toHaveProperty('openPartition');
    expect(await pendingKinds()).toEqual(['failed:alice', 'failed:bob']);
  });

  it('after the last-resort close, a failing "failed" notice still ends in the Fail state', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER' });
    world.s3.mock.on(RestoreObjectCommandRef).rejects(new S3ServiceExceptionRef({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    world.beforeInvoke = (_arn, payload) => {
      const { action, kind } = payload as { action?: string; kind?: string };
      if (action === 'close' || kind === 'failed') throw failing('InvalidInputError');
    };
    const { path, status, error } = await world.run(ref).done;
    expect(path.slice(-4)).toEqual(['Were readers waiting for the restore?', 'Notify readers of the failure', 'How did it end?', 'Cycle could not be closed']);
    expect(status).toBe('FAILED');
    expect(error).toBe('CycleCloseFailed');
    expect(await pendingKinds()).toEqual([]);
  });

  it('a failing close of an object that was not archived is closed directly but tells nobody', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'STANDARD' });
    world.beforeInvoke = (_arn, payload) => {
      if ((payload as { action?: string }).action === 'close') throw failing('InvalidInputError');
    };
    const { path, error } = await world.run(ref).done;
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Close cycle: nothing to restore',
      'Close cycle: last resort',
      'Were readers waiting for the restore?',
      'Cycle could not be closed',
    ]);
    expect(error).toBe('CycleCloseFailed');
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'CLOSED' });
    expect(await pendingKinds()).toEqual([]);
  });

  it('a "ready" notice refused because the record moved on to another cycle ends quietly, without the ReadyNoticeFailed alarm', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER', restore: 'done' });
    world.beforeInvoke = async (_arn, payload) => {
      if ((payload as { kind?: string }).kind !== 'ready') return;
      // The cycle moves on just before the aggregator looks: it answers "no longer on cycle 1".
      await state.records.close(objectIdOf(ref), 1, 'FAILED', 'closed by the test');
      await seedCycle(state, ref, { cycle: 2 });
    };
    const { path, status } = await world.run(ref).done;
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Notify: file ready', 'Keep the ready notice pending', 'Is the cycle still current?', 'Ended: cycle moved on']);
    expect(status).toBe('SUCCEEDED');
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ cycle: 2, status: 'STARTING' });
    expect((await state.audit.history(objectIdOf(ref)))[0]).toMatchObject({ type: 'READY_NOTICE_FAILED', detail: { error: 'InvalidInputError', pending: false } });
  });

  it('the last-resort close never touches a newer cycle', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'STANDARD' });
    world.beforeInvoke = async (_arn, payload) => {
      if ((payload as { action?: string }).action !== 'close') return;
      await state.records.close(objectIdOf(ref), 1, 'FAILED', 'closed by the test');
      await seedCycle(state, ref, { cycle: 2 });
      throw failing('InvalidInputError');
    };
    const { path, error } = await world.run(ref).done;
    expect(path.slice(-2)).toEqual(['Close cycle: last resort', 'Cycle could not be closed']);
    expect(error).toBe('CycleCloseFailed');
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ cycle: 2, status: 'STARTING', openPartition: 'OPEN' });
  });
});

describe('restore-object state machine, Intelligent-Tiering after the restore', () => {
  beforeEach(() => {
    world = workflowWorld(state, { waitTimeoutSeconds: 1, maxWaitCycles: 3 });
  });

  it('an object restored to Frequent Access (no longer archived, no x-amz-restore header) is ready, not "nothing to restore"', async () => {
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'ARCHIVE_ACCESS' });
    const execution = world.run(ref);
    await waitingForRestore();
    // S3 moved the object to the Frequent Access tier; the completion event was lost.
    world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'INTELLIGENT_TIERING' });
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path.slice(-4)).toEqual(['Check restore after timeout', 'Is the restore done?', 'Notify: file ready', 'File is ready']);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ status: 'RESTORED', readyNotified: true });
    expect(await pendingKinds()).toEqual(['ready:alice', 'ready:bob']);
  });
});
