/**
 * S3 versioning for the local S3: PutBucketVersioning / GetBucketVersioning, a version id per
 * PUT on a versioned bucket, delete markers, GET / HEAD / DELETE / RestoreObject by version id
 * and ListObjectVersions. The current version's bytes stay where s3rver reads them; older
 * versions are kept beside them by the store, and the index says which versions exist
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html).
 */
import { randomBytes } from 'node:crypto';
import S3ErrorModule from 's3rver/lib/models/error.js';
import type { ArchiveEntry, ArchiveIndex, OlderVersion, VersioningStatus } from './archive-index.js';
import type { OpaqueKeyStore } from './opaque-key-store.js';

const S3Error = S3ErrorModule as new (code: string, message: string, detail?: Record<string, unknown>) => Error & { status: number };

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** The objects of a DeleteObjects request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
const malformed = () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');

export function parseDeleteRequest(body: string): { key: string; versionId?: string }[] {
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<Delete[\s>][\s\S]*<\/Delete>\s*$/.test(body)) throw malformed();
  const objects = [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map(([, inner]) => {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(inner!)?.[1];
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(inner!)?.[1];
    if (key === undefined) throw malformed();
    return { key: xmlText(key), ...(versionId !== undefined ? { versionId: xmlText(versionId) } : {}) };
  });
  if (objects.length === 0 || objects.length > 1000) throw malformed();
  return objects;
}

function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      if (!(code <= 0x10ffff)) throw malformed();
      return String.fromCodePoint(code);
    }
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[entity]!;
  });
}

