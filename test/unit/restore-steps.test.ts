import { HeadObjectCommand, NotFound, RestoreObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runStep, type StepDeps } from '../../functions/restore-steps/steps.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { BUCKET } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { stepDepsFor } from '../support/deps.js';
import { seedCycle } from '../support/records.js';
import { recordingLog } from '../support/log.js';

const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
let state: TestState;
let ref: ObjectRef;
let objectId: string;
let n = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(async () => {
  s3Mock.reset();
  sfnMock.reset();
  ref = { bucket: BUCKET, key: `data/object-${++n}.parquet` };
  objectId = objectIdOf(ref);
  await seedCycle(state, ref);
});

const NOW = new Date('2026-11-22T10:01:00Z');
function deps(overrides: Partial<StepDeps> = {}): StepDeps {
  return stepDepsFor(state, { now: () => NOW, ...overrides });
}
const step = (action: string, extra: object = {}) => ({ action, object: ref, objectId, cycle: 1, ...extra });
/** The object's pending notices, as `kind:reader`. */
const pendingOf = async () =>
  (await state.notices.pending())
    .filter((p) => p.file.key === ref.key)
    .map((p) => `${p.kind}:${p.reader.userName}`)
    .sort();

/** What a step wrote, seen by a spy on the DynamoDB client: its updates of object records, and its batches' items per table. */
function writesSeen(sent: { mock: { calls: unknown[][] } }) {
  const commands = sent.mock.calls.map(([command]) => command);
  return {
    recordUpdates: commands.filter((c) => c instanceof UpdateCommand && c.input.TableName === state.tableNames.objects).length,
    batches: commands.filter((c) => c instanceof BatchWriteCommand).map((c) => Object.fromEntries(Object.entries(c.input.RequestItems ?? {}).map(([table, puts]) => [table, puts.length]))),
  };
}

/** Every BatchWriteItem that touches the notices table is refused (the rest goes through); `mockRestore()` ends it. */
function refuseNoticeBatches() {
  const send = state.ddb.send.bind(state.ddb);
  return vi.spyOn(state.ddb, 'send').mockImplementation(((command: unknown) => {
    if (command instanceof BatchWriteCommand && Object.keys(command.input.RequestItems ?? {}).includes(state.tableNames.notices))
      return Promise.reject(Object.assign(new Error('no access to the notices table'), { name: 'AccessDeniedException' }));
    return send(command as never);
  }) as never);
}
function s3Error(name: string, status: number) {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
}

