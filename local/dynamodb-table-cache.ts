/**
 * dynalite reads a table's description from LevelDB at the start of every request (GetItem,
 * PutItem, UpdateItem, Query...): in a profiled run of the happy path, half of its LevelDB reads
 * and about 8% of the local cloud's CPU time. A description changes only through dynalite's
 * own writes to its table store (CreateTable, UpdateTable, DeleteTable), so this keeps the last
 * description read as JSON text, drops it whenever that store is written, and gives each
 * request its own parsed copy (dynalite's actions may change the object they are given).
 */
import { createRequire } from 'node:module';

type Callback = (err: Error | null, value?: unknown) => void;

/** The part of dynalite's table store (a prefixed LevelDB wrapper) that reads and writes descriptions. */
export interface TableStore {
  get(key: string, callback: Callback): unknown;
  put(key: string, value: unknown, callback?: Callback): unknown;
  del(key: string, callback?: Callback): unknown;
}

interface DynaliteDbModule {
  create(options: object): { tableDb: TableStore };
}

const require = createRequire(import.meta.url);
const patched = new WeakSet();

/** Makes every dynalite store created from now on in this process cache its table descriptions. */
export function cacheDynaliteTableDescriptions(): void {
  // The module dynalite's own `require('./db')` returns: its `create` is looked up at each call.
  const db = require('dynalite/db/index.js') as DynaliteDbModule;
  if (patched.has(db)) return;
  patched.add(db);
  const create = db.create.bind(db);
  db.create = (options) => {
    const store = create(options);
    cacheDescriptions(store.tableDb);
    return store;
  };
}

/** Wraps a table store's get, put and del in place. */
export function cacheDescriptions(store: TableStore): void {
  const get = store.get.bind(store);
  const put = store.put.bind(store);
  const del = store.del.bind(store);
  const cached = new Map<string, string>();
  /** Writes started or ended per table: a read overlapped by one may have seen either value and is not kept. */
  const writes = new Map<string, number>();
  const written = (key: string) => {
    writes.set(key, (writes.get(key) ?? 0) + 1);
    cached.delete(key);
  };
  const afterWrite = (key: string, result: unknown, callback: Callback | undefined) => {
    // Promise form (no callback): the write's end is observed on the promise it returns.
    if (!callback && result instanceof Promise)
      result.then(
        () => written(key),
        () => written(key),
      );
    return result;
  };

  store.get = (key, callback) => {
    const text = cached.get(key);
    if (text !== undefined) {
      // Answered asynchronously, as LevelDB answers.
      setImmediate(callback, null, JSON.parse(text));
      return;
    }
    const before = writes.get(key) ?? 0;
    return get(key, (err, value) => {
      if (!err && value && typeof value === 'object' && (writes.get(key) ?? 0) === before) cached.set(key, JSON.stringify(value));
      callback(err, value);
    });
  };
  store.put = (key, value, callback) => {
    written(key);
    return afterWrite(key, put(key, value, callback && ((err) => (written(key), callback(err)))), callback);
  };
  store.del = (key, callback) => {
    written(key);
    return afterWrite(key, del(key, callback && ((err) => (written(key), callback(err)))), callback);
  };
}
