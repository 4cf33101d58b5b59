import type { ObjectRef } from '../../functions/domain/rules/object-id-format.js';

/**
 * Whether an email lists the object: the emails list each file as a `Bucket: ...` line then a
 * `Key: ...` line in their text part (functions/notify-aggregator/email.ts renders them).
 */
export function mentions(message: { text: string }, ref: ObjectRef): boolean {
  return message.text.split('\n').some((line, i, lines) => line === `Bucket: ${ref.bucket}` && lines[i + 1] === `Key: ${ref.key}`);
}