describe('inspect', () => {
  it.each([
    [{ StorageClass: 'GLACIER' }, 'ARCHIVED'],
    [{ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' }, 'RESTORE_IN_PROGRESS'],
    [{ StorageClass: 'STANDARD' }, 'NOT_ARCHIVED'],
    [{ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'ARCHIVE_ACCESS' }, 'ARCHIVED'],
  ] as const)('%j -> %s, recorded in the audit history', async (head, expected) => {
    s3Mock.on(HeadObjectCommand).resolves(head);
    const result = await runStep(step('inspect', { executionArn: 'arn:exec' }), deps());
    expect(result).toMatchObject({ state: expected });
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ executionArn: 'arn:exec', storageClass: head.StorageClass });
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['OBJECT_INSPECTED', 'EXECUTION_STARTED']);
  });

  it('the execution records its start, timed by the cycle, with its inspection: one write to the history, one entry however often the step is retried', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      await runStep(step('inspect', { executionArn: 'arn:exec' }), deps());
      const toAudit = sent.mock.calls.map(([command]) => command).filter((c) => (c as { input: { TableName?: string } }).input.TableName === state.tableNames.audit || c instanceof BatchWriteCommand);
      expect(toAudit).toHaveLength(1);
      expect(Object.values((toAudit[0] as BatchWriteCommand).input.RequestItems!)[0]).toHaveLength(2);
    } finally {
      sent.mockRestore();
    }
    await runStep(step('inspect', { executionArn: 'arn:exec' }), deps({ now: () => new Date(NOW.getTime() + 5_000) }));
    const history = await state.audit.history(objectId);
    expect(history.map((e) => e.type)).toEqual(['OBJECT_INSPECTED', 'OBJECT_INSPECTED', 'EXECUTION_STARTED']);
    const record = await state.records.get(objectId);
    expect(history[2]).toMatchObject({ time: record!.cycleStartedAt, cycle: 1, detail: { executionArn: 'arn:exec', executionName: record!.executionName } });
  });

  it('an object gone before the first step: the start is still in the history', async () => {
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    expect(await runStep(step('inspect', { executionArn: 'arn:exec' }), deps())).toEqual({ state: 'GONE' });
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['OBJECT_INSPECTED', 'EXECUTION_STARTED']);
  });

  it('already restored: the record says RESTORED with the expiry date', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Sun, 29 Nov 2026 00:00:00 GMT"' });
    expect(await runStep(step('inspect'), deps())).toMatchObject({ state: 'RESTORED', expiryDate: '2026-11-29T00:00:00.000Z' });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', expiryDate: '2026-11-29T00:00:00.000Z', restoredAt: NOW.toISOString() });
  });

  it('already restored: one write to the record, which keeps a restore time it already had', async () => {
    await state.records.markRestored(objectId, 1, {}, { setIfAbsent: { restoredAt: '2026-11-22T09:00:00.000Z' } });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Sun, 29 Nov 2026 00:00:00 GMT"' });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      await runStep(step('inspect'), deps());
      expect(sent.mock.calls.filter(([command]) => command instanceof UpdateCommand && command.input.TableName === state.tableNames.objects)).toHaveLength(1);
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', restoredAt: '2026-11-22T09:00:00.000Z', expiryDate: '2026-11-29T00:00:00.000Z' });
  });

  it('a deleted object is GONE', async () => {
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    expect(await runStep(step('inspect'), deps())).toEqual({ state: 'GONE' });
  });

  it('a version that is a delete marker (405, no body) is GONE, not a refused restore', async () => {
    s3Mock.on(HeadObjectCommand).rejects(s3Error('Unknown', 405));
    expect(await runStep(step('inspect', { object: { ...ref, versionId: 'v1' } }), deps())).toEqual({ state: 'GONE' });
  });

  it('a throttled HeadObject is a TransientServiceError (retried by the workflow)', async () => {
    s3Mock.on(HeadObjectCommand).rejects(s3Error('SlowDown', 503));
    await expect(runStep(step('inspect'), deps())).rejects.toMatchObject({ name: 'TransientServiceError' });
  });

  it('malformed input is an InvalidInputError', async () => {
    await expect(runStep({ action: 'inspect', object: { bucket: '' } }, deps())).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(runStep({ action: 'explode' }, deps())).rejects.toMatchObject({ name: 'InvalidInputError' });
  });
});

