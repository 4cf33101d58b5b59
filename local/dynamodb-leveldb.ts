/**
 * Two fixes to how dynalite (4.0.0) uses its LevelDB store (classic-level 3 on abstract-level 3),
 * applied to each store as dynalite creates it, without changing dynalite's files:
 *
 * - Iterators closed. dynalite turns a LevelDB iterator into a stream for every Query and Scan,
 *   and closes it with `iterator.return()` when the stream ends; abstract-level 3's iterators
 *   have no `return` (they are closed with `close()`), so every Query left an iterator open
 *   until the store closed. An open iterator holds a snapshot and the files and write buffers
 *   it reads: LevelDB kept every overwritten version and every table file ever written (a
 *   1,000-object burst: 11 live table files, 250 on disk and mapped into memory, and growing).
 * - Fewer open table files. classic-level opens LevelDB with 1,000 open files by default and
 *   LevelDB maps each table file it opens into memory (up to 1,000 maps on 64-bit), so a store
 *   that grows keeps ever more of its files resident (Linux's RssFile). 74 bounds the maps: a
 *   table dropped from LevelDB's table cache is unmapped, and opened again when read again.
 */
import { createRequire } from 'node:module';

/** What the local DynamoDB gives LevelDB: classic-level's open options (its README lists them). */
export const LEVELDB_OPTIONS = {
  /**
   * LevelDB keeps 10 of these for its own files and raises anything below 74, so its table cache
   * holds 64 tables: with 2 MiB tables (`maxFileSize`'s default), at most 128 MiB mapped.
   */
  maxOpenFiles: 74,
} as const;

/** An abstract-level iterator, as `keys()` and `values()` return it. */
interface LevelIterator {
  close(): Promise<void>;
  return?: () => Promise<void>;
}

/** The part of the Level instance dynalite creates that this changes. */
export interface DynaliteLevel {
  _open(options: object): Promise<void>;
  keys(options?: object): LevelIterator;
  values(options?: object): LevelIterator;
}

interface DynaliteDbModule {
  create(options: object): { db: DynaliteLevel };
}

const require = createRequire(import.meta.url);
const patched = new WeakSet();

/**
 * Applies both fixes to every dynalite store created from now on in this process. (A dynalite
 * server closed and listening again recreates its store inside dynalite, unfixed; the local
 * cloud never does that: it starts a new dynalite at each start.)
 */
export function fixDynaliteLevelDb(): void {
  // The module dynalite's own `require('./db')` returns: its `create` is looked up at each call.
  const db = require('dynalite/db/index.js') as DynaliteDbModule;
  if (patched.has(db)) return;
  patched.add(db);
  const create = db.create.bind(db);
  db.create = (options) => {
    const store = create(options);
    // The store opens on the next tick (abstract-level's deferred open): still to come here.
    openWith(store.db, LEVELDB_OPTIONS);
    closeIteratorsOnReturn(store.db);
    return store;
  };
}

/** Adds `extra` to the options of the store's next open (an in-memory store ignores them). */
export function openWith(level: Pick<DynaliteLevel, '_open'>, extra: object): void {
  const open = level._open.bind(level);
  level._open = (options) => open({ ...options, ...extra });
}

/** Gives the iterators of `keys()` and `values()` the `return()` dynalite's streams call when they end. */
export function closeIteratorsOnReturn(level: Pick<DynaliteLevel, 'keys' | 'values'>): void {
  for (const method of ['keys', 'values'] as const) {
    const make = level[method].bind(level);
    level[method] = (options) => {
      const iterator = make(options);
      iterator.return ??= () => iterator.close();
      return iterator;
    };
  }
}
