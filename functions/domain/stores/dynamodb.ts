/**
 * The DynamoDB call patterns the stores share: a write whose condition may not hold, reading
 * every page of a Query or Scan, and a BatchGet or BatchWrite that asks again for what was
 * left unprocessed.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/** The write's result, or undefined when DynamoDB refused it because its condition did not hold; any other error is thrown. */
export async function unlessConditionFails<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}

/** True when the conditional write was applied, false when its condition did not hold. */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  return (await unlessConditionFails(async () => (await write(), true))) ?? false;
}

/**
 * Every item of a paginated Query or Scan (each call returns at most 1 MB): `page` sends one
 * call from the given start key. Stops early once `limit` items are in, if given.
 */
export async function allPages<T>(page: (startKey: Item | undefined, collected: number) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>, limit = Infinity): Promise<T[]> {
  const items: T[] = [];
  let startKey: Item | undefined;
  do {
    const out = await page(startKey, items.length);
    items.push(...((out.Items ?? []) as T[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items;
}

const BATCH_GET_MAX_KEYS = 100;

/**
 * Every item of `table` with these keys: one BatchGetItem per 100 keys (its limit), asking
 * again for the keys it left unprocessed (throttling, or more than 16 MB) after a growing pause,
 * as the BatchGetItem reference recommends. Missing items are simply absent.
 */
export async function batchGetAll(
  ddb: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
  pause = (ms: number) => new Promise((r) => setTimeout(r, ms)),
  { consistentRead = false }: { consistentRead?: boolean } = {},
): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS) {
    let request: Record<string, { Keys: Item[]; ConsistentRead?: boolean }> | undefined = {
      [table]: { Keys: keys.slice(i, i + BATCH_GET_MAX_KEYS), ...(consistentRead ? { ConsistentRead: true } : {}) },
    };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 0) await pause(Math.min(50 * 2 ** (attempt - 1), 2_000));
      const out = await ddb.send(new BatchGetCommand({ RequestItems: request }));
      items.push(...(out.Responses?.[table] ?? []));
      // Absent when every key was processed.
      request = out.UnprocessedKeys as Record<string, { Keys: Item[] }> | undefined;
    }
  }
  return items;
}

const BATCH_WRITE_MAX_ITEMS = 25;

/** One put of a BatchWriteItem, which may span tables. */
export interface TablePut {
  table: string;
  item: Item;
}

/** Puts of these items into one table. */
export function putsInto(table: string, items: readonly object[]): TablePut[] {
  return items.map((item) => ({ table, item: item as Item }));
}

/**
 * Makes every put, in order: one BatchWriteItem per 25 puts (its limit, whatever the tables),
 * sending again the puts it left unprocessed after a growing pause, as the BatchWriteItem
 * reference recommends. Each put replaces an item with the same key and takes no condition: only
 * for items whose key says everything (writing one twice leaves one). The puts of one call must
 * have distinct keys. DynamoDB applies the puts of one call in no set order.
 */
export async function batchPutAll(ddb: DynamoDBDocumentClient, puts: readonly TablePut[], pause = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  for (let i = 0; i < puts.length; i += BATCH_WRITE_MAX_ITEMS) {
    let request: Record<string, { PutRequest: { Item: Item } }[]> | undefined = {};
    for (const { table, item } of puts.slice(i, i + BATCH_WRITE_MAX_ITEMS)) (request[table] ??= []).push({ PutRequest: { Item: item } });
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 0) await pause(Math.min(50 * 2 ** (attempt - 1), 2_000));
      const out = await ddb.send(new BatchWriteCommand({ RequestItems: request }));
      // Absent or empty when every put was processed.
      request = out.UnprocessedItems as Record<string, { PutRequest: { Item: Item } }[]> | undefined;
    }
  }
}