describe('requestRestore', () => {
  it('Glacier: Days and the configured tier, status RESTORING, expected time from the tier', async () => {
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
    const result = await runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps());
    // 1 KiB at Glacier Standard: the $0.00005 request fee; the retrieval rounds to nothing.
    expect(result).toEqual({ tier: 'Standard', days: 7, outcome: 'REQUESTED', expectedReadyAt: '2026-11-22T15:01:00.000Z', rule: 'default', costMicroUsd: 50 });
    expect(s3Mock).toHaveReceivedCommandWith(RestoreObjectCommand, { Bucket: BUCKET, Key: ref.key, RestoreRequest: { Days: 7, GlacierJobParameters: { Tier: 'Standard' } } });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING', tier: 'Standard', restoreDays: 7 });
    expect((await state.audit.history(objectId)).reverse()).toMatchObject([
      { type: 'RESTORE_REQUESTED', detail: { tier: 'Standard', days: 7, outcome: 'REQUESTED' } },
      { type: 'NOTICES_QUEUED', detail: { kind: 'started', readers: ['alice'] } },
    ]);
  });

  it('the inspection passes on whom the restore is charged to, so the request step reads no record (a workflow started before still charges the record reader)', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', ContentLength: 1024 });
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
    const inspection = (await runStep(step('inspect', { executionArn: 'arn:exec' }), deps())) as { readerId?: string };
    const reader = Object.keys((await state.records.get(objectId))!.subscribers).sort()[0];
    expect(inspection.readerId).toBe(reader);
    // The history keeps what HeadObject said, not whom it is charged to.
    expect((await state.audit.history(objectId))[0]?.detail).not.toHaveProperty('readerId');
    const other = { ...ref, key: `${ref.key}.older` };
    await seedCycle(state, other);
    const read = vi.spyOn(state.records, 'get');
    try {
      await runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER', inspection }), deps());
      expect(read).not.toHaveBeenCalled();
      const month = NOW.toISOString().slice(0, 7);
      expect((await deps().ledger.month(month)).by.reader.map((l) => l.name)).toContain(reader);
      // Without the inspection's reader (the definition before), the record is read for it.
      await runStep({ ...step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), object: other, objectId: objectIdOf(other) }, deps());
      expect(read).toHaveBeenCalledTimes(1);
    } finally {
      read.mockRestore();
    }
  });

  it('a request again after a recheck that S3 refuses takes the charge back from the reader it was charged to, not the first reader by id now', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', ContentLength: 2048 });
    s3Mock
      .on(RestoreObjectCommand)
      .resolvesOnce({ $metadata: { httpStatusCode: 202 } })
      .rejects(s3Error('ServiceUnavailable', 503));
    const inspection = await runStep(step('inspect', { executionArn: 'arn:exec' }), deps());
    await runStep(step('requestRestore', { size: 2048, archiveKind: 'GLACIER', inspection }), deps());
    // Hours later another reader, first by id, has joined; the copy expired unseen: the recheck finds it archived again.
    const joined = `aaa-${String(n)}`;
    await state.records.addSubscriber(objectId, 1, { id: joined }, NOW);
    const recheck = (await runStep(step('recheck'), deps())) as { readerId?: string };
    expect(recheck.readerId).toBe(joined);
    await expect(runStep(step('requestRestore', { size: 2048, archiveKind: 'GLACIER', inspection: recheck }), deps())).rejects.toThrow();
    const readers = (await deps().ledger.month(NOW.toISOString().slice(0, 7))).by.reader;
    expect(readers.find((l) => l.name === joined)).toBeUndefined();
    expect(readers.every((l) => l.microUsd >= 0 && l.restores >= 0)).toBe(true);
  });

  it('Intelligent-Tiering: no Days', async () => {
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
    await runStep(step('requestRestore', { size: 1024, archiveKind: 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS' }), deps());
    const sent = s3Mock.commandCalls(RestoreObjectCommand)[0]!.args[0].input.RestoreRequest!;
    expect(sent).toEqual({ GlacierJobParameters: { Tier: 'Bulk' } });
    expect(sent).not.toHaveProperty('Days');
  });

  it('RestoreAlreadyInProgress joins the running restore', async () => {
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('RestoreAlreadyInProgress', 409));
    expect(await runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps())).toMatchObject({ outcome: 'ALREADY_IN_PROGRESS' });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING' });
  });

  it('Expedited unavailable falls back to Standard, and says so in the audit', async () => {
    s3Mock
      .on(RestoreObjectCommand)
      .rejectsOnce(s3Error('GlacierExpeditedRetrievalNotAvailable', 503))
      .resolves({ $metadata: { httpStatusCode: 202 } });
    let t = NOW.getTime();
    const ticking = () => new Date((t += 1000));
    const result = await runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps({ tiers: { ...deps().tiers, GLACIER: 'Expedited' }, now: ticking }));
    expect(result).toMatchObject({ tier: 'Standard', outcome: 'REQUESTED' });
    const tiers = s3Mock.commandCalls(RestoreObjectCommand).map((c) => c.args[0].input.RestoreRequest!.GlacierJobParameters!.Tier);
    expect(tiers).toEqual(['Expedited', 'Standard']);
    expect((await state.audit.history(objectId)).map((e) => e.type).reverse()).toEqual(['EXPEDITED_UNAVAILABLE', 'RESTORE_REQUESTED', 'NOTICES_QUEUED']);
  });

  it('200 (a restored copy already existed) records the object as restored', async () => {
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      expect(await runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps())).toMatchObject({ outcome: 'ALREADY_RESTORED' });
      // One write moves the record to RESTORED with the tier and the time, not a RESTORING then a RESTORED.
      expect(sent.mock.calls.filter(([command]) => command instanceof UpdateCommand && command.input.TableName === state.tableNames.objects)).toHaveLength(1);
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', tier: 'Standard', restoredAt: NOW.toISOString() });
  });

  it('a deleted object is ObjectGoneError; a refused restore is RestoreNotPossibleError', async () => {
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('NoSuchKey', 404));
    await expect(runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps())).rejects.toMatchObject({ name: 'ObjectGoneError' });
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('InvalidObjectState', 403));
    await expect(runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps())).rejects.toMatchObject({ name: 'RestoreNotPossibleError' });
  });

  it('an Intelligent-Tiering object already back in an access tier (ObjectAlreadyInActiveTierError) is restored, not refused', async () => {
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('ObjectAlreadyInActiveTierError', 403));
    expect(await runStep(step('requestRestore', { size: 1024, archiveKind: 'INTELLIGENT_TIERING_ARCHIVE_ACCESS' }), deps())).toMatchObject({ outcome: 'ALREADY_RESTORED' });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED' });
  });

  it('RestoreObject on a version that is a delete marker (405) is ObjectGoneError', async () => {
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('MethodNotAllowed', 405));
    await expect(runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps())).rejects.toMatchObject({ name: 'ObjectGoneError' });
  });

  it('does not move a record that the completion already marked RESTORED back to RESTORING', async () => {
    await state.records.markRestored(objectId, 1, { restoredAt: NOW.toISOString() });
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('RestoreAlreadyInProgress', 409));
    await runStep(step('requestRestore', { size: 1024, archiveKind: 'GLACIER' }), deps());
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', tier: 'Standard' });
  });
});

