/**
 * The local DynamoDB's LevelDB store: Query and Scan close the iterators they open, so LevelDB
 * drops what was overwritten; a store that grows keeps a bounded number of its table files
 * mapped into memory (LevelDB maps every table file it has open).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import dynalite from 'dynalite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixDynaliteLevelDb, LEVELDB_OPTIONS, openWith, type DynaliteLevel } from '../../local/dynamodb-leveldb.js';

/** dynalite's store module, as its actions use it: a prefixed store per table, and its Query's stream reader. */
interface DynaliteDb {
  create(options: object): {
    db: DynaliteLevel & { compactRange(start: string, end: string): Promise<void>; close(): Promise<void> };
    getItemDb(table: string): { createValueStream(options: object): NodeJS.ReadableStream; batch(ops: object[], callback: (err?: Error) => void): void };
  };
  lazy(stream: NodeJS.ReadableStream, onError: (err: Error) => void): { takeWhile(f: () => boolean): { join(f: (items: unknown[]) => void): void }; join(f: (items: unknown[]) => void): void };
}

/** Table files of `dir` mapped into this process now (Linux's /proc/self/maps). */
function mappedTables(dir: string): number {
  const lines = readFileSync('/proc/self/maps', 'utf8').split('\n');
  return new Set(lines.filter((l) => l.includes(dir) && l.endsWith('.ldb')).map((l) => l.split(/\s+/).at(-1))).size;
}

/** Bytes of table files in `dir`. */
const tableBytes = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ldb'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

/** Writes `count` values of 4 KiB (the same random text), then reads every 50th back. */
async function fillAndReadBack(level: ClassicLevel, count: number): Promise<void> {
  // Incompressible, so that the table files hold what is written.
  const value = randomBytes(3072).toString('base64');
  for (let i = 0; i < count; i += 1000) await level.batch(Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({ type: 'put' as const, key: `k${String(i + j).padStart(6, '0')}`, value })));
  // Moves everything out of the write buffer into table files.
  await level.compactRange('k', 'l');
  for (let i = 0; i < count; i += 50) expect(await level.get(`k${String(i).padStart(6, '0')}`)).toBe(value);
}

describe.runIf(existsSync('/proc/self/maps'))('LevelDB store of the local DynamoDB', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'autorestore-leveldb-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('drops overwritten items once the queries that read them have ended', async () => {
    fixDynaliteLevelDb();
    const db = createRequire(import.meta.url)('dynalite/db/index.js') as DynaliteDb;
    const path = dir();
    const store = db.create({ path });
    const items = store.getItemDb('bench');
    const writeAll = async (version: string) => {
      const value = { pk: { S: version }, body: { S: randomBytes(3072).toString('base64') } };
      for (let i = 0; i < 3000; i += 500) {
        const ops = Array.from({ length: 500 }, (_, j) => ({ type: 'put', key: `k${String(i + j).padStart(5, '0')}`, value }));
        await new Promise<void>((resolve, reject) => items.batch(ops, (err) => (err ? reject(err) : resolve())));
      }
      await store.db.compactRange('item', 'itemz');
    };
    // As dynalite's Query and Scan read: a stream read to its end, and one stopped at its Limit.
    const query = (limit: number) =>
      new Promise<unknown[]>((resolve, reject) => {
        let n = 0;
        db.lazy(items.createValueStream({}), reject)
          .takeWhile(() => n++ < limit)
          .join(resolve);
      });

    await writeAll('first');
    const once = tableBytes(path);
    expect((await query(5000)).length).toBe(3000);
    expect((await query(1)).length).toBe(1);
    await writeAll('second');
    // An iterator left open would keep the first version's files (twice the bytes).
    await vi.waitFor(() => expect(tableBytes(path)).toBeLessThan(once * 1.5), { timeout: 30_000, interval: 200 });
    await store.db.close();
  }, 120_000);

  // About 240 MiB (compressed) in 2 MiB table files.
  it('maps at most 64 table files of a store of over a hundred, where the defaults map them all', async () => {
    const bounded = dir();
    const withOptions = new ClassicLevel(bounded);
    openWith(withOptions as unknown as DynaliteLevel, LEVELDB_OPTIONS);
    await fillAndReadBack(withOptions, 80_000);
    expect(mappedTables(bounded)).toBeGreaterThan(0);
    expect(mappedTables(bounded)).toBeLessThanOrEqual(64);
    await withOptions.close();

    const unbounded = dir();
    const defaults = new ClassicLevel(unbounded);
    await fillAndReadBack(defaults, 80_000);
    expect(mappedTables(unbounded)).toBeGreaterThan(64);
    await defaults.close();
  }, 120_000);

  it('opens every store dynalite creates with those options', async () => {
    // A spy calls through to the method it watches.
    const open = vi.spyOn(ClassicLevel.prototype as unknown as DynaliteLevel, '_open');
    fixDynaliteLevelDb();
    const server = dynalite({ path: dir(), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(open.mock.calls).toEqual([[expect.objectContaining(LEVELDB_OPTIONS)]]);
  });
});
