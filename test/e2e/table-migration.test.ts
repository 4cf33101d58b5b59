/**
 * A local cloud started on a data folder made before the expiring-copies index existed: the
 * objects table gets the index, keeps every item (and its attributes, binary ones too), and the
 * index lists the items that carry its key.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../infra/table-definitions.js';
import { EXPIRING_COPIES_INDEX, EXPIRING_PARTITION, OPEN_CYCLES_INDEX } from '../../functions/domain/stores/records.js';
import { TABLE_NAMES } from '../../local/deployment.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { addMissingIndexes, ensureTable, rebuildFile } from '../../local/table-indexes.js';

const dataDir = mkdtempSync(join(tmpdir(), 'autorestore-old-data-'));
const ITEMS = 60;
const EXPIRING = 7;
let h: Harness | undefined;
let ddb: DynamoDBClient | undefined;

/** The objects table as an earlier version made it: every index but expiring-copies. */
async function oldDataFolder(): Promise<void> {
  const server = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'old', secretAccessKey: 'old' } });
  const current = createTableInput('objects', TABLE_NAMES.objects);
  // ACTIVE before the first write: dynalite answers CreateTable while the table is still CREATING.
  await ensureTable(client, {
    ...current,
    AttributeDefinitions: current.AttributeDefinitions.filter((a) => a.AttributeName !== 'expiringPartition' && a.AttributeName !== 'expiryDate'),
    GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter((i) => i.IndexName !== EXPIRING_COPIES_INDEX),
  });
  for (let i = 0; i < ITEMS; i++) {
    await client.send(
      new PutItemCommand({
        TableName: TABLE_NAMES.objects,
        Item: {
          objectId: { S: `object-${String(i).padStart(3, '0')}` },
          status: { S: i < EXPIRING ? 'RESTORED' : 'EXPIRED' },
          cycle: { N: String(i) },
          digest: { B: new Uint8Array([i, 0, 255]) },
          ...(i < EXPIRING ? { expiringPartition: { S: EXPIRING_PARTITION }, expiryDate: { S: `2026-12-0${i + 1}T00:00:00.000Z` } } : {}),
        },
      }),
    );
  }
  const before = await client.send(new DescribeTableCommand({ TableName: TABLE_NAMES.objects }));
  expect(before.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual([OPEN_CYCLES_INDEX]);
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function start(): Promise<DynamoDBClient> {
  h = await startHarness({ dataDir });
  ddb = new DynamoDBClient({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTADMIN0000001', secretAccessKey: 'local' } });
  return ddb;
}

beforeAll(oldDataFolder);
afterAll(async () => {
  ddb?.destroy();
  await h?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a data folder from before the expiring-copies index', () => {
  it('gets the index at start; every item is kept as it was; the index lists the expiring copies by expiry', async () => {
    const ddb = await start();
    const table = await ddb.send(new DescribeTableCommand({ TableName: TABLE_NAMES.objects }));
    expect(table.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual([EXPIRING_COPIES_INDEX, OPEN_CYCLES_INDEX].sort());

    const items = (await ddb.send(new ScanCommand({ TableName: TABLE_NAMES.objects }))).Items ?? [];
    expect(items).toHaveLength(ITEMS);
    const third = items.find((item) => item.objectId?.S === 'object-003');
    expect(third).toEqual({
      objectId: { S: 'object-003' },
      status: { S: 'RESTORED' },
      cycle: { N: '3' },
      digest: { B: new Uint8Array([3, 0, 255]) },
      expiringPartition: { S: EXPIRING_PARTITION },
      expiryDate: { S: '2026-12-04T00:00:00.000Z' },
    });

    const expiring = await ddb.send(
      new QueryCommand({
        TableName: TABLE_NAMES.objects,
        IndexName: EXPIRING_COPIES_INDEX,
        KeyConditionExpression: 'expiringPartition = :p AND expiryDate < :before',
        ExpressionAttributeValues: { ':p': { S: EXPIRING_PARTITION }, ':before': { S: '2027-01-01' } },
      }),
    );
    expect(expiring.Items?.map((item) => item.objectId?.S)).toEqual(Array.from({ length: EXPIRING }, (_, i) => `object-00${i}`));
    expect(existsSync(rebuildFile(dataDir, TABLE_NAMES.objects))).toBe(false);
  });

  it('a rebuild cut short after its items were saved is finished at the next start', async () => {
    // As if a start had saved the items and deleted the table, and stopped: this start created the table again, empty.
    const dir = mkdtempSync(join(tmpdir(), 'autorestore-rebuild-'));
    const server = dynalite({ path: join(dir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const definition = createTableInput('objects', TABLE_NAMES.objects);
      await client.send(new CreateTableCommand(definition));
      writeFileSync(rebuildFile(dir, TABLE_NAMES.objects), `${JSON.stringify({ objectId: { S: 'saved-before-the-stop' }, status: { S: 'EXPIRED' } })}\n`);
      const logged: string[] = [];
      expect(await addMissingIndexes(client, definition, dir, (line) => logged.push(line))).toEqual([]);
      const item = await client.send(new GetItemCommand({ TableName: TABLE_NAMES.objects, Key: { objectId: { S: 'saved-before-the-stop' } } }));
      expect(item.Item).toEqual({ objectId: { S: 'saved-before-the-stop' }, status: { S: 'EXPIRED' } });
      expect(existsSync(rebuildFile(dir, TABLE_NAMES.objects))).toBe(false);
      expect(logged).toEqual([`local cloud: finished rebuilding table ${TABLE_NAMES.objects} from ${rebuildFile(dir, TABLE_NAMES.objects)}`]);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A rebuild killed (SIGKILL) at each of its steps, then started again: every item is there, as it was, and the index too.
  // Items of 20 KB, so the scan that saves them takes several pages (dynalite answers at most 1 MB a page).
  describe('a rebuild killed with SIGKILL at each step loses no item at the next start', () => {
    const BIG = 150;
    const padding = 'p'.repeat(20_000);
    const template = mkdtempSync(join(tmpdir(), 'autorestore-kill-template-'));
    afterAll(() => rmSync(template, { recursive: true, force: true }));

    async function withDynalite<T>(dir: string, use: (client: DynamoDBClient) => Promise<T>): Promise<T> {
      const server = dynalite({ path: join(dir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      try {
        return await use(client);
      } finally {
        client.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }

    const itemOf = (i: number): Record<string, AttributeValue> => ({ objectId: { S: `big-${String(i).padStart(4, '0')}` }, cycle: { N: String(i) }, padding: { S: padding } });

    beforeAll(() =>
      withDynalite(template, async (client) => {
        const current = createTableInput('objects', TABLE_NAMES.objects);
        await ensureTable(client, { ...current, GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter((i) => i.IndexName !== EXPIRING_COPIES_INDEX) });
        for (let i = 0; i < BIG; i++) await client.send(new PutItemCommand({ TableName: TABLE_NAMES.objects, Item: itemOf(i) }));
      }),
    );

    it.each([
      ['ScanCommand', 1, 'after'],
      ['ScanCommand', 2, 'after'],
      ['DeleteTableCommand', 1, 'before'],
      ['DeleteTableCommand', 1, 'after'],
      ['CreateTableCommand', 1, 'before'],
      ['CreateTableCommand', 1, 'after'],
      ['BatchWriteItemCommand', 1, 'before'],
      ['BatchWriteItemCommand', 3, 'after'],
    ] as const)('killed %s before/after #%i (%s)', async (command, nth, when) => {
      const dir = mkdtempSync(join(tmpdir(), 'autorestore-kill-'));
      try {
        cpSync(template, dir, { recursive: true });
        const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/table-rebuild-child.ts', dir, command, String(nth), when], { encoding: 'utf8', timeout: 120_000 });
        expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
        // The next start, as the local cloud starts on a data folder.
        const restarted = await startHarness({ dataDir: dir });
        const client = new DynamoDBClient({ endpoint: restarted.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTADMIN0000001', secretAccessKey: 'local' } });
        try {
          const items: Record<string, AttributeValue>[] = [];
          let startKey: Record<string, AttributeValue> | undefined;
          do {
            const page = await client.send(new ScanCommand({ TableName: TABLE_NAMES.objects, ExclusiveStartKey: startKey }));
            items.push(...(page.Items ?? []));
            startKey = page.LastEvaluatedKey;
          } while (startKey);
          expect(items.sort((a, b) => a.objectId!.S!.localeCompare(b.objectId!.S!))).toEqual(Array.from({ length: BIG }, (_, i) => itemOf(i)));
          const table = await client.send(new DescribeTableCommand({ TableName: TABLE_NAMES.objects }));
          expect(table.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual([EXPIRING_COPIES_INDEX, OPEN_CYCLES_INDEX].sort());
          expect(existsSync(rebuildFile(dir, TABLE_NAMES.objects))).toBe(false);
        } finally {
          client.destroy();
          await restarted.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