describe('requestRestore with a task token (the request and the wait are one task)', () => {
  const requestAndWait = (extra: object = {}) => step('requestRestore', { size: 1024, archiveKind: 'GLACIER', taskToken: 'token-r', ...extra });

  it('one record write (RESTORING, the token, the "started" hand-over) and one batch (the request, the notices, the wait), in the order they happened', async () => {
    ref = { bucket: BUCKET, key: `data/two readers ${n}.parquet` };
    objectId = objectIdOf(ref);
    await seedCycle(state, ref, { readers: ['alice', 'bob'] });
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      expect(await runStep(requestAndWait(), deps())).toMatchObject({ tier: 'Standard', outcome: 'REQUESTED' });
      expect(writesSeen(sent)).toEqual({ recordUpdates: 1, batches: [{ [state.tableNames.notices]: 2, [state.tableNames.audit]: 3 }] });
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING', taskToken: 'token-r', startedNotified: true, startedNotifiedAt: '2026-11-22T10:01:00.001Z' });
    expect((await state.audit.history(objectId)).map((e) => e.type).reverse()).toEqual(['RESTORE_REQUESTED', 'NOTICES_QUEUED', 'WAITING_FOR_RESTORE']);
    expect(await pendingOf()).toEqual(['started:alice', 'started:bob']);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('a retried request keeps the first hand-over: each notice queued once, one NOTICES_QUEUED line', async () => {
    s3Mock
      .on(RestoreObjectCommand)
      .resolvesOnce({ $metadata: { httpStatusCode: 202 } })
      .rejects(s3Error('RestoreAlreadyInProgress', 409));
    await runStep(requestAndWait(), deps());
    await runStep(requestAndWait({ taskToken: 'token-retry' }), deps({ now: () => new Date(NOW.getTime() + 5000) }));
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING', taskToken: 'token-retry', startedNotifiedAt: '2026-11-22T10:01:00.001Z' });
    expect(await pendingOf()).toEqual(['started:alice']);
    expect((await state.audit.history(objectId)).filter((e) => e.type === 'NOTICES_QUEUED')).toHaveLength(1);
  });

  it('a "started" hand-over that fails does not stop the restore: the token is stored, the step\'s lines written, the failure logged', async () => {
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
    const log = recordingLog();
    const sent = refuseNoticeBatches();
    try {
      expect(await runStep(requestAndWait(), deps({ log }))).toMatchObject({ outcome: 'REQUESTED' });
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING', taskToken: 'token-r' });
    expect((await state.audit.history(objectId)).map((e) => e.type).reverse()).toEqual(['RESTORE_REQUESTED', 'WAITING_FOR_RESTORE']);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringContaining('could not be handed to the aggregator'),
      expect.objectContaining({ objectId, error: expect.stringContaining('AccessDeniedException') }),
    );
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('a copy already there (200): recorded RESTORED without a token, and the step resumes its own task', async () => {
    s3Mock.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    await runStep(requestAndWait(), deps());
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ status: 'RESTORED', restoredAt: NOW.toISOString() });
    expect(record).not.toHaveProperty('taskToken');
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-r', output: JSON.stringify({ restoredAt: NOW.toISOString(), readyHanded: false }) });
    expect((await state.audit.history(objectId))[0]).toMatchObject({ type: 'WAITING_FOR_RESTORE', detail: { alreadyRestored: true } });
  });

  it("fails its own task by the token, under the error's name, so the state's Catch sees it; nothing is recorded", async () => {
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('NoSuchKey', 404));
    sfnMock.on(SendTaskFailureCommand).resolves({});
    expect(await runStep(requestAndWait(), deps())).toEqual({ failed: 'ObjectGoneError' });
    const failure = sfnMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(failure).toMatchObject({ taskToken: 'token-r', error: 'ObjectGoneError' });
    expect(JSON.parse(failure.cause!)).toEqual({ errorType: 'ObjectGoneError', errorMessage: `s3://${BUCKET}/${ref.key} no longer exists` });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'STARTING' });
    expect(await pendingOf()).toEqual([]);
  });

  it('when Step Functions cannot be told by the token, the function fails with the error itself', async () => {
    s3Mock.on(RestoreObjectCommand).rejects(s3Error('SlowDown', 503));
    sfnMock.on(SendTaskFailureCommand).rejects(new Error('network down'));
    await expect(runStep(requestAndWait(), deps())).rejects.toMatchObject({ name: 'TransientServiceError' });
  });
});

