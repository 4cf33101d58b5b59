/** `s3://bucket/key-or-prefix`, checked before anything is asked of AWS. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface S3Url {
  bucket: string;
  /** '' for the whole bucket. */
  key: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Url(value: string): S3Url {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/s.exec(value);
  if (!match) throw new UsageError(`not an S3 URL: ${JSON.stringify(value)} (expected s3://bucket/key)`);
  const bucket = match[1]!;
  if (!BUCKET.test(bucket)) throw new UsageError(`not a valid bucket name: ${JSON.stringify(bucket)}`);
  const key = match[2] ?? '';
  if (Buffer.byteLength(key) > 1024) throw new UsageError('the key is longer than 1,024 bytes');
  return { bucket, key };
}

/** An S3 URL that must name one object. */
export function parseObjectUrl(value: string): S3Url {
  const url = parseS3Url(value);
  if (!url.key || url.key.endsWith('/')) throw new UsageError(`${value} names a prefix, not an object`);
  return url;
}
