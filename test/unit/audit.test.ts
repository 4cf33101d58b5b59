import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestState, type TestState } from '../support/dynamo.js';

let state: TestState;
beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());

/** Every item stored for the object, markers included. */
async function items(objectId: string): Promise<Record<string, unknown>[]> {
  const out = await state.ddb.send(new QueryCommand({ TableName: state.tableNames.audit, KeyConditionExpression: 'objectId = :id', ExpressionAttributeValues: { ':id': objectId } }));
  return out.Items ?? [];
}

describe('audit log', () => {
  it('an entry timed by its event is written once, with no marker, however often it is delivered', async () => {
    const objectId = 's3://bucket/event-timed.csv';
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(await state.audit.record({ objectId, time: new Date('2026-11-22T10:00:00Z'), type: 'READ_DETECTED', dedupeKey: 'read#event-1', timeIsTheEvents: true }));
    }
    expect(outcomes).toEqual([true, false, false, false, false]);
    const stored = await items(objectId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ type: 'READ_DETECTED', at: expect.stringMatching(/^2026-11-22T10:00:00\.000Z#[0-9a-f]{32}$/) });
  });

  it('an entry timed when it is written keeps one entry through a marker, whatever the time of each delivery', async () => {
    const objectId = 's3://bucket/write-timed.csv';
    const first = await state.audit.record({ objectId, time: new Date('2026-11-22T10:00:00Z'), type: 'EXECUTION_STARTED', dedupeKey: 'execution#1' });
    const again = await state.audit.record({ objectId, time: new Date('2026-11-22T10:00:07Z'), type: 'EXECUTION_STARTED', dedupeKey: 'execution#1' });
    expect([first, again]).toEqual([true, false]);
    const history = await state.audit.history(objectId);
    expect(history.map((e) => e.time)).toEqual(['2026-11-22T10:00:00.000Z']);
    expect((await items(objectId)).map((i) => String(i.at).slice(0, 8))).toEqual(['#dedupe#', '2026-11-']);
  });

  it('reads data written with a marker and an entry per line: the entry shows once, a duplicate adds nothing', async () => {
    const objectId = 's3://bucket/written-before.csv';
    const dedupe = createHash('sha256').update('notices#1#started').digest('hex').slice(0, 32);
    const entryAt = `2026-11-20T08:00:00.000Z#${dedupe}`;
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId, at: `#dedupe#${dedupe}`, entryAt } }));
    await state.ddb.send(
      new PutCommand({
        TableName: state.tableNames.audit,
        Item: { objectId, at: entryAt, time: '2026-11-20T08:00:00.000Z', type: 'NOTICES_QUEUED', cycle: 1, detail: { kind: 'started' } },
      }),
    );
    expect(await state.audit.record({ objectId, time: new Date('2026-11-22T10:00:00Z'), type: 'NOTICES_QUEUED', cycle: 1, dedupeKey: 'notices#1#started' })).toBe(false);
    expect(await state.audit.history(objectId)).toEqual([{ objectId, at: entryAt, time: '2026-11-20T08:00:00.000Z', type: 'NOTICES_QUEUED', cycle: 1, detail: { kind: 'started' } }]);
  });

  it('distinct events at the same second are distinct entries, newest first by sort key', async () => {
    const objectId = 's3://bucket/same-second.csv';
    for (const id of ['a', 'b', 'c']) await state.audit.record({ objectId, time: new Date('2026-11-22T10:00:00Z'), type: 'READ_DETECTED', dedupeKey: `read#${id}`, timeIsTheEvents: true });
    await state.audit.record({ objectId, time: new Date('2026-11-22T10:00:01Z'), type: 'EXECUTION_STARTED' });
    const history = await state.audit.history(objectId);
    expect(history.map((e) => e.type)).toEqual(['EXECUTION_STARTED', 'READ_DETECTED', 'READ_DETECTED', 'READ_DETECTED']);
  });
});