describe('awaitRestore', () => {
  /** The inspection the workflow passes: the first one's (S3 already restoring), or a recheck's after a timeout. */
  const firstInspection = { state: 'RESTORE_IN_PROGRESS', storageClass: 'DEEP_ARCHIVE' };
  const recheckInspection = { ...firstInspection, waitCount: 1, overdue: false };

  it('stores the token and waits', async () => {
    expect(await runStep(step('awaitRestore', { taskToken: 'token-1', inspection: recheckInspection }), deps())).toEqual({ tokenStored: true, resumedNow: false });
    expect(await state.records.get(objectId)).toMatchObject({ taskToken: 'token-1' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('the first wait of a restore found running: one record write (the token, the "started" hand-over) and one batch (the notices, the wait), in order', async () => {
    ref = { bucket: BUCKET, key: `data/running for two ${n}.parquet` };
    objectId = objectIdOf(ref);
    await seedCycle(state, ref, { readers: ['alice', 'bob'] });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      expect(await runStep(step('awaitRestore', { taskToken: 'token-w', inspection: firstInspection }), deps())).toEqual({ tokenStored: true, resumedNow: false });
      expect(writesSeen(sent)).toEqual({ recordUpdates: 1, batches: [{ [state.tableNames.notices]: 2, [state.tableNames.audit]: 2 }] });
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ taskToken: 'token-w', startedNotified: true, startedNotifiedAt: NOW.toISOString() });
    expect((await state.audit.history(objectId)).map((e) => e.type).reverse()).toEqual(['NOTICES_QUEUED', 'WAITING_FOR_RESTORE']);
    expect(await pendingOf()).toEqual(['started:alice', 'started:bob']);
  });

  it('a retried first wait keeps the first hand-over; a wait after a timeout hands nothing over', async () => {
    await runStep(step('awaitRestore', { taskToken: 'token-w', inspection: firstInspection }), deps());
    await runStep(step('awaitRestore', { taskToken: 'token-w', inspection: firstInspection }), deps({ now: () => new Date(NOW.getTime() + 5000) }));
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      await runStep(step('awaitRestore', { taskToken: 'token-next', inspection: recheckInspection }), deps({ now: () => new Date(NOW.getTime() + 86_400_000) }));
      expect(
        sent.mock.calls.map(([command]) => command).filter((c) => (c as { input: { TableName?: string } }).input.TableName === state.tableNames.notices || c instanceof BatchWriteCommand),
      ).toEqual([]);
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ taskToken: 'token-next', startedNotifiedAt: NOW.toISOString() });
    expect(await pendingOf()).toEqual(['started:alice']);
    expect((await state.audit.history(objectId)).map((e) => e.type).reverse()).toEqual(['NOTICES_QUEUED', 'WAITING_FOR_RESTORE', 'WAITING_FOR_RESTORE', 'WAITING_FOR_RESTORE']);
  });

  it('a first wait that finds the copy already there hands "started" over, then resumes its own task', async () => {
    await state.records.markRestored(objectId, 1, { restoredAt: '2026-11-22T10:00:30Z', expiryDate: '2026-11-29T00:00:00.000Z' });
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    expect(await runStep(step('awaitRestore', { taskToken: 'token-w', inspection: firstInspection }), deps())).toEqual({ tokenStored: true, resumedNow: true });
    expect(await pendingOf()).toEqual(['started:alice']);
    const history = (await state.audit.history(objectId)).reverse();
    expect(history.map((e) => e.type)).toEqual(['NOTICES_QUEUED', 'WAITING_FOR_RESTORE']);
    expect(history[1]).toMatchObject({ detail: { alreadyRestored: true } });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-w', output: expect.stringContaining('"readyHanded":false') });
  });

  it('a wait from a workflow started before the wait handed notices over (no inspection) hands nothing over', async () => {
    await runStep(step('awaitRestore', { taskToken: 'token-old' }), deps());
    expect(await state.records.get(objectId)).not.toHaveProperty('startedNotified');
    expect(await pendingOf()).toEqual([]);
  });

  it('a "started" hand-over that fails does not stop the wait: the token is stored, the wait recorded, the failure logged', async () => {
    const log = recordingLog();
    const sent = refuseNoticeBatches();
    try {
      expect(await runStep(step('awaitRestore', { taskToken: 'token-w', inspection: firstInspection }), deps({ log }))).toEqual({ tokenStored: true, resumedNow: false });
    } finally {
      sent.mockRestore();
    }
    expect(await state.records.get(objectId)).toMatchObject({ taskToken: 'token-w' });
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['WAITING_FOR_RESTORE']);
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('could not be handed to the aggregator'), expect.objectContaining({ objectId }));
  });

  it('completion came before the token: resumes its own task at once', async () => {
    await state.records.markRestored(objectId, 1, { restoredAt: '2026-11-22T10:00:30Z', expiryDate: '2026-11-29T00:00:00.000Z' });
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    expect(await runStep(step('awaitRestore', { taskToken: 'token-2' }), deps())).toEqual({ tokenStored: true, resumedNow: true });
    // Resumed here, the wait cannot know whether the completion handed the "ready" notices over: the workflow does.
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'token-2',
      output: JSON.stringify({ restoredAt: '2026-11-22T10:00:30Z', expiryDate: '2026-11-29T00:00:00.000Z', readyHanded: false }),
    });
  });
});

