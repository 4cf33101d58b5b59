import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { detectAccess, type DetectDeps } from '../../functions/detect-access/detect.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { BatchBook, batchItemId, type BatchRecord } from '../../functions/domain/stores/batches.js';
import { ObjectRecords } from '../../functions/domain/stores/records.js';
import { ACCOUNT, BUCKET, archivedReadEvent, assumedRole, documentedIdentity, iamUser } from '../fixtures/events.js';
import { dedupeMarkers } from '../support/audit-items.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { recordingLog } from '../support/log.js';

const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:restore-object`;
const sfnMock = mockClient(SFNClient);
let state: TestState;
let log: ReturnType<typeof recordingLog>;
let key: string;
let n = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake(startsExecution);
  // Joining checks that the cycle's execution still runs (stuck cycles: test/unit/stuck-cycles.test.ts).
  sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  log = recordingLog();
  key = `reports/file-${++n}.csv`;
});

function startsExecution(input: { name: string }) {
  return { executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() };
}

function deps(overrides: Partial<DetectDeps> = {}): DetectDeps {
  return {
    sfn: new SFNClient({ region: 'us-east-1' }),
    records: state.records,
    audit: state.audit,
    notices: state.notices,
    stateMachineArn: STATE_MACHINE,
    watchedBuckets: [BUCKET],
    accountId: ACCOUNT,
    now: () => new Date('2026-11-22T10:00:05Z'),
    log,
    ...overrides,
  };
}

const auditTypes = async (k: string) => (await state.audit.history(objectIdOf({ bucket: BUCKET, key: k }))).map((e) => e.type).reverse();

describe('detect-access', () => {
  it('records the read, opens cycle 1 and starts one execution with a deterministic name', async () => {
    const result = await detectAccess(archivedReadEvent({ key }), deps());
    expect(result).toMatchObject({ outcome: 'started', cycle: 1, executionName: expect.stringMatching(/^file-\d+_csv-[0-9a-f]{16}-c1$/) });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(input).toEqual({ object: { bucket: BUCKET, key }, objectId: `s3://${BUCKET}/${key}`, cycle: 1, options: {} });
    const record = await state.records.get(`s3://${BUCKET}/${key}`);
    expect(record).toMatchObject({ status: 'STARTING', cycle: 1, executionArn: expect.stringContaining(':execution:') });
    expect(Object.keys(record!.subscribers)).toEqual(['arn:aws:iam::111122223333:user/alice']);
    // The execution records its own start, in its first step (test/unit/restore-steps.test.ts).
    expect(await auditTypes(key)).toEqual(['READ_DETECTED']);
  });

  it('the read is one write in the audit table (no dedupe marker); a reader joining an unconfirmed start starts the same execution', async () => {
    await detectAccess(archivedReadEvent({ key }), deps());
    const objectId = objectIdOf({ bucket: BUCKET, key });
    await state.records.update(objectId, 1, {}, { remove: ['executionArn'] });
    await detectAccess(archivedReadEvent({ key, eventId: 'second-reader', eventTime: '2026-11-22T10:08:00Z', identity: iamUser('bob') }), deps({ now: () => new Date('2026-11-22T10:09:00Z') }));
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).size).toBe(1);
    expect(await auditTypes(key)).toEqual(['READ_DETECTED', 'READ_DETECTED', 'READER_JOINED']);
    // The joined reader's entry has no time of its own to be keyed by: it keeps its marker.
    expect(await dedupeMarkers(state, objectId)).toHaveLength(1);
  });

  it('with bulk restores on, a first detection reads the record and the running batches in one call, and still joins a running batch', async () => {
    const reads: string[] = [];
    const READS = ['GetCommand', 'BatchGetCommand', 'QueryCommand', 'ScanCommand'];
    const counting = Object.assign(Object.create(state.ddb) as typeof state.ddb, {
      send: (command: { constructor: { name: string } }) => {
        if (READS.includes(command.constructor.name)) reads.push(command.constructor.name);
        return (state.ddb.send as (c: unknown) => Promise<unknown>)(command);
      },
    });
    const withBatches = (now = '2026-11-22T10:00:05Z') =>
      deps({ records: new ObjectRecords(counting, state.tableNames.objects), batches: new BatchBook(counting, state.tableNames.objects), now: () => new Date(now) });
    // No batch runs in the bucket: one read, the record's and the bucket's list together.
    expect(await detectAccess(archivedReadEvent({ key }), withBatches())).toMatchObject({ outcome: 'started' });
    expect(reads).toEqual(['BatchGetCommand']);

    const batchId = `b-${String(n)}`;
    const prefix = `bulk-${String(n)}/`;
    const batch: BatchRecord = {
      objectId: batchItemId(batchId),
      batchId,
      bucket: BUCKET,
      prefix,
      requestKey: `${BUCKET}#${prefix}#Bulk#${String(n)}`,
      status: 'RESTORING',
      tier: 'BULK',
      jobs: [],
      objectCount: 3,
      recipients: [],
      createdAt: '2026-11-22T09:00:00Z',
      expectedReadyAt: '2026-11-23T09:00:00Z',
      deadline: '2026-11-25T09:00:00Z',
      updatedAt: '2026-11-22T09:00:00Z',
    };
    await new BatchBook(state.ddb, state.tableNames.objects).create(batch);
    // A read of one of the batch's objects joins the batch: no cycle, no execution of its own.
    await detectAccess(archivedReadEvent({ key: `${prefix}data.csv`, eventId: `bulk-read-${String(n)}` }), withBatches());
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(await state.records.get(objectIdOf({ bucket: BUCKET, key: `${prefix}data.csv` }))).toBeUndefined();
    expect(Object.keys((await new BatchBook(state.ddb, state.tableNames.objects).get(batchId))?.joiners ?? {})).toEqual(['arn:aws:iam::111122223333:user/alice']);
    // An object with a record of its own never needs the running batches: one read still, however many batches run.
    reads.length = 0;
    await detectAccess(archivedReadEvent({ key, eventId: `again-${String(n)}`, identity: iamUser('bob') }), withBatches('2026-11-22T10:00:09Z'));
    expect(reads).toEqual(['BatchGetCommand']);
  });

  it('duplicate deliveries of one event give one audit entry and one execution', async () => {
    const event = archivedReadEvent({ key, eventId: 'dup-1' });
    for (let i = 0; i < 10; i++) await detectAccess(structuredClone(event), deps());
    const names = new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name));
    expect(names.size).toBe(1);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(await auditTypes(key)).toEqual(['READ_DETECTED']);
  });

  it('concurrent detections of one object start one execution', async () => {
    const events = Array.from({ length: 10 }, (_, i) => archivedReadEvent({ key, eventId: `c-${i}` }));
    const results = await Promise.all(events.map((e) => detectAccess(e, deps())));
    expect(results.filter((r) => r.outcome === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'joined')).toHaveLength(9);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('a second reader joins the running restore and is subscribed', async () => {
    await detectAccess(archivedReadEvent({ key, eventId: 'r1' }), deps());
    const joined = await detectAccess(archivedReadEvent({ key, eventId: 'r2', identity: assumedRole('Analysts', 'bob@example.com') }), deps());
    expect(joined).toMatchObject({ outcome: 'joined', cycle: 1 });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const record = await state.records.get(`s3://${BUCKET}/${key}`);
    expect(Object.keys(record!.subscribers).sort()).toEqual(['arn:aws:iam::111122223333:user/alice', 'arn:aws:sts::111122223333:assumed-role/Analysts/bob@example.com']);
    // Reads are recorded at CloudTrail's event time, the rest when they happen.
    expect(await auditTypes(key)).toEqual(['READ_DETECTED', 'READ_DETECTED', 'READER_JOINED']);
  });

  it('a reader joining after the "started" notices went out gets one of their own', async () => {
    await detectAccess(archivedReadEvent({ key, eventId: 'r1' }), deps());
    await state.records.update(`s3://${BUCKET}/${key}`, 1, { startedNotified: true });
    await state.records.markRestoring(`s3://${BUCKET}/${key}`, 1, {});
    await detectAccess(archivedReadEvent({ key, eventId: 'r2', identity: iamUser('carol') }), deps());
    const pending = (await state.notices.pending()).filter((p) => p.file.key === key);
    expect(pending.map((p) => [p.readerId, p.kind])).toEqual([['arn:aws:iam::111122223333:user/carol', 'started']]);
  });

  it('opens a new cycle once the previous one closed', async () => {
    await detectAccess(archivedReadEvent({ key, eventId: 'r1' }), deps());
    await state.records.markRestored(`s3://${BUCKET}/${key}`, 1, {});
    await state.records.expire(`s3://${BUCKET}/${key}`, 1);
    const result = await detectAccess(archivedReadEvent({ key, eventId: 'r2', eventTime: '2026-12-01T00:00:00Z' }), deps());
    expect(result).toMatchObject({ outcome: 'started', cycle: 2, executionName: expect.stringMatching(/-c2$/) });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
  });

  it('a read with a version id is its own object', async () => {
    const result = await detectAccess(archivedReadEvent({ key, versionId: 'v42' }), deps());
    expect(result).toMatchObject({ outcome: 'started', objectId: `s3://${BUCKET}/${key}?versionId=v42` });
    expect((JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!) as { object: unknown }).object).toEqual({ bucket: BUCKET, key, versionId: 'v42' });
  });

  it('ExecutionAlreadyExists (the cycle already ran) is not an error', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const result = await detectAccess(archivedReadEvent({ key }), deps());
    expect(result).toMatchObject({ outcome: 'started', executionArn: expect.stringMatching(/:execution:restore-object:/) });
  });

  it('throttled StartExecution: the read is recorded, the error surfaces for redelivery, and the retry starts the same execution', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    sfnMock.on(StartExecutionCommand).rejectsOnce(throttled).callsFake(startsExecution);
    const event = archivedReadEvent({ key, eventId: 'throttled' });
    await expect(detectAccess(event, deps())).rejects.toThrow('Rate exceeded');
    expect(await auditTypes(key)).toEqual(['READ_DETECTED']);
    const retried = await detectAccess(structuredClone(event), deps());
    expect(retried).toMatchObject({ outcome: 'joined', cycle: 1 });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    const names = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names[0]).toBe(names[1]);
    expect(await auditTypes(key)).toEqual(['READ_DETECTED']);
  });

  it.each([
    ['a foreign account', () => archivedReadEvent({ key: 'x', account: '999988887777' }), /foreign account 999988887777/],
    ['an unwatched bucket', () => archivedReadEvent({ key: 'x', bucket: 'other-bucket' }), /other-bucket is not watched/],
    [
      'a missing key',
      () => {
        const e = archivedReadEvent();
        delete e.detail.requestParameters.key;
        return e;
      },
      /requestParameters.key/,
    ],
    [
      'another error code',
      () => {
        const e = archivedReadEvent();
        e.detail.errorCode = 'AccessDenied';
        return e;
      },
      /errorCode/,
    ],
    ['not an object at all', () => 'hello', /not an archived-object read/],
  ])('ignores %s with a log line and no side effect', async (_, make, reason) => {
    const result = await detectAccess(make(), deps());
    expect(result).toEqual({ outcome: 'ignored', reason: expect.stringMatching(reason) });
    expect(log.warn).toHaveBeenCalledWith('read ignored', expect.objectContaining({ reason: expect.stringMatching(reason) }));
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(await state.records.get(`s3://${BUCKET}/x`)).toBeUndefined();
    expect(await state.audit.history(`s3://other-bucket/x`)).toEqual([]);
  });

  it('a caller CloudTrail cannot name is still recorded', async () => {
    const result = await detectAccess(archivedReadEvent({ key, identity: { type: 'AWSAccount' } }), deps());
    expect(result.outcome).toBe('started');
    const [read] = await state.audit.history(`s3://${BUCKET}/${key}`).then((h) => h.filter((e) => e.type === 'READ_DETECTED'));
    expect(read!.detail.readerId).toBe('anonymous:203.0.113.10');
  });

  describe('readers without an ARN', () => {
    it.each([
      ['another account (AWSAccount)', 'AWSAccount' as const, 'AIDAQRSTUVWXYZEXAMPLE', { accountId: '444455556666', principalId: 'AIDAQRSTUVWXYZEXAMPLE' }],
      ['an AWS service', 'AWSService' as const, 'service:backup.amazonaws.com', { invokedBy: 'backup.amazonaws.com' }],
      [
        'an IAM Identity Center user',
        'IdentityCenterUser' as const,
        'identity-center:arn:aws:identitystore::111122223333:identitystore/d-9067642ac7/544894e8-80c1-707f-60e3-3ba6510dfac1',
        { identityStoreUserId: '544894e8-80c1-707f-60e3-3ba6510dfac1', accountId: '111122223333' },
      ],
      ['a web identity user', 'WebIdentityUser' as const, 'accounts.google.com:application-id.apps.googleusercontent.com:user-id', { userName: 'user-id' }],
    ])('%s is subscribed and recorded with what CloudTrail tells', async (_, kind, readerId, known) => {
      const result = await detectAccess(archivedReadEvent({ key, identity: documentedIdentity(kind) }), deps());
      expect(result.outcome).toBe('started');
      const record = await state.records.get(objectIdOf({ bucket: BUCKET, key }));
      expect(record!.subscribers[readerId]).toMatchObject({ id: readerId, type: kind, ...known });
      const [read] = (await state.audit.history(objectIdOf({ bucket: BUCKET, key }))).filter((e) => e.type === 'READ_DETECTED');
      expect(read!.detail).toMatchObject({ readerId, readerIdentity: { type: kind, ...known } });
    });
  });

  describe('reads through an access point', () => {
    it('are attributed to the bucket CloudTrail lists among the resources', async () => {
      const result = await detectAccess(archivedReadEvent({ key, viaAccessPoint: true }), deps());
      expect(result).toMatchObject({ outcome: 'started', objectId: objectIdOf({ bucket: BUCKET, key }) });
      const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!) as { object: unknown };
      expect(input.object).toEqual({ bucket: BUCKET, key });
      const [read] = (await state.audit.history(objectIdOf({ bucket: BUCKET, key }))).filter((e) => e.type === 'READ_DETECTED');
      expect(read!.detail).toMatchObject({ accessPoint: 'arn:aws:s3:us-east-1:111122223333:accesspoint/reports-ap' });
      expect(log.info).toHaveBeenCalledWith('read through an access point attributed to its bucket', { accessPoint: 'arn:aws:s3:us-east-1:111122223333:accesspoint/reports-ap', bucket: BUCKET });
    });

    it('an access point ARN in the request parameters is attributed the same way', async () => {
      const event = archivedReadEvent({ key });
      Object.assign(event.detail.requestParameters, { accessPointArn: 'arn:aws:s3:us-east-1:111122223333:accesspoint/reports-ap', bucketName: 'reports-ap' });
      event.detail.resources = [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` }];
      expect(await detectAccess(event, deps())).toMatchObject({ outcome: 'started', objectId: objectIdOf({ bucket: BUCKET, key }) });
    });

    it.each([
      ['no bucket among the resources', (r: { type: string }[]) => r.filter((x) => x.type !== 'AWS::S3::Bucket')],
      ['no resources at all', () => undefined],
      ['resources that are not a list', () => 'garbage'],
    ])('with %s: ignored with the reason, nothing recorded', async (_, edit) => {
      const event = archivedReadEvent({ key, viaAccessPoint: true });
      event.detail.resources = edit(event.detail.resources as { type: string }[]);
      const result = await detectAccess(event, deps());
      expect(result).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/access point .*(reports-ap|s3alias).* names no bucket/) });
      expect(log.warn).toHaveBeenCalledWith('read ignored', expect.objectContaining({ reason: expect.stringMatching(/names no bucket/) }));
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(await state.audit.history(objectIdOf({ bucket: BUCKET, key }))).toEqual([]);
    });

    it('attributed to a bucket that is not watched: ignored', async () => {
      const event = archivedReadEvent({ key, viaAccessPoint: true });
      (event.detail.resources as { type: string; ARN: string }[])[1]!.ARN = 'arn:aws:s3:::someone-elses-bucket';
      expect(await detectAccess(event, deps())).toEqual({ outcome: 'ignored', reason: 'bucket someone-elses-bucket is not watched' });
    });
  });

  it.each(['Q4 results + notes.csv', '100% done.csv', 'a%2Bb.csv', 'ünï/файл.csv', 'a?versionId=v1'])('takes the CloudTrail key as given: %s', async (raw) => {
    const result = await detectAccess(archivedReadEvent({ key: `${key}-${raw}` }), deps());
    expect(result).toMatchObject({ outcome: 'started', objectId: objectIdOf({ bucket: BUCKET, key: `${key}-${raw}` }) });
    expect((JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!) as { object: unknown }).object).toEqual({ bucket: BUCKET, key: `${key}-${raw}` });
  });
});
