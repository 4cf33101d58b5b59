import { createHash } from 'node:crypto';
import { objectIdOf, type ObjectRef } from './object-id-format.js';

export { objectIdOf, parseObjectId, type ObjectRef } from './object-id-format.js';

const MAX_EXECUTION_NAME = 80;
const SLUG_LENGTH = 48;

/**
 * A Step Functions execution name for one restore cycle of one object.
 * Deterministic, so duplicate detections map to the same execution; starts with the file
 * name so a person recognises it in the console; 1-80 chars of [0-9A-Za-z_-] as AWS requires.
 * The hash is of the (unambiguous) object id, so two objects never share a name.
 */
export function executionNameOf(ref: ObjectRef, cycle: number): string {
  if (!Number.isInteger(cycle) || cycle < 1) throw new RangeError(`cycle must be a positive integer, got ${cycle}`);
  const hash = createHash('sha256').update(objectIdOf(ref)).digest('hex').slice(0, 16);
  const fileName = ref.key.split('/').filter(Boolean).pop() ?? 'object';
  const slug =
    fileName
      .replace(/[^0-9A-Za-z_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, SLUG_LENGTH) || 'object';
  const name = `${slug}-${hash}-c${cycle}`;
  if (name.length > MAX_EXECUTION_NAME) throw new RangeError(`execution name too long: ${name}`);
  return name;
}

/** The encoding classic S3 event notifications apply to keys (form encoding, `+` for a space). */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** The form-decoded key, or undefined when the text is not valid form encoding (a lone `%`). */
export function decodeS3EventKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export type EventKeyForm = 'raw' | 'decoded';

/**
 * The keys an S3 EventBridge event may mean, in the order to try them. Classic S3
 * notifications form-encode keys; for EventBridge the documentation shows none that would
 * tell, and field reports differ, so the key is tried as given first, then form-decoded
 * (when decoding succeeds and changes it). Never throws.
 */
export function eventKeyCandidates(eventKey: string): { key: string; form: EventKeyForm }[] {
  const decoded = decodeS3EventKey(eventKey);
  return decoded === undefined || decoded === eventKey
    ? [{ key: eventKey, form: 'raw' }]
    : [
        { key: eventKey, form: 'raw' },
        { key: decoded, form: 'decoded' },
      ];
}
