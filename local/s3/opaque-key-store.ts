/**
 * s3rver's file store with object keys kept opaque. s3rver turns a key into a file path
 * (`a/b` becomes the folder `a` and a file named after `b`), so a key holding `../` named a
 * file outside its bucket, and a key with a segment over 255 bytes could not be stored at all.
 * Here each key is stored under the SHA-256 of its UTF-8 bytes, inside its bucket's folder:
 * no key can name another key's files or anything outside the bucket, and `a`, `a/`, `a//b`,
 * NFC and NFD spellings stay distinct objects, as on S3. Which keys exist, in order, comes from
 * the archive index (the file names no longer say), so listings are driven by it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';
import S3ErrorModule from 's3rver/lib/models/error.js';
import S3ObjectModule from 's3rver/lib/models/object.js';
import type { ArchiveIndex } from './archive-index.js';
import { concatenateSparse, multipartETag, writeSparse } from './sparse-file.js';

interface StoredObject {
  key: string;
  size: number;
  lastModifiedDate: Date;
  metadata: Record<string, string>;
}
const S3Object = S3ObjectModule as unknown as new (bucket: string, key: string, content: null, metadata: Record<string, string>) => StoredObject;
const S3Error = S3ErrorModule as new (code: string, message: string, detail?: Record<string, unknown>) => Error & { status: number };

/** Written once a data folder's objects are stored by key hash. */
export const LAYOUT_MARKER = '.object-layout-sha256';
const OBJECTS_FOLDER = 'objects';
/** Files s3rver keeps per object (the `.xml` ones are object ACL and tagging). */
const OBJECT_FILES = ['object', 'object.md5', 'metadata.json', 'acl.xml', 'tagging.xml'];

/** S3's bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html); none of these names is `.` or `..`. */
export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

export function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface ListOptions {
  prefix?: string;
  delimiter?: string;
  startAfter?: string;
  maxKeys?: number;
}

export class OpaqueKeyStore extends FilesystemStore {
  constructor(
    rootDirectory: string,
    private readonly index: ArchiveIndex,
    /** Called for each object s3rver deletes (DeleteObject and DeleteObjects alike). */
    private readonly onDeleted: (bucket: string, key: string) => void,
  ) {
    super(rootDirectory);
  }

