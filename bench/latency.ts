/**
 * How long readers wait, in simulated time: from a refused read to the first email about the
 * object, and from a restore's completion to its "ready" email. Measured from the notices
 * table (each sent notice keeps its `sentAt`) against what the scenario saw happen.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SimulatedClock } from '../local/clock.js';
import { TABLE_NAMES } from '../local/cloud.js';
import { restoredObjectKey } from '../local/s3/server.js';
import type { Notice } from '../functions/domain/stores/notices.js';

/** p50, p95 and max in simulated seconds, over `count` samples. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles (the smallest sample with at least p% of the samples at or below it). */
export function percentiles(samples: readonly number[]): Percentiles | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(50), p95: rank(95), max: sorted.at(-1)! };
}

/** Every notice emailed so far (the bench reads the whole table once the run has drained). */
export async function sentNotices(ddb: DynamoDBDocumentClient): Promise<Notice[]> {
  const notices: Notice[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: TABLE_NAMES.notices, ExclusiveStartKey }));
    // A superseded or undeliverable notice also gets a `sentAt` (when it left the pending index): only `sent` ones were emailed.
    for (const item of page.Items ?? []) if (item.status === 'sent' && item.sentAt && item.file) notices.push(item as Notice);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return notices;
}

/** The key under which the scenario notes a reader's first refused read of an object. */
export const readKey = (email: string, bucket: string, key: string) => JSON.stringify([email, bucket, key]);

export interface ReaderLatencies {
  /** Refused read → the first email to that reader about that object ("started", or the "ready" that replaced it). */
  readToFirstEmail?: Percentiles;
  /** The restore completed in S3 → the "ready" email, per reader and object. */
  completedToReady?: Percentiles;
}

/**
 * `firstRefusedReadAt`: real ms of each reader's first refused read of each object (by `readKey`);
 * `completedAt`: the local S3's restore completion times.
 */
export function readerLatencies(notices: readonly Notice[], firstRefusedReadAt: ReadonlyMap<string, number>, completedAt: ReadonlyMap<string, number>, clock: SimulatedClock): ReaderLatencies {
  const simulatedSeconds = (realMs: number) => Math.round(realMs / clock.factor / 1000);
  const firstEmail = new Map<string, number>();
  const completedToReady: number[] = [];
  for (const n of notices) {
    const sentAt = Date.parse(n.sentAt!);
    const to = n.sentTo ?? '';
    const read = readKey(to, n.file.bucket, n.file.key);
    if (n.kind === 'started' || n.kind === 'ready') firstEmail.set(read, Math.min(firstEmail.get(read) ?? Infinity, sentAt));
    const completed = completedAt.get(restoredObjectKey(n.file.bucket, n.file.key, n.file.versionId));
    if (n.kind === 'ready' && completed !== undefined && completed <= sentAt) completedToReady.push(simulatedSeconds(sentAt - completed));
  }
  const readToFirstEmail = [...firstEmail].flatMap(([read, sentAt]) => {
    const readAt = firstRefusedReadAt.get(read);
    return readAt === undefined ? [] : [simulatedSeconds(sentAt - readAt)];
  });
  return { readToFirstEmail: percentiles(readToFirstEmail), completedToReady: percentiles(completedToReady) };
}
