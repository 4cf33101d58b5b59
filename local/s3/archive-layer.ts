/**
 * Archive semantics on top of s3rver's plain object protocol, as a Koa middleware placed
 * before s3rver's router: GetObject on an archived object answers 403 InvalidObjectState,
 * RestoreObject starts a restore that completes after the tier's (simulated) duration and
 * later expires, HeadObject carries `x-amz-restore` and `x-amz-archive-status`, and
 * listings (list-objects.ts) report real storage classes and, when asked, RestoreStatus.
 * Each version of an object has its own archive state (versions.ts); keys reach s3rver's
 * store only as opaque strings (opaque-key-store.ts).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SimulatedClock } from '../clock.js';
import { isValidBucketName, noSuchUpload, type OpaqueKeyStore } from './opaque-key-store.js';
import { BucketVersions, versionOf } from './versions.js';
import { checkCopyConditions, checkCopySize, copySourceRange, copyTags, prepareCopyHeaders, putTags, type TaggingStore } from './copy-object.js';
import { ARCHIVE_CLASSES, isArchived, isReadable, restoreHeader, type ArchiveEntry, type ArchiveIndex, type ArchiveStatus } from './archive-index.js';

// s3rver's own error type renders the S3 XML error document with the right status.
import S3ErrorModule from 's3rver/lib/models/error.js';
import { setLongTimeout, type LongTimer } from '../long-timer.js';

const S3Error = S3ErrorModule as new (code: string, message: string, detail?: Record<string, unknown>) => Error & { status: number };

/** Local extension: the Intelligent-Tiering archive tier an object is put into (S3 moves objects there itself). */
export const ARCHIVE_STATUS_HEADER = 'x-autorestore-archive-status';

const HOUR = 3_600_000;
/** Simulated restore durations, within the documented ranges. */
const RESTORE_DURATION: Record<'flexible' | 'deep', Record<string, number | undefined>> = {
  flexible: { Expedited: 3 * 60_000, Standard: 4 * HOUR, Bulk: 8 * HOUR },
  deep: { Standard: 12 * HOUR, Bulk: 48 * HOUR, Expedited: undefined },
};

const OBJECT_SUBRESOURCES = ['acl', 'tagging', 'torrent', 'legal-hold', 'retention', 'attributes', 'uploadId', 'uploads', 'restore', 'select'];

/** UploadPartCopy reads its range in chunks of this size (s3rver's own reads use 64 KiB: a 5 GiB part would take 80,000). */
const PART_COPY_CHUNK = 1024 * 1024;

export interface ReadRefused {
  bucket: string;
  key: string;
  versionId?: string;
  accessKeyId?: string;
  sourceIp: string;
  userAgent: string;
  requestId: string;
}

export interface ArchiveLayerOptions {
  index: ArchiveIndex;
  clock: SimulatedClock;
  store: OpaqueKeyStore;
  onReadRefused(read: ReadRefused): void;
  onRestoreCompleted(bucket: string, key: string, entry: ArchiveEntry): void;
  onRestoreExpired(bucket: string, key: string, entry: ArchiveEntry): void;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  ip: string;
  get(name: string): string;
  set(name: string, value: string): void;
  req: { on(event: string, cb: (chunk?: Buffer) => void): void };
  state: Record<string, unknown>;
  /** s3rver's controllers read objects through `ctx.store`; a request for an older version gets that version's view. */
  store?: unknown;
}

export class ArchiveLayer {
  private readonly timers = new Map<string, LongTimer>();
  /** S3 API calls by operation, for tests and benchmarks. */
  readonly calls = new Map<string, number>();

  private readonly versions: BucketVersions;
  /** The tags each multipart upload was created with, until it completes (kept in memory only). */
  private readonly uploadTags = new Map<string, string>();

  constructor(private readonly options: ArchiveLayerOptions) {
    this.versions = new BucketVersions(options.index, options.store);
  }

  /** Restarts the timers of restores that were pending when the local cloud stopped. */
  resumeTimers(): void {
    for (const [bucket, key, entry] of this.options.index.withPendingRestore()) this.schedule(bucket, key, entry);
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.clear();
    this.timers.clear();
    this.options.index.flush();
  }

