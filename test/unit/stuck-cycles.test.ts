/**
 * Stuck cycles: a cycle whose execution ended without closing it (stopped by an operator,
 * failed, timed out, unknown to Step Functions) must never be joined; the join opens the
 * next cycle, and the scheduled reconciler repairs the ones nobody reads again.
 */
import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcile, repairCycle, type ReconcileDeps } from '../../functions/reconcile-cycles/reconcile.js';
import { executionNameOf, objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { readerFromIdentity } from '../../functions/domain/rules/reader.js';
import type { ObjectRecord } from '../../functions/domain/stores/records.js';
import { startOrJoinRestore, type RestoreStartDeps } from '../../functions/domain/restores/start-restore.js';
import { ACCOUNT, BUCKET, iamUser } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { recordingLog } from '../support/log.js';
import { seedCycle } from '../support/records.js';

const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:restore-object`;
const executionArn = (name: string) => `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
let state: TestState;
let ref: ObjectRef;
let objectId: string;
let n = 0;
/** Status of each execution, by ARN, as DescribeExecution answers it; unknown ARNs are ExecutionDoesNotExist. */
let executions: Map<string, string>;
/** How many of the next StartExecution calls fail (their start is lost, as after throttling that outlasts the retries). */
let lostStarts: number;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(() => {
  sfnMock.reset();
  s3Mock.reset();
  executions = new Map();
  lostStarts = 0;
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => {
    if (lostStarts > 0) {
      lostStarts--;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    const arn = executionArn(input.name);
    if (executions.has(arn)) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    executions.set(arn, 'RUNNING');
    return { executionArn: arn, startDate: new Date() };
  });
  sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const status = executions.get(input.executionArn);
    if (!status) throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    return { executionArn: input.executionArn, status };
  });
  ref = { bucket: BUCKET, key: `stuck/object-${++n}.bin` };
  objectId = objectIdOf(ref);
});

const NOW = new Date('2026-11-22T12:00:00Z');
const reader = (name: string) => readerFromIdentity(iamUser(name))!;
function startDeps(): RestoreStartDeps {
  return { sfn: new SFNClient({ region: 'us-east-1' }), records: state.records, audit: state.audit, notices: state.notices, stateMachineArn: STATE_MACHINE, now: () => NOW };
}
function reconcileDeps(overrides: Partial<ReconcileDeps> = {}): ReconcileDeps {
  return { ...startDeps(), s3: new S3Client({ region: 'us-east-1' }), graceMs: 15 * 60_000, log: recordingLog(), ...overrides };
}
/** A cycle seeded at 10:00 whose execution is in `status` (undefined: Step Functions never heard of it). */
async function cycleWithExecution(status: string | undefined, fields: Partial<ObjectRecord> = {}) {
  const arn = executionArn(executionNameOf(ref, 1));
  if (status) executions.set(arn, status);
  return seedCycle(state, ref, { readers: ['alice', 'bob'], fields: { status: 'RESTORING', executionArn: arn, ...fields } });
}
const pendingReady = async () =>
  (await state.notices.pending())
    .filter((p) => p.file.objectId === objectId && p.kind === 'ready')
    .map((p) => p.reader.userName)
    .sort();
const auditOf = async (type: string) => (await state.audit.history(objectId)).filter((e) => e.type === type);

