import { CopyObjectCommand, CreateMultipartUploadCommand, GetObjectTaggingCommand, HeadObjectCommand, S3Client, S3ServiceException, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { BatchWriteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { restoreCompleted, type CompletedDeps } from '../../functions/restore-completed/completed.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { ACCOUNT, BUCKET, restoreCompletedEvent, restoreExpiredEvent } from '../fixtures/events.js';
import { dedupeMarkers } from '../support/audit-items.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { recordingLog } from '../support/log.js';
import { seedCycle } from '../support/records.js';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const RESTORED_HEAD: Partial<HeadObjectCommandOutput> = { StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Mon, 30 Nov 2026 00:00:00 GMT"' };
let state: TestState;
let log: ReturnType<typeof recordingLog>;
let ref: ObjectRef;
let objectId: string;
let n = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(async () => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  s3Mock.reset();
  s3Mock.on(HeadObjectCommand).resolves(RESTORED_HEAD);
  log = recordingLog();
  ref = { bucket: BUCKET, key: `Q4 results + notes 100% ünï-${++n}.csv` };
  objectId = objectIdOf(ref);
});

/** The notices pending for an object, as `kind:reader`. */
async function pendingFor(id: string): Promise<string[]> {
  return (await state.notices.pending()).filter((p) => p.file.objectId === id).map((p) => `${p.kind}:${p.reader.userName}`);
}

function deps(): CompletedDeps {
  return {
    sfn: new SFNClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    records: state.records,
    audit: state.audit,
    notices: state.notices,
    watchedBuckets: [BUCKET],
    accountId: ACCOUNT,
    now: () => new Date('2026-11-22T14:00:01Z'),
    log,
  };
}

describe('restore-completed', () => {
  it('resumes the waiting execution with the expiry date S3 reports (form-encoded key decoded), the readers\' "ready" notices handed over', async () => {
    await seedCycle(state, ref, { readers: ['alice', 'bob'], fields: { status: 'RESTORING', taskToken: 'token-a' } });
    const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    expect(result).toEqual({ outcome: 'restored', objectId, resumed: 'now' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'token-a',
      output: JSON.stringify({ restoredAt: '2026-11-22T14:00:00.000Z', expiryDate: '2026-11-30T00:00:00.000Z', readyHanded: true }),
    });
    const record = await state.records.get(objectId);
    expect(record).toMatchObject({ status: 'RESTORED', expiryDate: '2026-11-30T00:00:00.000Z', readyNotified: true, readyNotifiedAt: '2026-11-22T14:00:01.001Z' });
    // Nothing left for the reconciler: out of the open-cycles index.
    expect(record).not.toHaveProperty('openPartition');
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['NOTICES_QUEUED', 'RESTORE_COMPLETED']);
    expect((await pendingFor(objectId)).sort()).toEqual(['ready:alice', 'ready:bob']);
  });

  it("one record write and one batch: the completion's line goes with the notices", async () => {
    await seedCycle(state, ref, { readers: ['alice', 'bob'], fields: { status: 'RESTORING', taskToken: 'token-b1' } });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
      const commands = sent.mock.calls.map(([command]) => command);
      expect(commands.filter((c) => c instanceof UpdateCommand || c instanceof PutCommand).map((c) => c.input.TableName)).toEqual([state.tableNames.objects]);
      const batches = commands.filter((c) => c instanceof BatchWriteCommand).map((c) => Object.fromEntries(Object.entries(c.input.RequestItems ?? {}).map(([table, puts]) => [table, puts.length])));
      expect(batches).toEqual([{ [state.tableNames.notices]: 2, [state.tableNames.audit]: 2 }]);
    } finally {
      sent.mockRestore();
    }
  });

  it("a duplicate delivery hands nothing over again and resumes saying so: the workflow's own step then queues only what is missing", async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-dup' } });
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    sfnMock.resetHistory();
    await restoreCompleted(restoreCompletedEvent({ key: ref.key, id: 'another-delivery' }), { ...deps(), now: () => new Date('2026-11-22T14:03:00Z') });
    expect(JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toMatchObject({ readyHanded: false });
    expect(await pendingFor(objectId)).toEqual(['ready:alice']);
    expect((await state.audit.history(objectId)).filter((e) => e.type === 'NOTICES_QUEUED')).toHaveLength(1);
  });

  it('without a notice book the completion hands nothing over: the workflow\'s "ready" step does', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-nb' } });
    const { notices: _notices, ...withoutNotices } = deps();
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), withoutNotices);
    expect(JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toMatchObject({ readyHanded: false });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', openPartition: 'OPEN' });
    expect(await state.records.get(objectId)).not.toHaveProperty('readyNotified');
    expect(await pendingFor(objectId)).toEqual([]);
  });

  it('before the token is stored: marks the record restored, resumes nobody', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING' } });
    expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps())).toEqual({ outcome: 'restored', objectId, resumed: 'no-token-yet' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED' });
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'gone', $metadata: {} })],
  ])('a late or duplicate event (%s) is already handled, not an error', async (_, error) => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-b' } });
    sfnMock.on(SendTaskSuccessCommand).rejects(error());
    expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps())).toMatchObject({ resumed: 'already-handled' });
  });

  it('the same event twice is one audit entry', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-c' } });
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['NOTICES_QUEUED', 'RESTORE_COMPLETED']);
  });

  it('a duplicate delivered later is the same entry, timed by the first confirmation and written without a dedupe marker', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-e' } });
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), { ...deps(), now: () => new Date('2026-11-22T14:05:00Z') });
    expect((await state.audit.history(objectId)).map((e) => [e.type, e.time])).toEqual([
      ['NOTICES_QUEUED', '2026-11-22T14:00:01.001Z'],
      ['RESTORE_COMPLETED', '2026-11-22T14:00:01.000Z'],
    ]);
    expect(await state.records.get(objectId)).toMatchObject({ completionConfirmedAt: '2026-11-22T14:00:01.000Z', restoredAt: '2026-11-22T14:00:00.000Z' });
    expect(await dedupeMarkers(state, objectId)).toEqual([]);
  });

  it('a duplicate delivered after the copy expired adds no second entry', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-f' } });
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    expect(await restoreCompleted(restoreExpiredEvent({ key: ref.key }), { ...deps(), now: () => new Date('2026-11-22T15:00:00Z') })).toEqual({ outcome: 'expired', objectId });
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), { ...deps(), now: () => new Date('2026-11-22T16:00:00Z') });
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['RESTORE_EXPIRED', 'NOTICES_QUEUED', 'RESTORE_COMPLETED']);
  });

  it('an event with a version id finds the record of a reader who did not name the version', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-d' } });
    expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, versionId: 'v9' }), deps())).toMatchObject({ outcome: 'restored', objectId });
  });

  it('expiry closes the cycle', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORED', restoredAt: '2026-11-22T14:00:00Z' } });
    expect(await restoreCompleted(restoreExpiredEvent({ key: ref.key }), deps())).toEqual({ outcome: 'expired', objectId });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'EXPIRED' });
  });

  it('an object we never restored is logged and left alone, for completion and expiry alike', async () => {
    expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, keyEncoding: 'raw' }), deps())).toEqual({ outcome: 'untracked', objectId });
    expect(await restoreCompleted(restoreExpiredEvent({ key: ref.key, keyEncoding: 'raw' }), deps())).toEqual({ outcome: 'untracked', objectId });
    expect(await state.records.get(objectId)).toBeUndefined();
    expect(log.info).toHaveBeenCalledWith('restore event for an object we did not restore', expect.objectContaining({ detailType: 'Object Restore Expired' }));
  });

  it('a closed cycle is not reopened by a late completion', async () => {
    await seedCycle(state, ref, { fields: { status: 'CLOSED', taskToken: 'token-e' } });
    await state.records.update(objectId, 1, {}, { remove: ['taskToken'] });
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    expect(await state.records.get(objectId)).toMatchObject({ status: 'CLOSED' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it.each([
    ['a foreign account', () => restoreCompletedEvent({ account: '999988887777' }), /foreign account/],
    ['an unwatched bucket', () => restoreCompletedEvent({ bucket: 'elsewhere' }), /elsewhere is not watched/],
    ['a malformed event', () => ({ 'detail-type': 'Object Restore Completed' }), /not an S3 restore event/],
  ])('ignores %s', async (_, make, reason) => {
    expect(await restoreCompleted(make(), deps())).toEqual({ outcome: 'ignored', reason: expect.stringMatching(reason) });
    expect(log.warn).toHaveBeenCalledOnce();
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  describe('keys as the event carries them', () => {
    it.each([
      ['form-encoded', 'form' as const, 'decoded'],
      ['raw', 'raw' as const, 'raw'],
    ])('a key with spaces, +, %% and unicode is found when the event carries it %s', async (_, keyEncoding, keyForm) => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-k' } });
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, keyEncoding }), deps())).toEqual({ outcome: 'restored', objectId, resumed: 'now' });
      expect(log.info).toHaveBeenCalledWith('restore event matched a record', expect.objectContaining({ objectId, keyForm }));
    });

    it('a raw key with a literal + is found as given, not as a space', async () => {
      ref = { bucket: BUCKET, key: `c++ notes-${n}.txt` };
      objectId = objectIdOf(ref);
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-p' } });
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, keyEncoding: 'raw' }), deps())).toMatchObject({ outcome: 'restored', objectId });
    });

    it('a raw key with a lone % does not throw and is found', async () => {
      ref = { bucket: BUCKET, key: `100% done-${n}.csv` };
      objectId = objectIdOf(ref);
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-q' } });
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, keyEncoding: 'raw' }), deps())).toMatchObject({ outcome: 'restored', objectId });
    });

    it('when "a+b" and "a b" are both restoring, the event "a+b" resumes whichever S3 says is restored', async () => {
      const spaced = { bucket: BUCKET, key: `a b-${n}.txt` };
      const plussed = { bucket: BUCKET, key: `a+b-${n}.txt` };
      await seedCycle(state, spaced, { fields: { status: 'RESTORING', taskToken: 'token-spaced' } });
      await seedCycle(state, plussed, { fields: { status: 'RESTORING', taskToken: 'token-plussed' } });
      s3Mock.on(HeadObjectCommand, { Key: plussed.key }).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
      const result = await restoreCompleted(restoreCompletedEvent({ key: spaced.key }), deps());
      expect(result).toEqual({ outcome: 'restored', objectId: objectIdOf(spaced), resumed: 'now' });
      expect(await state.records.get(objectIdOf(spaced))).toMatchObject({ status: 'RESTORED' });
      expect(await state.records.get(objectIdOf(plussed))).toMatchObject({ status: 'RESTORING' });
      expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-spaced' });
    });

    it('an expiry with an undecodable key for an object we never saw is logged and dropped', async () => {
      const result = await restoreCompleted(restoreExpiredEvent({ key: `%E0%A4%A bad-${n}`, keyEncoding: 'raw' }), deps());
      expect(result).toMatchObject({ outcome: 'untracked' });
    });
  });

  describe('a late or repeated completion', () => {
    it('an event from before the cycle started is ignored: no state change, nobody resumed', async () => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-s' } });
      const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key, time: '2026-11-22T09:59:59Z' }), deps());
      expect(result).toMatchObject({ outcome: 'stale', objectId });
      expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING', taskToken: 'token-s' });
      expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
      expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
    });

    it('an expiry from before the cycle started does not close the new cycle', async () => {
      await seedCycle(state, ref, { cycle: 1, fields: { status: 'EXPIRED' } });
      await seedCycle(state, ref, { cycle: 2, fields: { status: 'RESTORED', restoredAt: '2026-11-22T12:00:00Z' } });
      const result = await restoreCompleted(restoreExpiredEvent({ key: ref.key, time: '2026-11-22T09:00:00Z' }), deps());
      expect(result).toMatchObject({ outcome: 'stale' });
      expect(await state.records.get(objectId)).toMatchObject({ cycle: 2, status: 'RESTORED' });
    });

    it('an event within the second the cycle started is not taken for an earlier one', async () => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-t', cycleStartedAt: '2026-11-22T10:00:00.700Z' } });
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, time: '2026-11-22T10:00:00Z' }), deps())).toMatchObject({ outcome: 'restored' });
    });

    it('while S3 says the restore is ongoing: not marked restored, nobody resumed', async () => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-u' } });
      s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
      const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
      expect(result).toEqual({ outcome: 'unconfirmed', objectId, reason: 'S3 says the restore is still ongoing' });
      expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING', taskToken: 'token-u' });
      expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
      expect(await state.audit.history(objectId)).toEqual([]);
    });

    it('asks S3 about the version the reader named', async () => {
      ref = { ...ref, versionId: 'v7' };
      objectId = objectIdOf(ref);
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-v' } });
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key, versionId: 'v7' }), deps())).toMatchObject({ outcome: 'restored', objectId });
      expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: ref.key, VersionId: 'v7' });
    });

    it('the expiry written is the one S3 reports now, not the one in the event', async () => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-w' } });
      s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"' });
      await restoreCompleted(restoreCompletedEvent({ key: ref.key, expiry: '2026-11-25T00:00:00Z' }), deps());
      expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', expiryDate: '2026-12-04T00:00:00.000Z' });
      expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
        output: JSON.stringify({ restoredAt: '2026-11-22T14:00:00.000Z', expiryDate: '2026-12-04T00:00:00.000Z', readyHanded: true }),
      });
    });

    it('an Intelligent-Tiering object back in Frequent Access (no restore header) counts as restored', async () => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-x' } });
      s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'INTELLIGENT_TIERING' });
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps())).toMatchObject({ outcome: 'restored', resumed: 'now' });
    });

    it.each([
      ['404', 'NotFound', 404],
      ['403', 'Forbidden', 403],
    ])('HeadObject %s: logged, not marked restored', async (_, name, httpStatusCode) => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-y' } });
      s3Mock.on(HeadObjectCommand).rejects(new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name }));
      expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps())).toMatchObject({ outcome: 'unconfirmed', reason: `HeadObject answered ${name}` });
      expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING' });
      expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
      expect(log.warn).toHaveBeenCalledWith('restore event not confirmed by S3', expect.objectContaining({ objectId }));
    });

    it('HeadObject 405 (the version is a delete marker; no body, so the SDK names it Unknown): the object is gone, not retried', async () => {
      ref = { ...ref, versionId: 'v-deleted' };
      objectId = objectIdOf(ref);
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-dm' } });
      s3Mock.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 405 }, message: 'UnknownError' }));
      const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key, versionId: 'v-deleted' }), deps());
      expect(result).toEqual({ outcome: 'unconfirmed', objectId, reason: 'the version is a delete marker: the object is gone (HeadObject answered 405)' });
      expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING' });
      expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    });

    it('a transient HeadObject failure surfaces, so the event is delivered again', async () => {
      await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-z' } });
      s3Mock.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'slow down' }));
      await expect(restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps())).rejects.toThrow('slow down');
      expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORING' });
    });
  });
});