  middleware() {
    return async (ctx: KoaContext, next: () => Promise<void>) => {
      checkPresignedCredential(ctx.query);
      const { bucket, key } = splitPath(ctx.path);
      if (!bucket) return next();
      // A name like `..` would otherwise be joined into a file path by s3rver.
      if (!isValidBucketName(bucket)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket });
      if (!key) return this.bucketRequest(ctx, bucket, next);
      // s3rver's router reads the key from the path and loses slash runs (`a//b`) on the way;
      // one encoded segment carries any key through it unchanged.
      ctx.path = `/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
      const has = (q: string) => q in ctx.query;
      const isObjectRead = !OBJECT_SUBRESOURCES.some(has);
      this.count(objectOperation(ctx.method, has, isObjectRead, Boolean(ctx.get('x-amz-copy-source'))));
      const versionId = typeof ctx.query.versionId === 'string' ? ctx.query.versionId : undefined;
      switch (ctx.method) {
        case 'GET':
        case 'HEAD': {
          if (!isObjectRead) return next();
          // A delete marker read answers 404 (or 405 by version id) naming the marker, as S3 does.
          const version = this.versions.resolve(bucket, key, versionId, (markerId) => {
            ctx.set('x-amz-delete-marker', 'true');
            ctx.set('x-amz-version-id', markerId);
          });
          if (version.store) ctx.store = version.store;
          if (ctx.method === 'GET') await this.refuseIfArchived(ctx, bucket, key, version.entry, version.store ?? this.options.store);
          await next();
          if (ctx.status !== 200 && ctx.status !== 206) return;
          if (version.versionId) ctx.set('x-amz-version-id', version.versionId);
          if (ctx.method === 'HEAD') this.addArchiveHeaders(ctx, version.entry);
          return;
        }
        case 'POST': {
          if (has('restore')) return this.restore(ctx, bucket, key, versionId);
          if (has('uploads')) {
            checkKeyLength(key);
            // S3 takes a website redirect on CreateMultipartUpload; s3rver refuses it on any POST, so it bypasses s3rver.
            const redirect = takeWebsiteRedirect(ctx.headers);
            await next();
            this.rememberUploadTags(ctx);
            const uploadId = uploadIdOf(ctx);
            if (redirect !== undefined && uploadId) await this.options.store.addUploadMetadata(bucket, uploadId, { [WEBSITE_REDIRECT]: redirect });
            return;
          }
          if (!has('uploadId')) return next();
          await this.requireUploadOf(ctx, bucket, key);
          const replaced = await this.versions.beforeReplace(bucket, key);
          await next();
          const { versionId: created, olderEntry } = await replaced(ctx.status === 200);
          if (ctx.status === 200) {
            await this.recordPut(ctx, bucket, key, undefined, created, olderEntry);
            await this.applyUploadTags(ctx, bucket, key);
          }
          return;
        }
        case 'PUT': {
          const copySource = ctx.get('x-amz-copy-source');
          if (has('partNumber')) {
            await this.requireUploadOf(ctx, bucket, key);
            return copySource ? this.uploadPartCopy(ctx, bucket, copySource) : next();
          }
          if (!isObjectRead) return next();
          checkKeyLength(key);
          const source = copySource ? await this.checkCopySource(ctx, copySource, { bucket, key }) : undefined;
          const archiveStatus = this.archiveStatusOf(ctx);
          const replaced = await this.versions.beforeReplace(bucket, key);
          await next();
          const { versionId: created, olderEntry } = await replaced(ctx.status === 200);
          if (ctx.status === 200) {
            await this.recordPut(ctx, bucket, key, archiveStatus, created, olderEntry);
            if (source) await copyTags(this.tagging(), ctx.headers, source, { bucket, key });
            else if (ctx.get('x-amz-tagging')) await putTags(this.tagging(), { bucket, key }, ctx.get('x-amz-tagging'));
          }
          return;
        }
        case 'DELETE': {
          if (has('uploadId')) {
            await this.requireUploadOf(ctx, bucket, key);
            return this.abortUpload(ctx, bucket);
          }
          if (!isObjectRead) return next();
          if (versionId !== undefined) {
            await this.requireBucket(bucket);
            if (await this.versions.deleteVersion(bucket, key, versionId, (entry) => this.cancel(bucket, key, entry))) ctx.set('x-amz-delete-marker', 'true');
            this.options.index.flush();
            ctx.set('x-amz-version-id', versionId);
            ctx.status = 204;
            ctx.body = '';
            return;
          }
          if (!this.versions.status(bucket)) return next();
          await this.requireBucket(bucket);
          const markerId = await this.versions.deleteWithMarker(bucket, key, () => this.options.index.delete(bucket, key));
          this.options.index.flush();
          ctx.set('x-amz-delete-marker', 'true');
          ctx.set('x-amz-version-id', markerId);
          ctx.status = 204;
          ctx.body = '';
          return;
        }
        default:
          return next();
      }
    };
  }

  private count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  private async bucketRequest(ctx: KoaContext, bucket: string, next: () => Promise<void>): Promise<void> {
    if ('versioning' in ctx.query && (ctx.method === 'GET' || ctx.method === 'PUT')) {
      this.count(`${ctx.method === 'GET' ? 'Get' : 'Put'}BucketVersioning`);
      if (ctx.method === 'PUT') {
        await this.versions.putVersioning(bucket, await readRequest(ctx));
        ctx.status = 200;
        ctx.body = '';
        this.options.index.flush();
      } else {
        ctx.body = await this.versions.getVersioning(bucket);
      }
      return;
    }
    if ('delete' in ctx.query && ctx.method === 'POST' && this.versions.status(bucket)) {
      this.count('DeleteObjects');
      ctx.body = await this.versions.deleteMany(
        bucket,
        await readRequest(ctx),
        (key) => this.options.index.delete(bucket, key),
        (key, entry) => this.cancel(bucket, key, entry),
      );
      this.options.index.flush();
      return;
    }
    if ('versions' in ctx.query && ctx.method === 'GET') {
      this.count('ListObjectVersions');
      ctx.body = await this.versions.list(bucket, ctx.query);
      return;
    }
    if (ctx.method === 'DELETE' && Object.keys(ctx.query).length === 0 && this.options.index.keysWithOlderVersions(bucket).length > 0) {
      // s3rver sees current objects only; older versions and delete markers keep a bucket too.
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty. You must delete all versions in the bucket.', { BucketName: bucket });
    }
    if (
      ctx.method === 'GET' &&
      Object.keys(ctx.query).every((q) => ['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'fetch-owner', 'marker'].includes(q))
    ) {
      this.count(ctx.query['list-type'] === '2' ? 'ListObjectsV2' : 'ListObjects');
    }
    await next();
    if (ctx.method === 'DELETE' && ctx.status === 204 && Object.keys(ctx.query).length === 0) this.options.index.deleteBucket(bucket);
  }

  private async refuseIfArchived(ctx: KoaContext, bucket: string, key: string, entry: ArchiveEntry | undefined, store: ArchiveLayerOptions['store']): Promise<void> {
    if (!entry || isReadable(entry, Date.now())) return;
    if (!(await store.existsObject(bucket, key))) {
      if (store === this.options.store) this.forget(bucket, key);
      return;
    }
    const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
    const versionId = typeof ctx.query.versionId === 'string' ? ctx.query.versionId : undefined;
    this.options.onReadRefused({
      bucket,
      key,
      ...(versionId ? { versionId } : {}),
      accessKeyId: ctx.state.accessKeyId as string | undefined,
      sourceIp: ctx.ip || '127.0.0.1',
      userAgent: ctx.get('user-agent'),
      requestId,
    });
    throw new S3Error('InvalidObjectState', "The operation is not valid for the object's storage class", {
      StorageClass: entry.storageClass,
      ...(entry.archiveStatus ? { AccessTier: entry.archiveStatus } : {}),
      RequestId: requestId,
    });
  }

  /**
   * CopyObject's source: refused when archived and not restored (or an older version, which
   * s3rver cannot copy), and handed on in the one spelling s3rver reads back unchanged: it
   * splits the header after `decodeURI`, which leaves `%3F`, `%23` and the like encoded, so
   * `a?b` became `a%3Fb`. The request's headers are settled to what S3 stores (copy-object.ts).
   */
  private async checkCopySource(ctx: KoaContext, copySource: string, dest: { bucket: string; key: string }): Promise<{ bucket: string; key: string } | undefined> {
    const source = this.readableCopySource(copySource);
    if (!source) return undefined;
    try {
      ctx.headers['x-amz-copy-source'] = `${source.bucket}/${encodeURI(source.key)}`;
    } catch {
      throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: copySource });
    }
    // A missing source is s3rver's to answer (NoSuchBucket, NoSuchKey).
    if (!(await this.options.store.existsObject(source.bucket, source.key))) return source;
    const sourceMetadata = await this.options.store.getMetadata(source.bucket, source.key);
    checkCopyConditions(ctx.headers, conditionSubject(sourceMetadata));
    checkCopySize(Number(sourceMetadata['content-length']));
    prepareCopyHeaders(ctx.headers, sourceMetadata, source.bucket === dest.bucket && source.key === dest.key);
    return source;
  }

  /** The bucket and key of a copy source that may be read now; InvalidObjectState while it is archived and not restored. */
  private readableCopySource(copySource: string): { bucket: string; key: string } | undefined {
    const [path, query] = copySource.split('?');
    const { bucket, key } = splitPath(`/${path!.replace(/^\//, '')}`);
    if (!bucket || !key) return undefined;
    const entry = this.options.index.get(bucket, key);
    const sourceVersion = new URLSearchParams(query ?? '').get('versionId');
    if (sourceVersion !== null && sourceVersion !== versionOf(entry))
      throw new S3Error('NotImplemented', 'Copying an older version is not implemented by the local S3', { Header: 'x-amz-copy-source' });
    if (entry && !isReadable(entry, Date.now())) throw new S3Error('InvalidObjectState', 'The source object of the COPY action is not in the active tier and is only stored in Amazon S3 Glacier.');
    return { bucket, key };
  }

  /** UploadPartCopy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html (the range streams from file to file). */
  private async uploadPartCopy(ctx: KoaContext, bucket: string, copySource: string): Promise<void> {
    const source = this.readableCopySource(copySource);
    if (!source) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: copySource });
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : '';
    const partNumber = typeof ctx.query.partNumber === 'string' ? ctx.query.partNumber : '';
    if (!(await this.options.store.existsObject(source.bucket, source.key))) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: source.key });
    const metadata = await this.options.store.getMetadata(source.bucket, source.key);
    checkCopyConditions(ctx.headers, conditionSubject(metadata));
    const range = copySourceRange(ctx.get('x-amz-copy-source-range') || undefined, Number(metadata['content-length']));
    checkCopySize(range.end - range.start + 1);
    const content = createReadStream(this.options.store.getResourcePath(source.bucket, source.key, 'object'), { ...range, highWaterMark: PART_COPY_CHUNK });
    const { md5 } = await this.options.store.putPart(bucket, uploadId, partNumber, content);
    ctx.body = { CopyPartResult: { LastModified: new Date().toISOString(), ETag: JSON.stringify(md5) } };
  }

  /** An upload id names an upload of one key: with another key in the path it names none (s3rver would use the upload's key). */
  private async requireUploadOf(ctx: KoaContext, bucket: string, key: string): Promise<void> {
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : '';
    if ((await this.options.store.uploadKey(bucket, uploadId)) !== key) throw noSuchUpload(uploadId);
  }

  /** AbortMultipartUpload (s3rver has none): 204, the parts are gone; 404 NoSuchUpload for an upload that is not open. */
  private async abortUpload(ctx: KoaContext, bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : '';
    await this.options.store.abortUpload(bucket, uploadId);
    this.uploadTags.delete(uploadId);
    ctx.status = 204;
    ctx.body = '';
  }

  private tagging(): TaggingStore {
    return this.options.store as unknown as TaggingStore;
  }

  /** CreateMultipartUpload's `x-amz-tagging` applies to the object its completion makes. */
  private rememberUploadTags(ctx: KoaContext): void {
    const uploadId = uploadIdOf(ctx);
    const tags = ctx.get('x-amz-tagging');
    if (uploadId && tags) this.uploadTags.set(uploadId, tags);
  }

  private async applyUploadTags(ctx: KoaContext, bucket: string, key: string): Promise<void> {
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : '';
    const tags = this.uploadTags.get(uploadId);
    if (tags === undefined) return;
    this.uploadTags.delete(uploadId);
    await putTags(this.tagging(), { bucket, key }, tags);
  }

  private addArchiveHeaders(ctx: KoaContext, entry: ArchiveEntry | undefined): void {
    if (!entry) return;
    if (entry.storageClass !== 'STANDARD') ctx.set('x-amz-storage-class', entry.storageClass);
    const header = restoreHeader(entry);
    if (header) ctx.set('x-amz-restore', header);
    if (entry.archiveStatus) ctx.set('x-amz-archive-status', entry.archiveStatus);
  }

  private archiveStatusOf(ctx: KoaContext): ArchiveStatus | undefined {
    const value = ctx.get(ARCHIVE_STATUS_HEADER);
    if (!value) return undefined;
    if (value !== 'ARCHIVE_ACCESS' && value !== 'DEEP_ARCHIVE_ACCESS')
      throw new S3Error('InvalidArgument', `${ARCHIVE_STATUS_HEADER} must be ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS`, { ArgumentName: ARCHIVE_STATUS_HEADER, ArgumentValue: value });
    if ((ctx.get('x-amz-storage-class') || 'STANDARD') !== 'INTELLIGENT_TIERING')
      throw new S3Error('InvalidArgument', `${ARCHIVE_STATUS_HEADER} applies to INTELLIGENT_TIERING objects only`, { ArgumentName: ARCHIVE_STATUS_HEADER, ArgumentValue: value });
    return value;
  }

  /** After a PUT (or a completed upload): the new current version, and the one it made older. */
  private async recordPut(ctx: KoaContext, bucket: string, key: string, archiveStatus: ArchiveStatus | undefined, versionId: string | undefined, olderEntry: ArchiveEntry | undefined): Promise<void> {
    if (olderEntry)
      this.schedule(bucket, key, olderEntry); // its timer id is its own version's
    else this.cancel(bucket, key, this.options.index.get(bucket, key));
    const metadata = await this.options.store.getMetadata(bucket, key);
    const storageClass = metadata['x-amz-storage-class'] ?? 'STANDARD';
    this.options.index.set(bucket, key, { ...(versionId ? { versionId } : {}), storageClass, ...(archiveStatus ? { archiveStatus } : {}) });
    // Answered 200, the object's storage class must outlive a crash (else it would come back readable).
    this.options.index.flush();
    if (this.versions.status(bucket)) ctx.set('x-amz-version-id', versionId ?? 'null');
  }

  /** The object is gone (the store calls this for DeleteObject and DeleteObjects). */
  forget(bucket: string, key: string): void {
    this.cancel(bucket, key, this.options.index.get(bucket, key));
    this.options.index.delete(bucket, key);
  }

  /** RestoreObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html */
  private async restore(ctx: KoaContext, bucket: string, key: string, versionId: string | undefined): Promise<void> {
    const body = await readRequest(ctx);
    const version = this.versions.resolve(bucket, key, versionId);
    if (!(await (version.store ?? this.options.store).existsObject(bucket, key))) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    const entry = version.entry ?? { storageClass: 'STANDARD' };
    if (!isArchived(entry) && !entry.restore) throw new S3Error('InvalidObjectState', "Restore is not allowed for the object's current storage class");
    const days = /<Days>\s*([^<]*?)\s*<\/Days>/.exec(body)?.[1];
    const tier = /<Tier>\s*([^<]*?)\s*<\/Tier>/.exec(body)?.[1] ?? 'Standard';
    if (body.trim() && !/<RestoreRequest[\s>][\s\S]*<\/RestoreRequest>\s*$/.test(body.trim()))
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    if (/<Type>/.test(body)) throw new S3Error('NotImplemented', 'A parameter you provided implies functionality that is not implemented', { Parameter: 'Type' });
    if (!['Standard', 'Bulk', 'Expedited'].includes(tier)) throw new S3Error('MalformedXML', `Invalid tier: ${tier}`);
    const intelligentTiering = entry.storageClass === 'INTELLIGENT_TIERING';
    let dayCount: number | undefined;
    if (intelligentTiering) {
      if (days !== undefined) throw new S3Error('InvalidArgument', 'Days must not be specified for objects in the Intelligent-Tiering archive tiers', { ArgumentName: 'Days' });
    } else {
      dayCount = Number(days);
      if (days === undefined || !Number.isInteger(dayCount) || dayCount < 1)
        throw new S3Error('InvalidArgument', 'Days must be a positive integer for objects in S3 Glacier Flexible Retrieval and S3 Glacier Deep Archive', {
          ArgumentName: 'Days',
          ArgumentValue: days ?? '',
        });
    }
    const deep = entry.storageClass === 'DEEP_ARCHIVE' || entry.archiveStatus === 'DEEP_ARCHIVE_ACCESS';
    const duration = RESTORE_DURATION[deep ? 'deep' : 'flexible'][tier];
    if (duration === undefined) throw new S3Error('InvalidArgument', `${tier} retrieval is not supported for this storage class`, { ArgumentName: 'Tier', ArgumentValue: tier });

    const now = Date.now();
    if (entry.restore?.ongoing) throw new S3Error('RestoreAlreadyInProgress', 'Object restore is already in progress');
    if (entry.restore && !entry.restore.ongoing && dayCount !== undefined && isReadable(entry, now)) {
      // A restored copy exists: S3 resets its expiry (and bills again) and answers 200.
      entry.restore.expiresAt = now + this.options.clock.real(dayCount * 24 * HOUR);
      entry.restore.days = dayCount;
      this.options.index.save(bucket, key, entry);
      this.schedule(bucket, key, entry);
      this.options.index.flush();
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    entry.restore = { ongoing: true, tier, ...(dayCount ? { days: dayCount } : {}), requestedAt: now, completesAt: now + this.options.clock.real(duration) };
    this.options.index.save(bucket, key, entry);
    this.schedule(bucket, key, entry);
    // Answered 202, the restore must outlive a crash: the index reaches the disk first.
    this.options.index.flush();
    ctx.status = 202;
    ctx.body = '';
  }

  private schedule(bucket: string, key: string, entry: ArchiveEntry): void {
    this.cancel(bucket, key, entry);
    const restore = entry.restore;
    if (!restore) return;
    const id = timerId(bucket, key, entry);
    const at = restore.ongoing ? restore.completesAt : restore.expiresAt;
    if (at === undefined) return;
    // A copy kept for years on a slow simulated clock outlasts what a plain setTimeout can hold.
    const timer = setLongTimeout(
      () => {
        this.timers.delete(id);
        const current = this.options.index.version(bucket, key, versionOf(entry)).entry;
        if (current !== entry || !current.restore) return;
        if (current.restore.ongoing) this.complete(bucket, key, current);
        else this.expire(bucket, key, current);
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(id, timer);
  }

  private complete(bucket: string, key: string, entry: ArchiveEntry): void {
    const restore = entry.restore!;
    restore.ongoing = false;
    if (ARCHIVE_CLASSES.has(entry.storageClass)) {
      // S3 rounds the expiry up to the next midnight UTC; locally the simulated days suffice.
      restore.expiresAt = Date.now() + this.options.clock.real((restore.days ?? 1) * 24 * HOUR);
    } else {
      // Intelligent-Tiering: the object moves back to the Frequent Access tier.
      delete entry.archiveStatus;
    }
    this.options.index.save(bucket, key, entry);
    this.options.onRestoreCompleted(bucket, key, entry);
    this.schedule(bucket, key, entry);
  }

  private expire(bucket: string, key: string, entry: ArchiveEntry): void {
    delete entry.restore;
    this.options.index.save(bucket, key, entry);
    this.options.onRestoreExpired(bucket, key, entry);
  }

  private cancel(bucket: string, key: string, entry: ArchiveEntry | undefined): void {
    const id = timerId(bucket, key, entry);
    this.timers.get(id)?.clear();
    this.timers.delete(id);
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.options.store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  }
}

/** What the copy conditions are checked against: the source's ETag and Last-Modified as the store answers them. */
function conditionSubject(metadata: Record<string, string>): { etag: string; lastModified: Date } {
  return { etag: metadata.etag ?? '', lastModified: new Date(metadata['last-modified'] ?? 0) };
}

const WEBSITE_REDIRECT = 'x-amz-website-redirect-location';

/** Removes the request's website redirect (checked as S3 checks it: a path or an http(s) URL). */
function takeWebsiteRedirect(headers: KoaContext['headers']): string | undefined {
  const value = headers[WEBSITE_REDIRECT];
  if (value === undefined) return undefined;
  const redirect = Array.isArray(value) ? value[0]! : value;
  if (!/^(https?:\/)?\//.test(redirect)) throw new S3Error('InvalidArgument', "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.");
  headers[WEBSITE_REDIRECT] = undefined;
  return redirect;
}

/** The upload id a CreateMultipartUpload just answered. */
function uploadIdOf(ctx: KoaContext): string | undefined {
  return (ctx.body as { InitiateMultipartUploadResult?: { UploadId?: string } } | undefined)?.InitiateMultipartUploadResult?.UploadId;
}

/** One timer per version of an object. */
function timerId(bucket: string, key: string, entry: ArchiveEntry | undefined): string {
  return JSON.stringify([bucket, key, versionOf(entry)]);
}

function objectOperation(method: string, has: (q: string) => boolean, plain: boolean, copy: boolean): string {
  if (method === 'POST' && has('restore')) return 'RestoreObject';
  if (method === 'POST' && has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'PUT' && has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
  if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload';
  if (!plain) return `${method} ?${['acl', 'tagging', 'uploadId', 'attributes'].find(has) ?? 'subresource'}`;
  return { GET: 'GetObject', HEAD: 'HeadObject', PUT: copy ? 'CopyObject' : 'PutObject', DELETE: 'DeleteObject' }[method] ?? method;
}

/** Path-style addressing: /bucket/key (the key may contain slashes). */
export function splitPath(path: string): { bucket?: string; key?: string } {
  const match = /^\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (!match) return {};
  return { bucket: decodeUri(match[1]!), key: match[2] ? decodeUri(match[2]) : undefined };
}

function decodeUri(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", { URI: text });
  }
}

/** S3 keys are at most 1,024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). */
export const MAX_KEY_BYTES = 1024;

function checkKeyLength(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', 'Your key is too long', { Size: Buffer.byteLength(key, 'utf8'), MaxSizeAllowed: MAX_KEY_BYTES });
}

/**
 * A presigned URL's X-Amz-Credential must read `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`;
 * S3 answers anything else with 400 AuthorizationQueryParametersError.
 */
function checkPresignedCredential(query: Record<string, string | string[] | undefined>): void {
  if (!('X-Amz-Credential' in query)) return;
  const credential = query['X-Amz-Credential'];
  const parts = typeof credential === 'string' ? credential.split('/') : [];
  if (parts.length !== 5 || !parts[0] || !/^\d{8}$/.test(parts[1]!) || !parts[2] || !parts[3] || parts[4] !== 'aws4_request') {
    throw new S3Error('AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
}

/** A request's whole body as text (the small XML bodies of the bucket configuration calls). */
export function readRequest(ctx: Pick<KoaContext, 'req'>): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    ctx.req.on('data', (chunk) => chunks.push(chunk!));
    ctx.req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    ctx.req.on('error', reject as never);
  });
}