describe('recheck after a wait timeout', () => {
  it('counts the waits and declares the restore overdue after the maximum', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await runStep(step('recheck'), deps()));
    expect(results.map((r) => (r as { waitCount: number; overdue: boolean }).waitCount)).toEqual([1, 2, 3]);
    expect(results.map((r) => (r as { overdue: boolean }).overdue)).toEqual([false, false, true]);
  });

  it('an object that keeps reading as archived (copy expired, completion event lost) is overdue after the maximum too', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    await state.records.update(objectId, 1, { archiveKind: 'GLACIER' });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await runStep(step('recheck'), deps()));
    expect(results.map((r) => (r as { state: string }).state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    expect(results.map((r) => (r as { overdue: boolean }).overdue)).toEqual([false, false, true]);
  });

  it('finds the restore done when the completion event was lost', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Sun, 29 Nov 2026 00:00:00 GMT"' });
    expect(await runStep(step('recheck'), deps())).toMatchObject({ state: 'RESTORED', overdue: false });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED' });
  });
});

describe('recheck, Intelligent-Tiering', () => {
  it('an object the cycle saw archived that is now in Frequent Access (no restore header) is restored, not "nothing to restore"', async () => {
    await state.records.update(objectId, 1, { archiveKind: 'INTELLIGENT_TIERING_ARCHIVE_ACCESS' });
    await state.records.markRestoring(objectId, 1, {});
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'INTELLIGENT_TIERING' });
    expect(await runStep(step('recheck'), deps())).toMatchObject({ state: 'RESTORED', overdue: false });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', restoredAt: NOW.toISOString() });
  });

  it('an object the cycle never saw archived is still "not archived"', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'INTELLIGENT_TIERING' });
    expect(await runStep(step('recheck'), deps())).toMatchObject({ state: 'NOT_ARCHIVED' });
  });
});

