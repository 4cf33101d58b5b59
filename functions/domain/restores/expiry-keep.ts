/**
 * Copies an object onto itself into a class that is never archived ("keep"), as `autorestore
 * keep` and the auto-keep policy both do: up to 5 GiB one CopyObject, above it a multipart
 * upload of part copies. Metadata, content type, tags, checksum algorithm and server-side
 * encryption (the same KMS key) are carried over: S3 gives a copy the bucket's default
 * encryption unless the request names one, and a multipart upload copies no metadata or tags
 * by itself. In a versioned bucket the archived version stays, as a noncurrent version.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type ChecksumAlgorithm,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { copyPartRanges, copyPartSize, SINGLE_COPY_LIMIT_BYTES, type KeepStorageClass } from '../rules/expiry.js';

export interface Kept {
  key: string;
  outcome: 'kept';
  storageClass: KeepStorageClass;
  method: 'CopyObject' | 'multipart';
  parts?: number;
  /** Set in a versioned bucket: the new current version; the archived one is now noncurrent. */
  versionId?: string;
}

/** What the copy must say again: S3 keeps none of it by itself for a multipart upload, nor the encryption for any copy. */
function carriedOver(head: HeadObjectCommandOutput) {
  return {
    ...(head.ServerSideEncryption ? { ServerSideEncryption: head.ServerSideEncryption } : {}),
    ...(head.SSEKMSKeyId ? { SSEKMSKeyId: head.SSEKMSKeyId } : {}),
    ...(head.BucketKeyEnabled !== undefined ? { BucketKeyEnabled: head.BucketKeyEnabled } : {}),
    ...(checksumAlgorithmOf(head) ? { ChecksumAlgorithm: checksumAlgorithmOf(head) } : {}),
  };
}

function checksumAlgorithmOf(head: HeadObjectCommandOutput): ChecksumAlgorithm | undefined {
  if (head.ChecksumCRC64NVME) return 'CRC64NVME';
  if (head.ChecksumCRC32C) return 'CRC32C';
  if (head.ChecksumCRC32) return 'CRC32';
  if (head.ChecksumSHA256) return 'SHA256';
  if (head.ChecksumSHA1) return 'SHA1';
  return undefined;
}

/** The object is larger than the caller may copy (the auto-keep's function has too little time for a multipart copy). */
export class KeepTooLargeError extends Error {
  override readonly name = 'KeepTooLargeError';
}

/**
 * Keeps one object. `ranges`: the part ranges of a multipart copy, when the caller planned one;
 * by default objects over 5 GiB are copied in parts of copyPartSize(). `maxBytes`: a larger
 * object is refused before anything is copied.
 */
export async function keepObject(
  s3: S3Client,
  bucket: string,
  key: string,
  storageClass: KeepStorageClass,
  ranges?: { partNumber: number; range: string }[],
  options: { maxBytes?: number } = {},
): Promise<Kept> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  const size = head.ContentLength ?? 0;
  if (options.maxBytes !== undefined && size > options.maxBytes) throw new KeepTooLargeError(`${size} bytes, over the ${options.maxBytes} this copy may take: keep it with \`autorestore keep\``);
  const parts = ranges ?? (size > SINGLE_COPY_LIMIT_BYTES ? copyPartRanges(size, copyPartSize(size)) : undefined);
  // The copy's source is the version just looked at: a change meanwhile fails the copy (412) instead of keeping other bytes.
  const source = { CopySource: `${bucket}/${encodeURIComponent(key)}`, CopySourceIfMatch: head.ETag };
  if (!parts) {
    const out = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, ...source, StorageClass: storageClass, MetadataDirective: 'COPY', TaggingDirective: 'COPY', ...carriedOver(head) }));
    return { key: key, outcome: 'kept', storageClass, method: 'CopyObject', ...versionOf(out.VersionId) };
  }
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  const tagging = taggingHeader(tags.TagSet ?? []);
  const upload = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      StorageClass: storageClass,
      ContentType: head.ContentType,
      CacheControl: head.CacheControl,
      ContentDisposition: head.ContentDisposition,
      ContentEncoding: head.ContentEncoding,
      ContentLanguage: head.ContentLanguage,
      WebsiteRedirectLocation: head.WebsiteRedirectLocation,
      ...expiresOf(head.ExpiresString),
      Metadata: head.Metadata,
      ...(tagging ? { Tagging: tagging } : {}),
      ...carriedOver(head),
    }),
  );
  try {
    const copied = [];
    for (const { partNumber, range } of parts) {
      const part = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId, PartNumber: partNumber, CopySourceRange: range, ...source }));
      copied.push({ PartNumber: partNumber, ETag: part.CopyPartResult?.ETag, ...checksumsOf(part.CopyPartResult) });
    }
    const out = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: copied } }));
    return { key: key, outcome: 'kept', storageClass, method: 'multipart', parts: copied.length, ...versionOf(out.VersionId) };
  } catch (err) {
    // An unfinished upload is billed for its parts until aborted.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId })).catch(() => undefined);
    throw err;
  }
}

/**
 * Tags as `x-amz-tagging` ("URL query parameters"): each key and value percent-encoded, a space
 * as %20, never `+`, which a decoder that is not a form decoder would keep as a plus sign.
 */
export function taggingHeader(tags: readonly { Key?: string; Value?: string }[]): string {
  return tags.map((t) => `${encodeURIComponent(t.Key ?? '')}=${encodeURIComponent(t.Value ?? '')}`).join('&');
}

function checksumsOf(result: { ChecksumCRC32?: string; ChecksumCRC32C?: string; ChecksumSHA1?: string; ChecksumSHA256?: string; ChecksumCRC64NVME?: string } | undefined) {
  return Object.fromEntries(Object.entries(result ?? {}).filter(([k]) => k.startsWith('Checksum') && k !== 'ChecksumType'));
}

/** The source's Expires header, when it is a date (S3 keeps any string there; a multipart upload takes a date). */
function expiresOf(value: string | undefined): { Expires?: Date } {
  const date = value ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? { Expires: date } : {};
}

function versionOf(versionId: string | undefined): { versionId?: string } {
  return versionId && versionId !== 'null' ? { versionId } : {};
}
