/**
 * The local DynamoDB's cache of table descriptions: requests stop reading the description from
 * LevelDB, and every change to a table (UpdateTable, DeleteTable, CreateTable) is seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../local/eventually.js';
import { cacheDescriptions, cacheDynaliteTableDescriptions, type TableStore } from '../../local/dynamodb-table-cache.js';

describe('table description cache', () => {
  let dir: string;
  let server: ReturnType<typeof dynalite>;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-table-cache-'));
    cacheDynaliteTableDescriptions();
    // On disk, as the local cloud runs it.
    server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });

  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const table = (name: string) =>
    new CreateTableCommand({
      TableName: name,
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });

  it('sees the throughput set by UpdateTable, a deleted table as gone, and a table created again', async () => {
    await client.send(table('table-one'));
    await client.send(new PutItemCommand({ TableName: 'table-one', Item: { pk: { S: 'a' } } }));
    // Cached by now: the description was read for the PutItem.
    await client.send(new UpdateTableCommand({ TableName: 'table-one', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 7 } }));
    // dynalite marks the table UPDATING, then ACTIVE with the new throughput (updateTableMs later).
    const updated = await eventually(async () => {
      const t = (await client.send(new DescribeTableCommand({ TableName: 'table-one' }))).Table;
      return t?.TableStatus === 'ACTIVE' && t.ProvisionedThroughput?.WriteCapacityUnits === 7 ? t : undefined;
    }, 'the updated throughput');
    expect(updated.ProvisionedThroughput?.ReadCapacityUnits).toBe(5);
    await client.send(new PutItemCommand({ TableName: 'table-one', Item: { pk: { S: 'b' } } }));
    expect((await client.send(new QueryCommand({ TableName: 'table-one', KeyConditionExpression: 'pk = :b', ExpressionAttributeValues: { ':b': { S: 'b' } } }))).Count).toBe(1);

    await client.send(new DeleteTableCommand({ TableName: 'table-one' }));
    await expect(client.send(new PutItemCommand({ TableName: 'table-one', Item: { pk: { S: 'c' } } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await client.send(table('table-one'));
    expect((await client.send(new DescribeTableCommand({ TableName: 'table-one' }))).Table?.ProvisionedThroughput?.WriteCapacityUnits).toBe(1);
  });
});

describe('cacheDescriptions', () => {
  /** A table store in memory that answers asynchronously and counts its reads. */
  function memoryStore() {
    const values = new Map<string, string>();
    const store = {
      reads: 0,
      get(key: string, callback: (err: Error | null, value?: unknown) => void) {
        store.reads++;
        const text = values.get(key);
        setImmediate(() => (text === undefined ? callback(Object.assign(new Error('NotFound'), { name: 'NotFoundError' })) : callback(null, JSON.parse(text))));
      },
      put(key: string, value: unknown, callback?: (err: Error | null) => void) {
        setImmediate(() => {
          values.set(key, JSON.stringify(value));
          callback?.(null);
        });
      },
      del(key: string, callback?: (err: Error | null) => void) {
        setImmediate(() => {
          values.delete(key);
          callback?.(null);
        });
      },
    };
    return store;
  }
  const read = (store: TableStore, key: string) => new Promise<unknown>((resolve, reject) => store.get(key, (err, value) => (err ? reject(err) : resolve(value))));
  const write = (store: TableStore, key: string, value: unknown) => new Promise<void>((resolve) => store.put(key, value, () => resolve()));

  it('reads a description once, then answers copies of it that a caller may change', async () => {
    const store = memoryStore();
    await write(store, 't', { TableStatus: 'ACTIVE', n: 1 });
    cacheDescriptions(store);
    const first = (await read(store, 't')) as { n: number };
    first.n = 99;
    expect(await read(store, 't')).toEqual({ TableStatus: 'ACTIVE', n: 1 });
    expect(await read(store, 't')).toEqual({ TableStatus: 'ACTIVE', n: 1 });
    expect(store.reads).toBe(1);
  });

  it('a read overlapped by a write is not kept, and a write drops what was kept', async () => {
    const store = memoryStore();
    await write(store, 't', { TableStatus: 'ACTIVE', n: 1 });
    cacheDescriptions(store);
    await read(store, 't');
    const [during] = await Promise.all([read(store, 't'), write(store, 't', { TableStatus: 'ACTIVE', n: 2 })]);
    expect(during).toEqual({ TableStatus: 'ACTIVE', n: 1 });
    expect(await read(store, 't')).toEqual({ TableStatus: 'ACTIVE', n: 2 });
    const overlapped = read(store, 't');
    await write(store, 't', { TableStatus: 'ACTIVE', n: 3 });
    await overlapped;
    expect(await read(store, 't')).toEqual({ TableStatus: 'ACTIVE', n: 3 });
    await new Promise<void>((resolve) => store.del('t', () => resolve()));
    await expect(read(store, 't')).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
