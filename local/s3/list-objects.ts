/**
 * ListObjects (v1 and v2) in place of s3rver's: its continuation tokens use DES, which
 * OpenSSL 3 (Node 17 and later) no longer offers, so every listing past 1,000 keys failed.
 * This one also reports each object's real storage class, RestoreStatus when asked with
 * `x-amz-optional-object-attributes: RestoreStatus`, and honours `encoding-type=url`.
 */
import S3ErrorModule from 's3rver/lib/models/error.js';
import type { ArchiveIndex } from './archive-index.js';

const S3Error = S3ErrorModule as new (code: string, message: string, detail?: Record<string, unknown>) => Error;

interface StoreObject {
  key: string;
  size: number;
  lastModifiedDate: Date;
  metadata: Record<string, string>;
}

interface ListContext {
  params: { bucket: string };
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  store: {
    listObjects(
      bucket: string,
      options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: StoreObject[]; commonPrefixes: string[]; isTruncated: boolean }>;
  };
}

/** Opaque to clients; says which bucket and after which key the next page starts. */
function encodeToken(bucket: string, key: string): string {
  return Buffer.from(JSON.stringify({ b: bucket, k: key })).toString('base64url');
}

function decodeToken(bucket: string, token: string): string {
  try {
    const { b, k } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { b?: unknown; k?: unknown };
    if (b === bucket && typeof k === 'string') return k;
  } catch {
    // fall through
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

export function listObjectsController(index: ArchiveIndex) {
  return async function getBucket(ctx: ListContext): Promise<void> {
    const { bucket } = ctx.params;
    const q = ctx.query;
    const v2 = q['list-type'] === '2';
    const rawMax = q['max-keys'] ?? '1000';
    if (!/^\d+$/.test(rawMax)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: rawMax });
    const maxKeys = Math.min(1000, Number(rawMax));
    const prefix = q.prefix ?? '';
    const delimiter = q.delimiter || undefined;
    if (v2 && 'marker' in q) throw new S3Error('InvalidArgument', 'Marker unsupported with REST.GET.BUCKET in list-type=2', { ArgumentName: 'marker' });
    if (!v2 && ('continuation-token' in q || 'start-after' in q)) throw new S3Error('InvalidArgument', 'continuation-token and start-after are only supported with list-type=2');
    const startAfter = v2 ? (q['continuation-token'] ? decodeToken(bucket, q['continuation-token']) : q['start-after']) : q.marker;
    const result = maxKeys === 0 ? { objects: [], commonPrefixes: [], isTruncated: false } : await ctx.store.listObjects(bucket, { prefix, delimiter, startAfter, maxKeys });

    const optional = String(ctx.headers['x-amz-optional-object-attributes'] ?? '')
      .split(',')
      .map((s) => s.trim());
    const withRestoreStatus = optional.includes('RestoreStatus');
    const urlEncoded = q['encoding-type'] === 'url';
    const enc = (s: string) => (urlEncoded ? encodeURIComponent(s) : s);
    const now = Date.now();
    // Objects and common prefixes interleave in key order: the page ends at the greater of the two.
    const lastKey = result.objects.at(-1)?.key;
    const lastPrefix = result.commonPrefixes.at(-1);
    const last = lastKey === undefined ? lastPrefix : lastPrefix === undefined || lastKey > lastPrefix ? lastKey : lastPrefix;

    ctx.body = {
      ListBucketResult: {
        '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
        Name: bucket,
        Prefix: enc(prefix),
        ...(v2
          ? {
              StartAfter: q['continuation-token'] || !q['start-after'] ? undefined : enc(q['start-after']),
              ContinuationToken: q['continuation-token'] || undefined,
              NextContinuationToken: result.isTruncated && last ? encodeToken(bucket, last) : undefined,
              KeyCount: result.objects.length + result.commonPrefixes.length,
            }
          : { Marker: enc(q.marker ?? ''), NextMarker: delimiter && result.isTruncated && last ? enc(last) : undefined }),
        MaxKeys: maxKeys,
        Delimiter: delimiter ? enc(delimiter) : undefined,
        EncodingType: urlEncoded ? 'url' : undefined,
        IsTruncated: result.isTruncated,
        Contents: result.objects.map((object) => {
          const entry = index.get(bucket, object.key);
          const restore = entry?.restore;
          return {
            Key: enc(object.key),
            LastModified: object.lastModifiedDate.toISOString(),
            ETag: object.metadata.etag,
            Size: object.size,
            StorageClass: entry?.storageClass ?? object.metadata['x-amz-storage-class'] ?? 'STANDARD',
            ...(withRestoreStatus && restore
              ? {
                  RestoreStatus: {
                    IsRestoreInProgress: restore.ongoing,
                    ...(!restore.ongoing && restore.expiresAt !== undefined && restore.expiresAt > now ? { RestoreExpiryDate: new Date(restore.expiresAt).toISOString() } : {}),
                  },
                }
              : {}),
          };
        }),
        CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
      },
    };
  };
}