describe('joining a cycle checks that its execution still runs', () => {
  it('a running execution is joined', async () => {
    await cycleWithExecution('RUNNING');
    const result = await startOrJoinRestore(startDeps(), ref, reader('carol'), NOW);
    expect(result).toMatchObject({ opened: false, cycle: 1 });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it.each([
    ['ABORTED', 'stopped'],
    ['FAILED', 'failed'],
    ['TIMED_OUT', 'timed out'],
    [undefined, 'unknown to Step Functions'],
  ] as const)('an execution that is %s (%s) is not joined: the next cycle starts with every reader', async (status, _why) => {
    await cycleWithExecution(status);
    const result = await startOrJoinRestore(startDeps(), ref, reader('carol'), NOW);
    expect(result).toMatchObject({ opened: false, cycle: 2, executionName: executionNameOf(ref, 2), executionArn: executionArn(executionNameOf(ref, 2)) });
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ cycle: 2, status: 'STARTING', openPartition: 'OPEN', executionArn: executionArn(executionNameOf(ref, 2)) });
    expect(
      Object.values(record!.subscribers)
        .map((r) => r.userName)
        .sort(),
    ).toEqual(['alice', 'bob', 'carol']);
    expect(executions.get(executionArn(executionNameOf(ref, 2)))).toBe('RUNNING');
    const [ended] = await auditOf('EXECUTION_ENDED');
    expect(ended).toMatchObject({ cycle: 1, detail: { status: status ?? 'MISSING', executionArn: executionArn(executionNameOf(ref, 1)), nextCycle: 2 } });
  });

  it('ExecutionAlreadyExists is success only while that execution runs', async () => {
    // The cycle was opened but its start was never confirmed; the named execution ran and was stopped.
    await seedCycle(state, ref, { readers: ['alice'] });
    executions.set(executionArn(executionNameOf(ref, 1)), 'ABORTED');
    const result = await startOrJoinRestore(startDeps(), ref, reader('bob'), NOW);
    expect(result).toMatchObject({ cycle: 2 });
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 2, executionArn: executionArn(executionNameOf(ref, 2)) });
  });
});

