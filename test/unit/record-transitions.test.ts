import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { OPEN_PARTITION } from '../../functions/domain/stores/records.js';
import { BUCKET } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { seedCycle } from '../support/records.js';

let state: TestState;
let ref: ObjectRef;
let objectId: string;
let n = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(async () => {
  ref = { bucket: BUCKET, key: `data/transitions-${++n}.csv` };
  objectId = objectIdOf(ref);
  await seedCycle(state, ref, { fields: { taskToken: 'token' } });
});

describe('the object record transitions', () => {
  it('markRestoring moves STARTING to RESTORING and keeps the cycle open', async () => {
    const moved = await state.records.markRestoring(objectId, 1, { tier: 'Standard', restoreDays: 3 });
    expect(moved).toMatchObject({ status: 'RESTORING', tier: 'Standard', restoreDays: 3, openPartition: OPEN_PARTITION });
  });

  it('markRestoring never moves a RESTORED cycle back', async () => {
    await state.records.markRestored(objectId, 1, { restoredAt: '2026-11-22T10:00:00Z' });
    expect(await state.records.markRestoring(objectId, 1, { tier: 'Bulk' })).toBeUndefined();
    expect(await state.records.get(objectId)).toMatchObject({ status: 'RESTORED' });
  });

  it('markRestored keeps the cycle open until the readers are told, and honours `from`', async () => {
    expect(await state.records.markRestored(objectId, 1, {}, { from: ['RESTORING'] })).toBeUndefined();
    const restored = await state.records.markRestored(objectId, 1, { expiryDate: '2026-11-29T00:00:00.000Z' }, { from: ['STARTING'], dropTaskToken: true });
    expect(restored).toMatchObject({ status: 'RESTORED', expiryDate: '2026-11-29T00:00:00.000Z', openPartition: OPEN_PARTITION });
    expect(restored?.taskToken).toBeUndefined();
  });

  it('close records the outcome, forgets the token and leaves the open index', async () => {
    const closed = await state.records.close(objectId, 1, 'GONE', 'the object was deleted');
    expect(closed).toMatchObject({ status: 'CLOSED', outcome: 'GONE', outcomeReason: 'the object was deleted' });
    expect(closed?.taskToken).toBeUndefined();
    expect(closed?.openPartition).toBeUndefined();
  });

  it('expire applies only to a RESTORED cycle', async () => {
    expect(await state.records.expire(objectId, 1)).toBeUndefined();
    await state.records.markRestored(objectId, 1, {});
    const expired = await state.records.expire(objectId, 1);
    expect(expired).toMatchObject({ status: 'EXPIRED' });
    expect(expired?.openPartition).toBeUndefined();
    expect(expired?.taskToken).toBeUndefined();
  });

  it('no transition writes a cycle the record has left', async () => {
    expect(await state.records.close(objectId, 2, 'FAILED', 'late')).toBeUndefined();
    expect(await state.records.get(objectId)).toMatchObject({ cycle: 1, status: 'STARTING' });
  });
});
