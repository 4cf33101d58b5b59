import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { orderRestore, ordererReader } from '../../functions/domain/restores/order-restore.js';
import type { RestoreStartDeps } from '../../functions/domain/restores/start-restore.js';
import { ACCOUNT, BUCKET } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';

const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:restore-object`;
const sfnMock = mockClient(SFNClient);
let state: TestState;
let ref: ObjectRef;
let n = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
  sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  ref = { bucket: BUCKET, key: `ordered/file-${++n}.csv` };
});

function deps(): RestoreStartDeps {
  return {
    sfn: new SFNClient({ region: 'us-east-1' }),
    records: state.records,
    audit: state.audit,
    notices: state.notices,
    stateMachineArn: STATE_MACHINE,
    now: () => new Date('2026-11-22T10:00:05Z'),
  };
}

describe('ordering a restore', () => {
  it('notifies the address given, or else the access key', () => {
    expect(ordererReader('AKIAEXAMPLE', 'ana@example.com')).toEqual({ id: 'email:ana@example.com', accessKeyId: 'AKIAEXAMPLE', email: 'ana@example.com' });
    expect(ordererReader('AKIAEXAMPLE')).toEqual({ id: 'AKIAEXAMPLE', accessKeyId: 'AKIAEXAMPLE' });
  });

  it('starts the restore and records who ordered it, with the options', async () => {
    const started = await orderRestore(deps(), ref, ordererReader('AKIAEXAMPLE', 'ana@example.com'), { tier: 'Bulk', days: 3 }, 'getObjectOrRestore');
    expect(started).toMatchObject({ opened: true, cycle: 1, objectId: objectIdOf(ref) });
    const ordered = (await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'RESTORE_ORDERED');
    expect(ordered).toHaveLength(1);
    expect(ordered[0]).toMatchObject({ cycle: 1, detail: { by: 'AKIAEXAMPLE', notify: 'ana@example.com', via: 'getObjectOrRestore', tier: 'Bulk', days: 3 } });
  });

  it('joins a running restore and records the second order too', async () => {
    await orderRestore(deps(), ref, ordererReader('AKIAFIRST'));
    const joined = await orderRestore(deps(), ref, ordererReader('AKIASECOND'));
    expect(joined).toMatchObject({ opened: false, cycle: 1 });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const by = (await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'RESTORE_ORDERED').map((e) => (e.detail as { by: string }).by);
    expect(by.sort()).toEqual(['AKIAFIRST', 'AKIASECOND']);
    expect(Object.keys((await state.records.get(objectIdOf(ref)))!.subscribers).sort()).toEqual(['AKIAFIRST', 'AKIASECOND']);
  });
});
