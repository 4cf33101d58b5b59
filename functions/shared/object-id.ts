import { createHash } from 'node:crypto';

/** An S3 object as the system tracks it: one restore record per (bucket, key, version). */
export interface ObjectRef {
  bucket: string;
  key: string;
  /** Only when the reader asked for a specific version. */
  versionId?: string;
}

/** The primary key of an object's record and audit history: readable, unique, reversible. */
export function objectIdOf(ref: ObjectRef): string {
  const base = `s3://${ref.bucket}/${ref.key}`;
  return ref.versionId ? `${base}?versionId=${ref.versionId}` : base;
}

const MAX_EXECUTION_NAME = 80;
const SLUG_LENGTH = 48;

/**
 * A Step Functions execution name for one restore cycle of one object.
 * Deterministic, so duplicate detections map to the same execution; starts with the file
 * name so a person recognises it in the console; 1-80 chars of [0-9A-Za-z_-] as AWS requires.
 */
export function executionNameOf(ref: ObjectRef, cycle: number): string {
  if (!Number.isInteger(cycle) || cycle < 1) throw new RangeError(`cycle must be a positive integer, got ${cycle}`);
  const hash = createHash('sha256').update(objectIdOf(ref)).digest('hex').slice(0, 16);
  const fileName = ref.key.split('/').filter(Boolean).pop() ?? 'object';
  const slug = fileName.replace(/[^0-9A-Za-z_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, SLUG_LENGTH) || 'object';
  const name = `${slug}-${hash}-c${cycle}`;
  if (name.length > MAX_EXECUTION_NAME) throw new RangeError(`execution name too long: ${name}`);
  return name;
}

/** The encoding S3 applies to keys in event notifications (the inverse of decodeS3EventKey). */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/**
 * S3 event notifications (classic and EventBridge) URL-encode object keys, with `+` for a space.
 * CloudTrail request parameters carry the raw key and must not go through this.
 */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}