describe('readyNoticeFailed', () => {
  it('keeps the ready notice pending: back in the open-cycles index without the flag, and recorded', async () => {
    await state.records.markRestored(objectId, 1, { readyNotified: true });
    const result = await runStep(step('readyNoticeFailed', { error: { Error: 'Lambda.Unknown', Cause: JSON.stringify({ errorMessage: 'out of memory' }) } }), deps());
    expect(result).toEqual({ pending: true });
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ status: 'RESTORED', openPartition: 'OPEN' });
    expect(record).not.toHaveProperty('readyNotified');
    expect((await state.audit.history(objectId))[0]).toMatchObject({ type: 'READY_NOTICE_FAILED', detail: { error: 'Lambda.Unknown', reason: 'out of memory', pending: true } });
  });
});

describe('close', () => {
  it('closes the cycle with the reason from the caught error', async () => {
    await state.records.update(objectId, 1, { taskToken: 'stale' });
    const cause = JSON.stringify({ errorType: 'RestoreNotPossibleError', errorMessage: 'RestoreObject: InvalidObjectState' });
    const result = await runStep(step('close', { outcome: 'FAILED', state: { error: { Error: 'RestoreNotPossibleError', Cause: cause } } }), deps());
    expect(result).toEqual({ outcome: 'FAILED', reason: 'S3 refused the restore: RestoreObject: InvalidObjectState' });
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ status: 'CLOSED', outcome: 'FAILED' });
    expect(record).not.toHaveProperty('taskToken');
    expect((await state.audit.history(objectId))[0]).toMatchObject({ type: 'CYCLE_CLOSED', detail: { outcome: 'FAILED', error: 'RestoreNotPossibleError' } });
  });

  it('a step of an old cycle never changes the new one', async () => {
    await state.records.close(objectId, 1, 'FAILED', 'closed by the test');
    await seedCycle(state, ref, { cycle: 2 });
    await runStep(step('close', { outcome: 'GONE' }), deps());
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 2, status: 'STARTING' });
  });
});