  override getBucketPath(bucket: string): string {
    if (!isValidBucketName(bucket)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket });
    return join(this.rootDirectory, bucket);
  }

  /** Bucket-level resources (`key` empty) keep s3rver's names; an object's live in the folder of its key hash. */
  override getResourcePath(bucket: string, key = '', resource: string): string {
    if (key === '') return join(this.getBucketPath(bucket), `._S3rver_${resource}`);
    return join(this.objectFolder(bucket, key), resource);
  }

  override async listBuckets(): Promise<unknown[]> {
    const names = readdirSync(this.rootDirectory).filter(isValidBucketName);
    return (await Promise.all(names.map((name) => this.getBucket(name)))).filter(Boolean);
  }

  /** The index's keys in order, with S3's prefix, delimiter and start-after semantics. */
  override async listObjects(bucket: string, options: ListOptions): Promise<{ objects: StoredObject[]; commonPrefixes: string[]; isTruncated: boolean }> {
    const { prefix = '', delimiter = '', startAfter = '', maxKeys = Infinity } = options;
    const keys = this.index.keys(bucket);
    const listed: string[] = [];
    const commonPrefixes: string[] = [];
    let isTruncated = false;
    let i = startAfter >= prefix ? firstAbove(keys, startAfter, 'after') : firstAbove(keys, prefix, 'from');
    while (i < keys.length) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const common = at === -1 ? undefined : key.slice(0, at + delimiter.length);
      if (common !== undefined && common <= startAfter) {
        i = skipPrefix(keys, common, i);
        continue;
      }
      if (listed.length + commonPrefixes.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      if (common === undefined) {
        listed.push(key);
        i++;
      } else {
        commonPrefixes.push(common);
        i = skipPrefix(keys, common, i);
      }
    }
    const objects = await Promise.all(
      listed.map(async (key) => {
        try {
          return new S3Object(bucket, key, null, await this.getMetadata(bucket, key));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw err;
        }
      }),
    );
    return { objects: objects.filter((o) => o !== undefined), commonPrefixes, isTruncated };
  }

  /** Removes the current version's files; older versions stay in the object's folder. */
  override async deleteObject(bucket: string, key: string): Promise<void> {
    await this.removeCurrentFiles(bucket, key);
    this.onDeleted(bucket, key);
  }

  /** The same store, reading and writing one older version's files instead of the current ones. */
  versionView(versionId: string): this {
    const view = Object.create(this) as this;
    // eslint-disable-next-line @typescript-eslint/no-useless-default-assignment -- s3rver's own signature: its JavaScript callers may pass no key
    view.getResourcePath = (bucket: string, key = '', resource: string) => (key === '' ? this.getResourcePath(bucket, key, resource) : join(this.versionFolder(bucket, key, versionId), resource));
    return view;
  }

  /** Keeps a copy of the current files as `versionId` (before a PUT overwrites them). */
  async copyToVersion(bucket: string, key: string, versionId: string): Promise<void> {
    await mkdir(this.versionFolder(bucket, key, versionId), { recursive: true });
    for (const file of OBJECT_FILES) await copyFile(this.getResourcePath(bucket, key, file), join(this.versionFolder(bucket, key, versionId), file)).catch(ignoreMissing);
  }

  /** Moves the current files to `versionId` (a delete marker now hides them). */
  async moveToVersion(bucket: string, key: string, versionId: string): Promise<void> {
    await mkdir(this.versionFolder(bucket, key, versionId), { recursive: true });
    for (const file of OBJECT_FILES) await rename(this.getResourcePath(bucket, key, file), join(this.versionFolder(bucket, key, versionId), file)).catch(ignoreMissing);
  }

  /** Makes `versionId` the current files again (the newer versions were deleted). */
  async promoteVersion(bucket: string, key: string, versionId: string): Promise<void> {
    await this.removeCurrentFiles(bucket, key);
    for (const file of OBJECT_FILES) await rename(join(this.versionFolder(bucket, key, versionId), file), this.getResourcePath(bucket, key, file)).catch(ignoreMissing);
    await rm(this.versionFolder(bucket, key, versionId), { recursive: true, force: true });
  }

  async deleteVersion(bucket: string, key: string, versionId: string): Promise<void> {
    await rm(this.versionFolder(bucket, key, versionId), { recursive: true, force: true });
  }

  private async removeCurrentFiles(bucket: string, key: string): Promise<void> {
    const folder = this.objectFolder(bucket, key);
    await Promise.all(OBJECT_FILES.map((file) => rm(join(folder, file), { force: true })));
    await rmdir(folder).catch(() => undefined); // still holds older versions, or already gone
  }

  private versionFolder(bucket: string, key: string, versionId: string): string {
    // Version ids come from the index, never from a request, but stay file-name safe regardless.
    return join(this.objectFolder(bucket, key), 'versions', keyHash(versionId));
  }

  override async putPart(bucket: string, uploadId: string, partNumber: string, content: unknown): Promise<{ size: number; md5: string }> {
    checkUploadId(uploadId);
    // s3rver hands over the raw query value, which need not be a string.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
    const given = String(partNumber);
    if (!/^\d{1,5}$/.test(given) || Number(partNumber) < 1 || Number(partNumber) > 10_000) {
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: given });
    }
    const folder = this.uploadFolder(bucket, uploadId);
    // A part of an upload that was never created, or was completed or aborted, would otherwise start a new one.
    if (!existsSync(join(folder, 'key'))) throw noSuchUpload(uploadId);
    const partPath = join(folder, String(Number(given)));
    // Zero runs become holes: a part copied from a sparse object stays sparse (sparse-file.ts).
    const { size, md5 } = await writeSparse(partPath, content as AsyncIterable<Buffer>);
    await writeFile(`${partPath}.md5`, md5);
    return { size, md5 };
  }

  /**
   * CompleteMultipartUpload: the parts named in ascending order (else InvalidPartOrder), each
   * with the ETag its upload answered (else InvalidPart), each but the last at least 5 MiB
   * (else EntityTooSmall), assembled sparse into the object, whose ETag is S3's multipart one
   * (`<md5 of the part md5s>-<part count>`), not the MD5 of its bytes. A refused completion
   * leaves the upload and its parts as they were.
   */
  override async putObjectMultipart(bucket: string, uploadId: string, parts: unknown[]): Promise<{ size: number; md5: string }> {
    checkUploadId(uploadId);
    const folder = this.uploadFolder(bucket, uploadId);
    if (!existsSync(join(folder, 'key'))) throw noSuchUpload(uploadId);
    const [key, metadata] = await Promise.all([readFile(join(folder, 'key'), 'utf8'), readFile(join(folder, 'metadata'), 'utf8').then((text) => JSON.parse(text) as Record<string, string>)]);
    const named = parts as { number: number; etag: string }[];
    if (named.some((part, i) => i > 0 && part.number <= named[i - 1]!.number)) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', { UploadId: uploadId });
    }
    const partMd5s: string[] = [];
    for (const [i, part] of named.entries()) {
      const md5 = await readFile(join(folder, `${part.number}.md5`), 'utf8').catch(() => undefined);
      if (md5 === undefined || md5 !== part.etag) {
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          {
            UploadId: uploadId,
            PartNumber: part.number,
            ETag: part.etag,
          },
        );
      }
      const size = statSync(join(folder, String(part.number))).size;
      if (i < named.length - 1 && size < MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          ProposedSize: size,
          MinSizeAllowed: MIN_PART_BYTES,
          PartNumber: part.number,
          ETag: part.etag,
        });
      }
      partMd5s.push(md5);
    }
    const objectPath = this.getResourcePath(bucket, key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const size = await concatenateSparse(
      objectPath,
      named.map((part) => join(folder, String(part.number))),
    );
    const etag = multipartETag(partMd5s);
    await this.putMetadata(bucket, key, new S3Object(bucket, key, null, metadata).metadata, etag);
    await rm(folder, { recursive: true, force: true });
    return { size, md5: etag };
  }

  /** The key an open upload was created for; undefined when the upload is not open. */
  async uploadKey(bucket: string, uploadId: string): Promise<string | undefined> {
    checkUploadId(uploadId);
    return readFile(join(this.uploadFolder(bucket, uploadId), 'key'), 'utf8').catch(() => undefined);
  }

  /** Adds metadata to an open upload's (what its completion stores with the object). */
  async addUploadMetadata(bucket: string, uploadId: string, added: Record<string, string>): Promise<void> {
    const file = join(this.uploadFolder(bucket, uploadId), 'metadata');
    const metadata = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    await writeFile(file, JSON.stringify({ ...metadata, ...added }));
  }

  /** AbortMultipartUpload: the upload and its parts are gone; NoSuchUpload when there is none (never created, completed or aborted). */
  async abortUpload(bucket: string, uploadId: string): Promise<void> {
    checkUploadId(uploadId);
    const folder = this.uploadFolder(bucket, uploadId);
    if (!existsSync(join(folder, 'key'))) throw noSuchUpload(uploadId);
    await rm(folder, { recursive: true, force: true });
  }

  private uploadFolder(bucket: string, uploadId: string): string {
    return join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  }

  /**
   * Moves the objects of a data folder written by s3rver's own layout (a file per key path)
   * to this one, and makes sure the index lists each of them. Keys whose old path lay outside
   * their bucket folder are left where they are and reported.
   */
  async migrateLegacyLayout(log: (message: string) => void): Promise<void> {
    const marker = join(this.rootDirectory, LAYOUT_MARKER);
    if (existsSync(marker)) return;
    const legacy = new FilesystemStore(this.rootDirectory);
    for (const bucket of readdirSync(this.rootDirectory).filter(isValidBucketName)) {
      const bucketPath = this.getBucketPath(bucket);
      if (!statSync(bucketPath).isDirectory()) continue;
      const { objects } = await legacy.listObjects(bucket, {});
      for (const { key, metadata } of objects) {
        const from = (resource: string) => legacy.getResourcePath(bucket, key, resource);
        if (relative(bucketPath, from('object')).split(sep).includes('..')) {
          log(`local S3: not migrating ${bucket}/${key}: its old file lies outside the bucket folder`);
          continue;
        }
        await mkdir(this.objectFolder(bucket, key), { recursive: true });
        for (const file of OBJECT_FILES) await rename(from(file), this.getResourcePath(bucket, key, file)).catch(ignoreMissing);
        if (!this.index.get(bucket, key)) this.index.set(bucket, key, { storageClass: metadata['x-amz-storage-class'] ?? 'STANDARD' });
      }
      for (const entry of readdirSync(bucketPath)) if (entry !== OBJECTS_FOLDER) removeEmptyFolders(join(bucketPath, entry));
      if (objects.length) log(`local S3: moved ${objects.length} object(s) of bucket ${bucket} to key-hash storage`);
    }
    this.index.flush();
    writeFileSync(marker, 'Objects are stored under the SHA-256 of their key (local/s3/opaque-key-store.ts).\n');
  }

  private objectFolder(bucket: string, key: string): string {
    const hash = keyHash(key);
    return join(this.getBucketPath(bucket), OBJECTS_FOLDER, hash.slice(0, 2), hash);
  }
}

/** The smallest part but the last of a multipart upload (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 ** 2;

/** s3rver makes upload ids of 32 hex digits; anything else would be joined into a file path. */
function checkUploadId(uploadId: string): void {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- not a string when s3rver passed none
  if (typeof uploadId !== 'string' || !/^[0-9a-f]{32}$/.test(uploadId)) throw noSuchUpload(String(uploadId));
}

export function noSuchUpload(uploadId: string): Error {
  return new S3Error('NoSuchUpload', 'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.', {
    UploadId: uploadId,
  });
}

/** Index of the first key >= `bound` ('from') or > `bound` ('after') in sorted `keys`. */
function firstAbove(keys: readonly string[], bound: string, mode: 'from' | 'after'): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const below = mode === 'from' ? keys[mid]! < bound : keys[mid]! <= bound;
    if (below) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first key at or after `from` that does not start with `prefix`. */
function skipPrefix(keys: readonly string[], prefix: string, from: number): number {
  let lo = from;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]!.startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function removeEmptyFolders(path: string): void {
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) removeEmptyFolders(join(path, entry));
  if (readdirSync(path).length === 0) rmdirSync(path);
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
