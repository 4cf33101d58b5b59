/**
 * CopyObject and UploadPartCopy as S3 answers them, over s3rver's simpler copy: the copy gets
 * the storage class the request names (STANDARD when it names none, never the source's), so a
 * restored archive object copied onto itself leaves the archive; the metadata is the source's
 * unless `x-amz-metadata-directive: REPLACE`; the tags are the source's unless
 * `x-amz-tagging-directive: REPLACE` (then `x-amz-tagging`); server-side encryption is what the
 * request asks for. A part copy streams its byte range from the source into the part, so a
 * copy of any size never sits in memory.
 */
import S3ErrorModule from 's3rver/lib/models/error.js';
import S3ObjectModule from 's3rver/lib/models/object.js';
import { TaggingConfiguration } from 's3rver/lib/models/config.js';

const S3Error = S3ErrorModule as new (code: string, message: string, detail?: Record<string, unknown>) => Error & { status: number };

/** The headers of server-side encryption that the local S3 keeps with an object and answers on HEAD and GET. */
export const SSE_HEADERS = ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-server-side-encryption-bucket-key-enabled'];

/** Makes s3rver keep (and answer) the encryption headers of each object, as S3 does. */
export function keepEncryptionHeaders(): void {
  const allowed = (S3ObjectModule as unknown as { ALLOWED_METADATA: string[] }).ALLOWED_METADATA;
  for (const header of SSE_HEADERS) if (!allowed.includes(header)) allowed.push(header);
}

/** Stored metadata a COPY directive carries over from the source (the storage class and encryption are the request's). */
const COPIED_METADATA = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'content-type', 'expires', 'x-amz-website-redirect-location'];

type Headers = Record<string, string | string[] | undefined>;

/**
 * Rewrites a CopyObject request so that s3rver's copy (which only knows "replace the metadata
 * with the request's headers") stores what S3 would: with the COPY directive the source's
 * metadata, always the request's storage class (or none: STANDARD) and encryption.
 * An object copied onto itself must change something (S3's rule).
 */
export function prepareCopyHeaders(headers: Headers, sourceMetadata: Record<string, string>, sameObject: boolean): void {
  const directive = single(headers['x-amz-metadata-directive']) ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  const taggingDirective = single(headers['x-amz-tagging-directive']) ?? 'COPY';
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE')
    throw new S3Error('InvalidArgument', 'Unknown tagging directive.', { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: taggingDirective });
  const requestedClass = single(headers['x-amz-storage-class']);
  const changesSomething = directive === 'REPLACE' || (requestedClass ?? 'STANDARD') !== (sourceMetadata['x-amz-storage-class'] ?? 'STANDARD') || SSE_HEADERS.some((h) => headers[h] !== undefined);
  if (sameObject && !changesSomething) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (directive === 'COPY') {
    for (const name of Object.keys(headers)) if (name.startsWith('x-amz-meta-') || COPIED_METADATA.includes(name)) headers[name] = undefined;
    for (const [name, value] of Object.entries(sourceMetadata)) if (name.startsWith('x-amz-meta-') || COPIED_METADATA.includes(name)) headers[name] = value;
  }
  // s3rver copies with the request's headers only under REPLACE; what they hold is settled above.
  headers['x-amz-metadata-directive'] = 'REPLACE';
}

export interface TaggingStore {
  getSubresource(bucket: string, key: string, type: 'tagging'): Promise<{ type: string; toXML(space?: number): string } | null>;
  putSubresource(bucket: string, key: string, resource: unknown): Promise<void>;
  deleteSubresource(bucket: string, key: string, type: 'tagging'): Promise<void>;
}

