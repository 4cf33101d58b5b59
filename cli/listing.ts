/**
 * Lists a key or prefix: one ListObjectsV2 page per 1,000 objects with RestoreStatus, never a
 * HeadObject per object. Only Intelligent-Tiering objects, whose tier a listing does not show,
 * are looked up one by one, and only when the caller needs to know.
 */
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { ListedObject } from './plan.js';
import type { S3Url } from './s3-url.js';

export async function listObjects(s3: S3Client, url: S3Url, options: { resolveTiers: boolean }): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: url.bucket, Prefix: url.key || undefined, ContinuationToken: token, OptionalObjectAttributes: ['RestoreStatus'] }));
    for (const item of page.Contents ?? []) {
      objects.push({
        key: item.Key!,
        size: item.Size ?? 0,
        storageClass: item.StorageClass ?? 'STANDARD',
        ...(item.RestoreStatus ? { restoreInProgress: item.RestoreStatus.IsRestoreInProgress ?? false } : {}),
        ...(item.RestoreStatus?.RestoreExpiryDate ? { restoreExpiry: item.RestoreStatus.RestoreExpiryDate.toISOString() } : {}),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // An exact key names one object, not every key it prefixes.
  const exact = url.key && !url.key.endsWith('/') ? objects.filter((o) => o.key === url.key) : [];
  const selected = exact.length ? exact : objects;
  if (options.resolveTiers) {
    const limit = pLimit(16);
    await Promise.all(
      selected
        .filter((o) => o.storageClass === 'INTELLIGENT_TIERING' && !o.restoreInProgress)
        .map((o) =>
          limit(async () => {
            const head = await s3.send(new HeadObjectCommand({ Bucket: url.bucket, Key: o.key }));
            o.tierChecked = true;
            if (head.ArchiveStatus) o.archiveStatus = head.ArchiveStatus;
          }),
        ),
    );
  }
  return selected;
}