describe('the reconciler', () => {
  it('a running cycle costs one DescribeExecution and no read of the table', async () => {
    await cycleWithExecution('RUNNING');
    const indexed = (await state.records.get(objectId))!;
    const records = Object.create(state.records) as typeof state.records;
    let reads = 0;
    records.get = (id) => {
      reads++;
      return state.records.get(id);
    };
    expect(await repairCycle(reconcileDeps({ records }), indexed)).toBe('RUNNING');
    expect(reads).toBe(0);
  });

  it('leaves running executions and young cycles alone', async () => {
    await cycleWithExecution('RUNNING');
    const young = { bucket: BUCKET, key: `stuck/young-${n}.bin` };
    await state.records.openCycle(young, { action: 'open', cycle: 1 }, { reader: reader('dora'), executionName: executionNameOf(young, 1), now: new Date(NOW.getTime() - 60_000) });
    const result = await reconcile(reconcileDeps());
    expect(result.repairs.RUNNING).toBeGreaterThanOrEqual(1);
    expect(await state.records.get(objectIdOf(young))).toMatchObject({ cycle: 1, status: 'STARTING' });
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 1, status: 'RESTORING' });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('a stopped execution whose restore S3 finished: the record says restored and the readers get "ready"', async () => {
    await cycleWithExecution('ABORTED', { archiveKind: 'GLACIER', taskToken: 'stale' });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Sun, 29 Nov 2026 00:00:00 GMT"' });
    const result = await reconcile(reconcileDeps());
    expect(result.repairs.READY_HANDED).toBeGreaterThanOrEqual(1);
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ cycle: 1, status: 'RESTORED', readyNotified: true, expiryDate: '2026-11-29T00:00:00.000Z' });
    expect(record).not.toHaveProperty('openPartition');
    expect(record).not.toHaveProperty('taskToken');
    expect(await pendingReady()).toEqual(['alice', 'bob']);
    // One time for all three (the clock is fixed): compare the set, not the order.
    expect(
      (await state.audit.history(objectId))
        .map((e) => e.type)
        .slice(0, 3)
        .sort(),
    ).toEqual(['EXECUTION_ENDED', 'NOTICES_QUEUED', 'RESTORE_FOUND_DONE']);
    expect((await auditOf('EXECUTION_ENDED'))[0]).toMatchObject({ detail: { status: 'ABORTED' } });
  });

  it('an Intelligent-Tiering object moved to Frequent Access counts as restored', async () => {
    await cycleWithExecution('TIMED_OUT', { archiveKind: 'INTELLIGENT_TIERING_ARCHIVE_ACCESS' });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'INTELLIGENT_TIERING' });
    await reconcile(reconcileDeps());
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', readyNotified: true });
    expect(await pendingReady()).toEqual(['alice', 'bob']);
  });

  it('a failed execution whose restore is not done: the next cycle starts, with the same readers', async () => {
    await cycleWithExecution('FAILED', { archiveKind: 'GLACIER' });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
    const result = await reconcile(reconcileDeps());
    expect(result.repairs.NEW_CYCLE).toBeGreaterThanOrEqual(1);
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ cycle: 2, status: 'STARTING', executionArn: executionArn(executionNameOf(ref, 2)) });
    expect(
      Object.values(record!.subscribers)
        .map((r) => r.userName)
        .sort(),
    ).toEqual(['alice', 'bob']);
    expect(executions.get(executionArn(executionNameOf(ref, 2)))).toBe('RUNNING');
  });

  it('a record naming an execution Step Functions does not know gets a new cycle', async () => {
    await cycleWithExecution(undefined, { archiveKind: 'GLACIER' });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    await reconcile(reconcileDeps());
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 2, status: 'STARTING' });
    expect((await auditOf('EXECUTION_ENDED'))[0]).toMatchObject({ detail: { status: 'MISSING' } });
  });

  it('a cycle whose start was never confirmed gets its own execution started, not a new cycle', async () => {
    await seedCycle(state, ref, { readers: ['alice'] });
    const result = await reconcile(reconcileDeps());
    expect(result.repairs.STARTED).toBeGreaterThanOrEqual(1);
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 1, status: 'STARTING', executionArn: executionArn(executionNameOf(ref, 1)) });
    expect(executions.get(executionArn(executionNameOf(ref, 1)))).toBe('RUNNING');
  });

  it('a deleted object also gets a new cycle (whose workflow tells the readers)', async () => {
    await cycleWithExecution('ABORTED', { archiveKind: 'GLACIER' });
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    await reconcile(reconcileDeps());
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 2 });
  });

  it('a version that is now a delete marker (HeadObject 405, no body: the SDK names it Unknown) is gone too: a new cycle, not a failure on every run', async () => {
    ref = { ...ref, versionId: 'v-deleted' };
    objectId = objectIdOf(ref);
    const record = await cycleWithExecution('ABORTED', { archiveKind: 'GLACIER' });
    s3Mock.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 405 }, message: 'UnknownError' }));
    expect(await repairCycle(reconcileDeps(), record)).toBe('NEW_CYCLE');
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 2 });
  });

  it('a restored cycle whose "ready" notice was never handed gets it', async () => {
    await cycleWithExecution('FAILED', { status: 'RESTORED', restoredAt: '2026-11-22T10:30:00Z' });
    await state.records.markReadyNoticePending(objectId, 1, NOW);
    await reconcile(reconcileDeps());
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', readyNotified: true });
    expect(await pendingReady()).toEqual(['alice', 'bob']);
    expect(s3Mock).toHaveReceivedCommandTimes(HeadObjectCommand, 0);
  });

  it('never replaces a cycle whose execution start was confirmed after it was looked at', async () => {
    const seen = await seedCycle(state, ref, { readers: ['alice'] });
    await state.records.update(objectId, 1, { executionArn: executionArn(executionNameOf(ref, 1)) });
    expect(await state.records.replaceEndedCycle(seen, { executionName: executionNameOf(ref, 2), now: NOW })).toBeUndefined();
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 1 });
  });

  it('reads the open-cycles index only: closed, expired and notified records are not in it', async () => {
    const closed = await cycleWithExecution('SUCCEEDED');
    await state.records.close(closed.objectId, 1, 'FAILED', 'closed by the test');
    const record = await state.records.get(objectId);
    expect(record).not.toHaveProperty('openPartition');
    const open = await state.records.openCyclesStartedBefore(NOW.toISOString());
    expect(open.map((r) => r.objectId)).not.toContain(objectId);
  });

  it('repairs from the table, not the index copy: a reader who joined just before the execution ended is kept', async () => {
    const indexCopy = await cycleWithExecution('FAILED', { archiveKind: 'GLACIER' });
    await state.records.addSubscriber(objectId, 1, reader('carol'), new Date('2026-11-22T10:05:00Z'));
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
    expect(await repairCycle(reconcileDeps(), indexCopy)).toBe('NEW_CYCLE');
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ cycle: 2, status: 'STARTING' });
    expect(
      Object.values(record!.subscribers)
        .map((r) => r.userName)
        .sort(),
    ).toEqual(['alice', 'bob', 'carol']);
  });

  it('never replaces a cycle from a copy older than its last join', async () => {
    const seen = await cycleWithExecution('FAILED');
    await state.records.addSubscriber(objectId, 1, reader('carol'), new Date('2026-11-22T10:05:00Z'));
    expect(await state.records.replaceEndedCycle(seen, { executionName: executionNameOf(ref, 2), now: NOW })).toBeUndefined();
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 1 });
  });
});

