/**
 * The local S3: s3rver with the archive layer, the opaque key store and the bucket
 * notifications in front of its router. Reads of archived objects that the trail records, and
 * restores that complete or expire in a bucket sending to EventBridge, go on the event bus.
 */
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';
import bucketController from 's3rver/lib/controllers/bucket.js';
import S3Object from 's3rver/lib/models/object.js';
import type { SimulatedClock } from '../clock.js';
import { refusedReadEvent, restoreLifecycleEvent } from '../cloudtrail.js';
import type { LocalTrail } from '../control-plane/cloudtrail.js';
import type { BusEvent, EventBus } from '../event-bus.js';
import { happens, type Faults } from '../faults.js';
import { sigV4Scope } from '../wire.js';
import { ArchiveIndex } from './archive-index.js';
import { ArchiveLayer } from './archive-layer.js';
import { keepEncryptionHeaders } from './copy-object.js';
import { BucketNotifications } from './bucket-notifications.js';
import { listObjectsController } from './list-objects.js';
import { OpaqueKeyStore } from './opaque-key-store.js';

export interface LocalS3Parts {
  /** Where s3rver keeps the objects. */
  directory: string;
  /** Where the archive index and the bucket notifications are kept. */
  dataDir: string;
  account: string;
  region: string;
  clock: SimulatedClock;
  faults: Faults;
  bus: EventBus;
  trail: LocalTrail;
  /** The buckets the deployment watches ('*' for all). */
  watched: string[];
  log: (message: string) => void;
}

export interface LocalS3 {
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  archive: ArchiveLayer;
  /** When each object's latest restore completed (real ms), whether or not its event reached the bus. */
  restoresCompletedAt: ReadonlyMap<string, number>;
}

export class UnexpectedS3rverChainError extends Error {
  override readonly name = 'UnexpectedS3rverChainError';
}

/** The key of `LocalS3.restoresCompletedAt`. */
export const restoredObjectKey = (bucket: string, key: string, versionId?: string) => JSON.stringify([bucket, key, versionId ?? null]);

export async function startLocalS3({ directory, dataDir, account, region, clock, faults, bus, trail, watched, log }: LocalS3Parts): Promise<LocalS3> {
  if (!S3Object.STORAGE_CLASSES.includes('GLACIER_IR')) S3Object.STORAGE_CLASSES.push('GLACIER_IR');
  keepEncryptionHeaders();
  const s3 = new S3rver({ directory, silent: true, allowMismatchedSignatures: true, vhostBuckets: false });
  // s3rver's request logger (first in its chain) formats a line for every request even when
  // silent: a few percent of the local cloud's time under load, for output nobody sees. Failures
  // are logged below. The positions used below count from the chain without it.
  if (s3.middleware[0]?.name !== 'logger') throw new UnexpectedS3rverChainError("s3rver's middleware chain is not the one this layer was written for (3.7: logger, XML body, mount, vhost, router)");
  s3.middleware.splice(0, 1);
  const index = new ArchiveIndex(join(dataDir, 's3-archive.jsonl'), join(dataDir, 's3-archive.json'));
  // Objects are stored under the hash of their key, so no key can name a file of its own choosing.
  const store = new OpaqueKeyStore(directory, index, (bucket, key) => archive.forget(bucket, key));
  await store.migrateLegacyLayout(log);
  Object.assign(s3, { store });
  Object.assign((s3 as unknown as { context: object }).context, { store });
  const publishS3Event = (event: BusEvent, dropShare: number) => {
    if (happens(dropShare)) return;
    for (let copy = 0; copy <= faults.duplicateS3Events; copy++) bus.publish(event);
  };
  const restoresCompletedAt = new Map<string, number>();
  const archive = new ArchiveLayer({
    index,
    clock,
    store,
    onReadRefused: (read) => trail.records(read.bucket, read.key) && publishS3Event(refusedReadEvent(bus, read, account, region), faults.dropReadEvents),
    onRestoreCompleted: (bucket, key, entry) => {
      restoresCompletedAt.set(restoredObjectKey(bucket, key, entry.versionId), Date.now());
      if (notifications.sendsToEventBridge(bucket)) publishS3Event(restoreLifecycleEvent(bus, 'Object Restore Completed', bucket, key, entry), faults.dropRestoreEvents);
    },
    onRestoreExpired: (bucket, key, entry) =>
      notifications.sendsToEventBridge(bucket) && publishS3Event(restoreLifecycleEvent(bus, 'Object Restore Expired', bucket, key, entry), faults.dropRestoreEvents),
  });
  s3.middleware.splice(1, 0, archive.middleware() as never);
  const watches = (bucket: string) => watched.includes('*') || watched.includes(bucket);
  const notifications = new BucketNotifications(join(dataDir, 's3-notifications.json'), watches, async (bucket) => Boolean(await s3.store.getBucket(bucket)));
  for (const bucket of await s3.store.listBuckets()) if (watches(bucket.name)) notifications.deploy(bucket.name);
  s3.middleware.splice(1, 0, notifications.middleware() as never);
  bucketController.getBucket = listObjectsController(index);
  s3.middleware.splice(1, 0, (async (ctx: { state: Record<string, unknown>; req: IncomingMessage }, next: () => Promise<void>) => {
    ctx.state.accessKeyId = sigV4Scope(ctx.req)?.accessKeyId;
    await next();
  }) as never);
  // Internal failures (not S3 errors) are logged before s3rver turns them into InternalError.
  s3.middleware.splice(0, 0, (async (ctx: { method: string; path: string }, next: () => Promise<void>) => {
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      if (status >= 500) log(`local S3: ${ctx.method} ${ctx.path} failed: ${(err as Error).stack ?? String(err)}`);
      throw err;
    }
  }) as never);
  // Composed only now: Koa fixes the middleware chain when the callback is made.
  const s3Listener = s3.callback();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const scope = sigV4Scope(req);
    // s3rver only knows its own keys; every local key is a valid one (signatures are not checked).
    if (scope) DUMMY_ACCOUNT.createKeyPair(scope.accessKeyId, 'local');
    s3Listener(req, res);
  };
  return { listener, archive, restoresCompletedAt };
}
