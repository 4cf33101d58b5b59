/**
 * A data folder made by an earlier version has tables without the global secondary indexes
 * added since (such as the objects table's expiring-copies index the expiry reminders read).
 * DynamoDB adds an index to a live table with UpdateTable (GlobalSecondaryIndexUpdates Create),
 * which is asked first. The local DynamoDB (dynalite 4) refuses it for an on-demand table
 * (it wants a ProvisionedThroughput) and, given one, answers 200 and changes nothing, so the table is then rebuilt with the same name: its items are saved to a file in
 * the data folder, the table is deleted and created again with every index, and the items are
 * written back (a rebuild cut short is finished at the next start, from that file).
 */
import { createReadStream, existsSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateTableCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { eventually } from './eventually.js';

/** BatchWriteItem takes at most 25 requests. */
const BATCH = 25;

type Item = Record<string, AttributeValue>;

async function indexNames(ddb: DynamoDBClient, table: string): Promise<Set<string>> {
  const described = await ddb.send(new DescribeTableCommand({ TableName: table }));
  return new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? ''));
}

/** The file a rebuild saves the table's items to, until they are back in the rebuilt table. */
export function rebuildFile(dataDir: string, table: string): string {
  return join(dataDir, `${table}.rebuild.jsonl`);
}

/**
 * Gives the existing table `definition.TableName` every index of `definition` it lacks.
 * Answers the names of the indexes added (none when the table already had them all).
 */
export async function addMissingIndexes(ddb: DynamoDBClient, definition: CreateTableCommandInput, dataDir: string, log: (message: string) => void): Promise<string[]> {
  const table = definition.TableName!;
  const saved = rebuildFile(dataDir, table);
  if (existsSync(saved)) {
    // A rebuild stopped after its items were saved: the table was (re)created by now; put them back.
    await ensureTable(ddb, definition);
    await writeBack(ddb, table, saved);
    rmSync(saved);
    log(`local cloud: finished rebuilding table ${table} from ${saved}`);
  }
  const wanted = (definition.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName!);
  const missing = (have: Set<string>) => wanted.filter((name) => !have.has(name));
  const lacking = missing(await indexNames(ddb, table));
  if (!lacking.length) return [];
  for (const name of lacking) {
    const index = definition.GlobalSecondaryIndexes!.find((i) => i.IndexName === name)!;
    try {
      await ddb.send(
        new UpdateTableCommand({
          TableName: table,
          AttributeDefinitions: definition.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: name, KeySchema: index.KeySchema, Projection: index.Projection } }],
        }),
      );
    } catch (err) {
      // dynalite insists on a ProvisionedThroughput even for an on-demand table's index: rebuilt below.
      if ((err as Error).name !== 'ValidationException') throw err;
      break;
    }
  }
  if (missing(await indexNames(ddb, table)).length) await rebuild(ddb, definition, saved);
  const still = missing(await indexNames(ddb, table));
  if (still.length) throw new TableIndexMigrationError(`table ${table} still lacks the index(es) ${still.join(', ')} after a rebuild`);
  log(`local cloud: added the index(es) ${lacking.join(', ')} to table ${table}`);
  return lacking;
}

export class TableIndexMigrationError extends Error {
  override readonly name = 'TableIndexMigrationError';
}

async function rebuild(ddb: DynamoDBClient, definition: CreateTableCommandInput, saved: string): Promise<void> {
  const table = definition.TableName!;
  writeFileSync(saved, '');
  let startKey: Item | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    if (page.Items?.length) appendFileSync(saved, page.Items.map((item) => `${JSON.stringify(item, keepBinary)}\n`).join(''));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await ddb.send(new DeleteTableCommand({ TableName: table }));
  await eventually(async () => !(await exists(ddb, table)), `table ${table} deleted`, 60_000);
  await ensureTable(ddb, definition);
  await writeBack(ddb, table, saved);
  rmSync(saved);
}

async function exists(ddb: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await ddb.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}

/** Creates the table when it is not there, and waits until it is ACTIVE. */
export async function ensureTable(ddb: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  const table = definition.TableName!;
  if (!(await exists(ddb, table))) await ddb.send(new CreateTableCommand(definition));
  await eventually(async () => (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus === 'ACTIVE', `table ${table} active`, 60_000);
}

async function writeBack(ddb: DynamoDBClient, table: string, saved: string): Promise<void> {
  let batch: WriteRequest[] = [];
  const flush = async () => {
    let requests = batch;
    batch = [];
    while (requests.length) {
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
      requests = out.UnprocessedItems?.[table] ?? [];
    }
  };
  for await (const line of createInterface({ input: createReadStream(saved), crlfDelay: Infinity })) {
    if (!line) continue;
    batch.push({ PutRequest: { Item: JSON.parse(line, readBinary) as Item } });
    if (batch.length === BATCH) await flush();
  }
  await flush();
}

/** Binary attribute values (B, BS) are saved as base64. */
function keepBinary(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { base64: Buffer.from(value).toString('base64') } : value;
}

function readBinary(_key: string, value: unknown): unknown {
  const base64 = (value as { base64?: unknown } | null)?.base64;
  return typeof base64 === 'string' && Object.keys(value as object).length === 1 ? new Uint8Array(Buffer.from(base64, 'base64')) : value;
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  iterator(range: { gte: string; lt: string }): AsyncIterable<[string, { TableStatus?: string; GlobalSecondaryIndexes?: { IndexStatus?: string }[] }]>;
  put(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
}

/** dynalite keeps each table's description under this key prefix of its LevelDB. */
const TABLE_KEYS = { gte: 'table~', lt: 'table~\uffff' };

/**
 * dynalite answers CreateTable and DeleteTable first and marks the table ACTIVE (or removes it)
 * a moment later; a process stopped in between leaves the table CREATING or DELETING for good,
 * and every later start would wait on it (a rebuild creates and deletes a table, so a stop at
 * that moment could not be recovered from). Run before dynalite opens `path`: a CREATING table
 * (created empty, with its indexes) becomes ACTIVE, a DELETING one (its items already removed)
 * is gone. Answers the names of the tables repaired.
 */
export async function repairStrandedTables(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  // dynalite's own LevelDB package, so the files are read by the version that wrote them.
  const { Level } = createRequire(createRequire(import.meta.url).resolve('dynalite'))('level') as { Level: new (path: string, options: { valueEncoding: 'json' }) => LevelDb };
  const db = new Level(path, { valueEncoding: 'json' });
  await db.open();
  const repaired: string[] = [];
  try {
    for await (const [key, table] of db.iterator(TABLE_KEYS)) {
      if (table.TableStatus === 'CREATING') {
        table.TableStatus = 'ACTIVE';
        for (const index of table.GlobalSecondaryIndexes ?? []) index.IndexStatus = 'ACTIVE';
        await db.put(key, table);
      } else if (table.TableStatus === 'DELETING') await db.del(key);
      else continue;
      repaired.push(key.slice(TABLE_KEYS.gte.length));
    }
  } finally {
    await db.close();
  }
  return repaired;
}