describe('a cycle opened with --tier / --days keeps them', () => {
  const startInputs = () => sfnMock.commandCalls(StartExecutionCommand).map((c) => JSON.parse(c.args[0].input.input!) as { cycle: number; options: unknown });

  it('the record keeps the options the cycle was opened with, and its execution gets them', async () => {
    await startOrJoinRestore(startDeps(), ref, reader('alice'), NOW, { tier: 'Bulk', days: 3 });
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 1, options: { tier: 'Bulk', days: 3 } });
    expect(startInputs()).toEqual([expect.objectContaining({ cycle: 1, options: { tier: 'Bulk', days: 3 } })]);
  });

  it('the reconciler starts an unconfirmed cycle by its own name with the same input, options included', async () => {
    await state.records.openCycle(
      ref,
      { action: 'open', cycle: 1 },
      { reader: reader('alice'), executionName: executionNameOf(ref, 1), now: new Date('2026-11-22T10:00:00Z'), options: { tier: 'Expedited', days: 2 } },
    );
    expect(await repairCycle(reconcileDeps(), (await state.records.get(objectId))!)).toBe('STARTED');
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.name).toBe(executionNameOf(ref, 1));
    expect(startInputs()).toEqual([expect.objectContaining({ cycle: 1, options: { tier: 'Expedited', days: 2 } })]);
  });

  it('a lost CLI start is restarted by the reconciler with exactly the input the CLI sent', async () => {
    lostStarts = 1;
    await expect(startOrJoinRestore(startDeps(), ref, reader('alice'), NOW, { tier: 'Bulk', days: 3 })).rejects.toThrow('Rate exceeded');
    expect(await repairCycle(reconcileDeps(), (await state.records.get(objectId))!)).toBe('STARTED');
    const [lost, restarted] = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(restarted).toEqual(lost);
    expect(JSON.parse(restarted!.input!)).toMatchObject({ cycle: 1, options: { tier: 'Bulk', days: 3 } });
  });

  it("the next cycle the reconciler opens keeps the ended cycle's options", async () => {
    const ended = await cycleWithExecution('ABORTED', { archiveKind: 'DEEP_ARCHIVE', options: { tier: 'Bulk', days: 7 } });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE' });
    expect(await repairCycle(reconcileDeps(), ended)).toBe('NEW_CYCLE');
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 2, options: { tier: 'Bulk', days: 7 } });
    expect(startInputs()).toEqual([expect.objectContaining({ cycle: 2, options: { tier: 'Bulk', days: 7 } })]);
  });

  it('a record without options (written before they were kept) restarts with none', async () => {
    await seedCycle(state, ref, { readers: ['alice'] });
    expect(await repairCycle(reconcileDeps(), (await state.records.get(objectId))!)).toBe('STARTED');
    expect(startInputs()).toEqual([expect.objectContaining({ cycle: 1, options: {} })]);
  });
});
