/**
 * A completion for an object we hold no record of may belong to a bulk restore: S3 Batch
 * Operations restored it, and the batch waits for its count. The bucket's running batches
 * are read (cached briefly: a batch completes thousands of objects a minute), and the first
 * whose prefix holds the key, created before the event, counts it once.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { eventKeyCandidates, objectIdOf } from '../domain/rules/object-id.js';
import type { RestoreEvent } from '../domain/rules/events.js';
import { inBatch, type BatchBook, type BatchRecord } from '../domain/stores/batches.js';

export type BatchCompletion = { outcome: 'batched'; objectId: string; batchId: string; counted: boolean };

const CACHE_MS = 5_000;
const cache = new Map<string, { at: number; batches: Promise<BatchRecord[]> }>();

function runningIn(batches: BatchBook, bucket: string, now: number): Promise<BatchRecord[]> {
  const hit = cache.get(bucket);
  if (hit && now - hit.at < CACHE_MS) return hit.batches;
  const fresh = batches.runningIn(bucket);
  cache.set(bucket, { at: now, batches: fresh });
  fresh.catch(() => cache.delete(bucket));
  return fresh;
}

/**
 * The key the event means. Event keys may come form-encoded or raw; when the two readings
 * differ, S3 says which object exists (a HeadObject only for keys with `+` or `%`).
 */
async function meantKey(s3: S3Client, bucket: string, eventKey: string): Promise<string> {
  const candidates = eventKeyCandidates(eventKey);
  if (candidates.length === 1) return candidates[0]!.key;
  for (const candidate of candidates) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: candidate.key }));
      return candidate.key;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err;
    }
  }
  return candidates[0]!.key;
}

export async function countTowardBatch(batches: BatchBook, s3: S3Client, event: RestoreEvent, now: Date): Promise<BatchCompletion | undefined> {
  if (event['detail-type'] !== 'Object Restore Completed') return undefined;
  const { detail } = event;
  const eventTime = new Date(event.time);
  const running = await runningIn(batches, detail.bucket.name, now.getTime());
  // S3 stamps events with whole seconds; the batch's creation has milliseconds.
  const candidates = running.filter((b) => b.bucket === detail.bucket.name && eventTime.getTime() >= Math.floor(Date.parse(b.createdAt) / 1000) * 1000);
  if (candidates.length === 0) return undefined;
  const key = await meantKey(s3, detail.bucket.name, detail.object.key);
  const ref = { bucket: detail.bucket.name, key, ...(detail.object['version-id'] ? { versionId: detail.object['version-id'] } : {}) };
  const batch = candidates.find((b) => inBatch(b, ref));
  if (batch) {
    const { counted } = await batches.recordRestored(
      batch,
      ref,
      {
        restoredAt: eventTime.toISOString(),
        ...(detail['restore-expiry-time'] ? { expiryDate: detail['restore-expiry-time'] } : {}),
        ...(detail['source-storage-class'] ? { storageClass: detail['source-storage-class'] } : {}),
      },
      now,
    );
    return { outcome: 'batched', objectId: objectIdOf(ref), batchId: batch.batchId, counted };
  }
  return undefined;
}
