import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { allPages, batchGetAll, batchPutAll, conditionHeld, putsInto, unlessConditionFails } from '../../functions/domain/stores/dynamodb.js';

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('conditional writes', () => {
  it('a failed condition is a result; any other error is thrown', async () => {
    expect(await unlessConditionFails(async () => 'written')).toBe('written');
    expect(await unlessConditionFails(() => Promise.reject(conditionFailed()))).toBeUndefined();
    expect(await conditionHeld(async () => ({}))).toBe(true);
    expect(await conditionHeld(() => Promise.reject(conditionFailed()))).toBe(false);
    await expect(conditionHeld(() => Promise.reject(new Error('ThrottlingException')))).rejects.toThrow('ThrottlingException');
  });
});

describe('allPages', () => {
  it('follows LastEvaluatedKey to the end, and stops early at the limit', async () => {
    const pages = [{ Items: [{ n: 1 }, { n: 2 }], LastEvaluatedKey: { k: 2 } }, { Items: [{ n: 3 }], LastEvaluatedKey: { k: 3 } }, { Items: [{ n: 4 }] }];
    const starts: unknown[] = [];
    const page = async (startKey: Record<string, unknown> | undefined) => (starts.push(startKey), pages[starts.length - 1]!);
    expect(await allPages(page)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(starts).toEqual([undefined, { k: 2 }, { k: 3 }]);
    starts.length = 0;
    expect(await allPages(page, 2)).toHaveLength(2);
    expect(starts).toEqual([undefined]);
  });
});

describe('batchGetAll', () => {
  it('sends at most 100 keys per call and asks again, after a growing pause, for the keys left unprocessed', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => ({ id: `k${i}` }));
    const sent: { id: string }[][] = [];
    let unprocessedOnce = true;
    const ddb = {
      send: async (command: { input: { RequestItems: Record<string, { Keys: { id: string }[] }> } }) => {
        const asked = command.input.RequestItems.things!.Keys;
        sent.push(asked);
        // The first call reads only its first 40 keys and leaves the rest unprocessed.
        if (unprocessedOnce) {
          unprocessedOnce = false;
          return { Responses: { things: asked.slice(0, 40) }, UnprocessedKeys: { things: { Keys: asked.slice(40) } } };
        }
        return { Responses: { things: asked }, UnprocessedKeys: {} };
      },
    } as unknown as DynamoDBDocumentClient;
    const pauses: number[] = [];
    const items = await batchGetAll(ddb, 'things', keys, async (ms) => void pauses.push(ms));
    expect(sent.map((s) => s.length)).toEqual([100, 60, 50]);
    expect(items.map((i) => i.id).sort()).toEqual(keys.map((k) => k.id).sort());
    expect(pauses).toEqual([50]);
  });
});

describe('batchPutAll', () => {
  it('sends 25 puts a call whatever their tables, in order, and sends again, after a growing pause, the puts left unprocessed', async () => {
    type Request = Record<string, { PutRequest: { Item: { id: string } } }[]>;
    const sent: Record<string, string[]>[] = [];
    let unprocessedTwice = 2;
    const ddb = {
      send: async (command: { input: { RequestItems: Request } }) => {
        const request = command.input.RequestItems;
        sent.push(Object.fromEntries(Object.entries(request).map(([table, puts]) => [table, puts.map((p) => p.PutRequest.Item.id)])));
        // The first call, and the retry of what it left, each leave the last put of table "b" unprocessed.
        if (unprocessedTwice-- > 0) return { UnprocessedItems: { b: request.b!.slice(-1) } };
        return { UnprocessedItems: {} };
      },
    } as unknown as DynamoDBDocumentClient;
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }));
    const pauses: number[] = [];
    await batchPutAll(ddb, [...putsInto('a', ids('a', 20)), ...putsInto('b', ids('b', 10))], async (ms) => void pauses.push(ms));
    expect(sent).toEqual([{ a: ids('a', 20).map((i) => i.id), b: ['b0', 'b1', 'b2', 'b3', 'b4'] }, { b: ['b4'] }, { b: ['b4'] }, { b: ['b5', 'b6', 'b7', 'b8', 'b9'] }]);
    expect(pauses).toEqual([50, 100]);
  });
});