/** S3 version ids are opaque URL-safe strings of 32 characters. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

export function versionOf(entry: ArchiveEntry | undefined): string {
  return entry?.versionId ?? 'null';
}

export class BucketVersions {
  constructor(
    private readonly index: ArchiveIndex,
    private readonly store: OpaqueKeyStore,
  ) {}

  status(bucket: string): VersioningStatus | undefined {
    return this.index.versioning(bucket);
  }

  /** PutBucketVersioning: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html */
  async putVersioning(bucket: string, body: string): Promise<void> {
    await this.requireBucket(bucket);
    const status = /<Status>\s*([^<]*?)\s*<\/Status>/.exec(body)?.[1];
    if (!/<VersioningConfiguration[\s>]/.test(body) || (status !== 'Enabled' && status !== 'Suspended')) {
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    }
    this.index.setVersioning(bucket, status);
  }

  /** GetBucketVersioning: no Status until versioning was once configured. */
  async getVersioning(bucket: string): Promise<unknown> {
    await this.requireBucket(bucket);
    const status = this.index.versioning(bucket);
    return { VersioningConfiguration: { '@': { xmlns: XMLNS }, ...(status ? { Status: status } : {}) } };
  }

  /**
   * Before a PUT replaces the current version: keeps a copy of its bytes when the bucket keeps
   * versions. Returns what to do once the PUT has answered (`ok`: it succeeded): the new
   * version id (undefined on a bucket never versioned) and the version that became older.
   */
  async beforeReplace(bucket: string, key: string): Promise<(ok: boolean) => Promise<{ versionId?: string; olderEntry?: ArchiveEntry }>> {
    const status = this.status(bucket);
    if (!status) return async () => ({});
    const current = this.index.get(bucket, key);
    const keep = current && (status === 'Enabled' || versionOf(current) !== 'null') && (await this.store.existsObject(bucket, key));
    const kept = keep ? await this.describe(bucket, key, current) : undefined;
    if (kept) await this.store.copyToVersion(bucket, key, kept.versionId);
    return async (ok) => {
      if (!ok) {
        if (kept) await this.store.deleteVersion(bucket, key, kept.versionId);
        return {};
      }
      const versionId = status === 'Enabled' ? newVersionId() : undefined;
      const older = await this.withoutNullVersion(bucket, key, status);
      this.index.setOlderVersions(bucket, key, kept ? [kept, ...older] : older);
      return { versionId, olderEntry: kept?.entry };
    };
  }

  /** DeleteObject without a version id on a versioned bucket: a delete marker becomes the current version. */
  async deleteWithMarker(bucket: string, key: string, forgetCurrent: () => void): Promise<string> {
    const status = this.status(bucket)!;
    const current = this.index.get(bucket, key);
    const older = await this.withoutNullVersion(bucket, key, status);
    if (current && (await this.store.existsObject(bucket, key))) {
      const currentId = versionOf(current);
      if (status === 'Suspended' && currentId === 'null') {
        await this.store.deleteObject(bucket, key);
      } else {
        const kept = await this.describe(bucket, key, current);
        await this.store.moveToVersion(bucket, key, currentId);
        forgetCurrent();
        older.unshift(kept);
      }
    }
    const markerId = status === 'Enabled' ? newVersionId() : 'null';
    this.index.setOlderVersions(bucket, key, [{ versionId: markerId, deleteMarker: true, lastModified: Date.now() }, ...older]);
    return markerId;
  }

  /**
   * DeleteObject with a version id: that version goes for good; when it was the current one,
   * the newest older version (unless a delete marker) becomes current. Returns whether the
   * version deleted was a delete marker.
   */
  async deleteVersion(bucket: string, key: string, versionId: string, cancelTimer: (entry: ArchiveEntry) => void): Promise<boolean> {
    const current = this.index.get(bucket, key);
    let deleteMarker = false;
    if (current && versionOf(current) === versionId) {
      await this.store.deleteObject(bucket, key); // the store's hook forgets the current entry
    } else {
      const older = this.index.olderVersions(bucket, key);
      const at = older.findIndex((v) => v.versionId === versionId);
      if (at === -1) return false;
      const [gone] = older.splice(at, 1);
      deleteMarker = Boolean(gone!.deleteMarker);
      if (gone!.entry) cancelTimer(gone!.entry);
      if (!gone!.deleteMarker) await this.store.deleteVersion(bucket, key, versionId);
      this.index.setOlderVersions(bucket, key, older);
    }
    await this.promoteNewest(bucket, key);
    return deleteMarker;
  }

  /** DeleteObjects on a versioned bucket: each key gets a delete marker, or loses the version named. */
  async deleteMany(bucket: string, body: string, forgetCurrent: (key: string) => void, cancelTimer: (key: string, entry: ArchiveEntry) => void): Promise<unknown> {
    await this.requireBucket(bucket);
    const deleted: Record<string, unknown>[] = [];
    for (const { key, versionId } of parseDeleteRequest(body)) {
      if (versionId === undefined) {
        const markerId = await this.deleteWithMarker(bucket, key, () => forgetCurrent(key));
        deleted.push({ Key: key, DeleteMarker: true, DeleteMarkerVersionId: markerId });
      } else {
        const wasMarker = await this.deleteVersion(bucket, key, versionId, (entry) => cancelTimer(key, entry));
        deleted.push({ Key: key, VersionId: versionId, ...(wasMarker ? { DeleteMarker: true, DeleteMarkerVersionId: versionId } : {}) });
      }
    }
    return { DeleteResult: { '@': { xmlns: XMLNS }, Deleted: deleted } };
  }

  /**
   * Where GET, HEAD and RestoreObject find a version: the current one (s3rver serves it as
   * usual) or an older one (served from its own files through `store`).
   */
  resolve(
    bucket: string,
    key: string,
    versionId: string | undefined,
    onDeleteMarker: (markerId: string) => void = () => undefined,
  ): { entry?: ArchiveEntry; store?: OpaqueKeyStore; versionId?: string } {
    if (versionId === undefined) {
      const current = this.index.get(bucket, key);
      const latest = current ? undefined : this.index.olderVersions(bucket, key)[0];
      if (latest?.deleteMarker) onDeleteMarker(latest.versionId); // the read then answers 404 NoSuchKey
      return { entry: current, ...(current?.versionId ? { versionId: current.versionId } : {}) };
    }
    const { entry, older } = this.index.version(bucket, key, versionId);
    if (!older) {
      if (!entry) throw new S3Error('NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });
      return { entry, versionId };
    }
    if (older.deleteMarker) {
      onDeleteMarker(older.versionId);
      throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: 'GET', ResourceType: 'DeleteMarker' });
    }
    return { entry: older.entry, store: this.store.versionView(versionId), versionId };
  }

  /** ListObjectVersions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html */
  async list(bucket: string, query: Record<string, string | string[] | undefined>): Promise<unknown> {
    await this.requireBucket(bucket);
    const text = (name: string) => (typeof query[name] === 'string' ? query[name] : '');
    const prefix = text('prefix');
    const keyMarker = text('key-marker');
    const versionMarker = text('version-id-marker');
    const rawMax = text('max-keys') || '1000';
    if (!/^\d+$/.test(rawMax)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: rawMax });
    const maxKeys = Math.min(1000, Number(rawMax));
    const keys = [...new Set([...this.index.keys(bucket), ...this.index.keysWithOlderVersions(bucket)])].filter((k) => k.startsWith(prefix) && k >= keyMarker).sort();

    const versions: unknown[] = [];
    const markers: unknown[] = [];
    let last: { key: string; versionId: string } | undefined;
    let truncated = false;
    outer: for (const key of keys) {
      const rows: { versionId: string; row: () => Promise<[unknown, boolean]> }[] = [];
      const current = this.index.get(bucket, key);
      if (current) {
        rows.push({
          versionId: versionOf(current),
          row: async () => {
            const metadata = await this.store.getMetadata(bucket, key);
            return [
              {
                Key: key,
                VersionId: versionOf(current),
                IsLatest: true,
                LastModified: new Date(metadata['last-modified']!).toISOString(),
                ETag: metadata.etag,
                Size: Number(metadata['content-length']),
                StorageClass: current.storageClass,
              },
              false,
            ];
          },
        });
      }
      this.index.olderVersions(bucket, key).forEach((v, i) => {
        const isLatest = !current && i === 0;
        rows.push({
          versionId: v.versionId,
          row: async () =>
            v.deleteMarker
              ? [{ Key: key, VersionId: v.versionId, IsLatest: isLatest, LastModified: new Date(v.lastModified).toISOString() }, true]
              : [
                  {
                    Key: key,
                    VersionId: v.versionId,
                    IsLatest: isLatest,
                    LastModified: new Date(v.lastModified).toISOString(),
                    ETag: v.etag,
                    Size: v.size,
                    StorageClass: v.entry?.storageClass ?? 'STANDARD',
                  },
                  false,
                ],
        });
      });
      let skipping = key === keyMarker;
      if (skipping && !versionMarker) continue; // key-marker alone: start after that key
      for (const { versionId, row } of rows) {
        if (skipping) {
          if (versionId === versionMarker) skipping = false;
          continue;
        }
        if (versions.length + markers.length >= maxKeys) {
          truncated = true;
          break outer;
        }
        const [value, isMarker] = await row();
        (isMarker ? markers : versions).push(value);
        last = { key, versionId };
      }
    }
    return {
      ListVersionsResult: {
        '@': { xmlns: XMLNS },
        Name: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
        MaxKeys: maxKeys,
        IsTruncated: truncated,
        ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId } : {}),
        Version: versions,
        DeleteMarker: markers,
      },
    };
  }

  private async describe(bucket: string, key: string, entry: ArchiveEntry): Promise<OlderVersion> {
    const metadata = await this.store.getMetadata(bucket, key);
    return { versionId: versionOf(entry), lastModified: Date.parse(metadata['last-modified']!), size: Number(metadata['content-length']), etag: metadata.etag, entry };
  }

  /** With versioning suspended, a new write replaces the `null` version wherever it is. */
  private async withoutNullVersion(bucket: string, key: string, status: VersioningStatus): Promise<OlderVersion[]> {
    const older = [...this.index.olderVersions(bucket, key)];
    if (status !== 'Suspended') return older;
    const at = older.findIndex((v) => v.versionId === 'null');
    if (at === -1) return older;
    if (!older[at]!.deleteMarker) await this.store.deleteVersion(bucket, key, 'null');
    older.splice(at, 1);
    return older;
  }

  private async promoteNewest(bucket: string, key: string): Promise<void> {
    if (this.index.get(bucket, key)) return;
    const [newest, ...rest] = this.index.olderVersions(bucket, key);
    if (!newest || newest.deleteMarker) return;
    await this.store.promoteVersion(bucket, key, newest.versionId);
    this.index.setOlderVersions(bucket, key, rest);
    this.index.set(bucket, key, newest.entry ?? { storageClass: 'STANDARD', ...(newest.versionId !== 'null' ? { versionId: newest.versionId } : {}) });
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  }
}
