/**
 * Object ids: how an S3 object (bucket, key, version) is named in the records, the audit
 * history, the CLI and the console. No Node.js imports, so the console bundles it too.
 */
import { InvalidInputError } from './errors.js';

/** An S3 object as the system tracks it: one restore record per (bucket, key, version). */
export interface ObjectRef {
  bucket: string;
  key: string;
  /** Only when the reader asked for a specific version. */
  versionId?: string;
}

/**
 * Characters escaped in an object id: `%` (the escape itself), `?` (the version separator)
 * and the C0 controls and DEL (so an id stays one printable line in logs, the CLI and the
 * console). Everything else, spaces, `+`, `#`, `/` and any Unicode, stays as it is, so the
 * id of a plain key is the familiar `s3://bucket/key`.
 */
const ESCAPED = /[%?\u0000-\u001f\u007f]/g;
const ESCAPE_SEQUENCE = /%([0-9A-F]{2})/g;
const VERSION_SEPARATOR = '?versionId=';

function escapePart(text: string): string {
  return text.replace(ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescapePart(text: string, objectId: string): string {
  const decoded = text.replace(ESCAPE_SEQUENCE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  // Only the canonical form is accepted, so one object has exactly one id.
  if (escapePart(decoded) !== text) throw new InvalidInputError(`not a canonical object id: ${JSON.stringify(objectId)}`);
  return decoded;
}

/**
 * The primary key of an object's record and audit history: readable, unique, reversible.
 * The key and version id are escaped (see ESCAPED), so the key `a?versionId=v1` and the key
 * `a` at version `v1` get different ids.
 */
export function objectIdOf(ref: ObjectRef): string {
  const base = `s3://${ref.bucket}/${escapePart(ref.key)}`;
  return ref.versionId ? `${base}${VERSION_SEPARATOR}${escapePart(ref.versionId)}` : base;
}

/** The inverse of objectIdOf. */
export function parseObjectId(objectId: string): ObjectRef {
  const match = /^s3:\/\/([^/?%]+)\/([^?]*)(?:\?versionId=(.+))?$/s.exec(objectId);
  if (!match) throw new InvalidInputError(`not an object id: ${JSON.stringify(objectId)}`);
  const [, bucket, key, versionId] = match as unknown as [string, string, string, string | undefined];
  return { bucket, key: unescapePart(key, objectId), ...(versionId !== undefined ? { versionId: unescapePart(versionId, objectId) } : {}) };
}
