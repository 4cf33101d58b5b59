import { SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restoreCompleted, type CompletedDeps } from '../../functions/restore-completed/completed.js';
import { objectIdOf, type ObjectRef } from '../../functions/shared/object-id.js';
import { ACCOUNT, BUCKET, restoreCompletedEvent, restoreExpiredEvent } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { recordingLog } from '../support/log.js';
import { seedCycle } from '../support/records.js';

const sfnMock = mockClient(SFNClient);
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
  log = recordingLog();
  ref = { bucket: BUCKET, key: `Q4 results + notes 100% ünï-${++n}.csv` };
  objectId = objectIdOf(ref);
});

function deps(): CompletedDeps {
  return { sfn: new SFNClient({ region: 'us-east-1' }), records: state.records, audit: state.audit, watchedBuckets: [BUCKET], accountId: ACCOUNT, now: () => new Date('2026-11-22T14:00:01Z'), log };
}

describe('restore-completed', () => {
  it('resumes the waiting execution with the expiry date (URL-encoded key decoded)', async () => {
    await seedCycle(state, ref, { fields: { status: 'RESTORING', taskToken: 'token-a' } });
    const result = await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps());
    expect(result).toEqual({ outcome: 'restored', objectId, resumed: 'now' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-a', output: JSON.stringify({ restoredAt: '2026-11-22T14:00:00.000Z', expiryDate: '2026-11-30T00:00:00.000Z' }) });
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED', expiryDate: '2026-11-30T00:00:00.000Z' });
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['RESTORE_COMPLETED']);
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
    expect((await state.audit.history(objectId)).map((e) => e.type)).toEqual(['RESTORE_COMPLETED']);
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

  it('an object we never restored is logged and left alone', async () => {
    expect(await restoreCompleted(restoreCompletedEvent({ key: ref.key }), deps())).toEqual({ outcome: 'untracked', objectId });
    expect(await state.records.get(objectId)).toBeUndefined();
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
});