describe('restore-completed with the auto-keep policy', () => {
  it("resumes the waiting execution (the readers' ready email) before the keep's copy starts, and still when the copy fails", async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-keep', expiryDate: '2026-11-30T00:00:00.000Z' } });
    const order: string[] = [];
    sfnMock.on(SendTaskSuccessCommand).callsFake(() => {
      order.push('resume');
      return {};
    });
    s3Mock.on(CopyObjectCommand).callsFake(() => {
      order.push('copy');
      throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });
    });
    const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key }), { ...deps(), autoKeep: { afterRestores: 1, withinDays: 30, storageClass: 'STANDARD' } });
    expect(result).toEqual({ outcome: 'restored', objectId, resumed: 'now' });
    expect(order).toEqual(['resume', 'copy']);
    expect((await state.audit.history(objectId)).map((e) => e.type).sort()).toEqual(['AUTO_KEEP_DECIDED', 'NOTICES_QUEUED', 'RESTORE_COMPLETED']);
  });

  it('a kept object leaves the expiring-copies index: its readers get no "expires soon" reminder for it', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-kept' } });
    s3Mock.on(CopyObjectCommand).resolves({});
    await restoreCompleted(restoreCompletedEvent({ key: ref.key }), { ...deps(), autoKeep: { afterRestores: 1, withinDays: 30, storageClass: 'STANDARD' } });
    expect((await state.audit.history(objectId)).map((e) => e.type)).toContain('KEPT');
    expect((await state.records.copiesExpiringBefore('2100-01-01T00:00:00.000Z')).map((r) => r.objectId)).not.toContain(objectId);
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', expiryDate: '2026-11-30T00:00:00.000Z' });
  });

  it('an object over 5 GiB is not copied by the auto-keep (a multipart copy outlasts the function): no upload is started, the failure is logged, no KEPT', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-large' } });
    s3Mock.on(HeadObjectCommand).resolves({ ...RESTORED_HEAD, ContentLength: 6 * 1024 ** 3, ETag: '"abc-12"' });
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key }), { ...deps(), autoKeep: { afterRestores: 1, withinDays: 30, storageClass: 'STANDARD' } });
    expect(result).toEqual({ outcome: 'restored', objectId, resumed: 'now' });
    expect(s3Mock).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
    expect(s3Mock).not.toHaveReceivedCommand(CopyObjectCommand);
    expect((await state.audit.history(objectId)).map((e) => e.type).sort()).toEqual(['AUTO_KEEP_DECIDED', 'NOTICES_QUEUED', 'RESTORE_COMPLETED']);
    expect(log.error).toHaveBeenCalledWith('auto-keep copy failed', expect.objectContaining({ objectId, error: 'KeepTooLargeError' }));
  });
});