/** After a copy: the source's tags (COPY, the default) or the request's `x-amz-tagging` (REPLACE). */
export async function copyTags(store: TaggingStore, headers: Headers, source: { bucket: string; key: string }, dest: { bucket: string; key: string }): Promise<void> {
  if ((single(headers['x-amz-tagging-directive']) ?? 'COPY') === 'REPLACE') return putTags(store, dest, single(headers['x-amz-tagging']));
  if (source.bucket === dest.bucket && source.key === dest.key) return;
  const tags = await store.getSubresource(source.bucket, source.key, 'tagging');
  if (tags) await store.putSubresource(dest.bucket, dest.key, tags);
  else await store.deleteSubresource(dest.bucket, dest.key, 'tagging');
}

/** Tags given as `x-amz-tagging` (URL query encoded, as on PutObject and CreateMultipartUpload). */
export async function putTags(store: TaggingStore, dest: { bucket: string; key: string }, encoded: string | undefined): Promise<void> {
  const tags = [...new URLSearchParams(encoded ?? '')];
  if (tags.length > 10) throw new S3Error('BadRequest', 'Object tags cannot be greater than 10');
  if (!tags.length) return store.deleteSubresource(dest.bucket, dest.key, 'tagging');
  const xml = `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`;
  await store.putSubresource(dest.bucket, dest.key, (TaggingConfiguration as { validate(xml: string): unknown }).validate(xml));
}

/** The most CopyObject copies in one request, and the largest part (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): 5 GiB. */
export const MAX_COPY_SOURCE_BYTES = 5 * 1024 ** 3;

/** CopyObject of a larger source, or UploadPartCopy of a larger range, is refused: such an object is copied in parts. */
export function checkCopySize(bytes: number): void {
  if (bytes > MAX_COPY_SOURCE_BYTES) throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`);
}

/**
 * The `x-amz-copy-source-if-*` conditions of CopyObject and UploadPartCopy, against the source
 * about to be copied: a condition that does not hold refuses the copy with 412
 * PreconditionFailed, so a copy made from a version the caller looked at cannot silently copy
 * other bytes. As S3 documents: when if-match holds, if-unmodified-since is not looked at; when
 * if-none-match holds (the ETag differs), if-modified-since is not looked at.
 */
export function checkCopyConditions(headers: Headers, source: { etag: string; lastModified: Date }): void {
  const etag = unquote(source.etag);
  const ifMatch = single(headers['x-amz-copy-source-if-match']);
  const ifNoneMatch = single(headers['x-amz-copy-source-if-none-match']);
  const ifUnmodifiedSince = dateOf(single(headers['x-amz-copy-source-if-unmodified-since']));
  const ifModifiedSince = dateOf(single(headers['x-amz-copy-source-if-modified-since']));
  const failed = (condition: string) => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
  if (ifMatch !== undefined) {
    if (!etagList(ifMatch).some((e) => e === '*' || e === etag)) throw failed('x-amz-copy-source-If-Match');
  } else if (ifUnmodifiedSince && source.lastModified > ifUnmodifiedSince) throw failed('x-amz-copy-source-If-Unmodified-Since');
  if (ifNoneMatch !== undefined) {
    if (etagList(ifNoneMatch).some((e) => e === '*' || e === etag)) throw failed('x-amz-copy-source-If-None-Match');
  } else if (ifModifiedSince && source.lastModified <= ifModifiedSince) throw failed('x-amz-copy-source-If-Modified-Since');
}

function etagList(header: string): string[] {
  return header.split(',').map((e) => unquote(e.trim()));
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

/** An HTTP date; an unreadable one is ignored, as for GetObject's If-Modified-Since. */
function dateOf(value: string | undefined): Date | undefined {
  const date = value === undefined ? undefined : new Date(value);
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** `bytes=first-last` of `x-amz-copy-source-range`, checked against the source's size. */
export function copySourceRange(header: string | undefined, size: number): { start: number; end: number } {
  if (header === undefined) return { start: 0, end: Math.max(0, size - 1) };
  const match = /^bytes=(\d+)-(\d+)$/.exec(header);
  if (!match)
    throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: header,
    });
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start || end >= size) throw new S3Error('InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header, ActualObjectSize: size });
  return { start, end };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
