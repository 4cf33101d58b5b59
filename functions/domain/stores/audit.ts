/**
 * The per-object audit history: one item per thing a person would want to see later,
 * keyed by object and time so a Query returns it newest first.
 */
import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allPages, batchPutAll, conditionHeld, putsInto, type TablePut } from './dynamodb.js';

const MARKER_PREFIX = '#dedupe#';

export const AUDIT_TYPES = [
  'READ_DETECTED',
  'RESTORE_ORDERED',
  'READER_JOINED',
  'EXECUTION_STARTED',
  'OBJECT_INSPECTED',
  'RESTORE_REQUESTED',
  'EXPEDITED_UNAVAILABLE',
  'WAITING_FOR_RESTORE',
  'RESTORE_CHECKED_AFTER_TIMEOUT',
  'RESTORE_COMPLETED',
  'RESTORE_EXPIRED',
  'NOTICES_QUEUED',
  'EMAIL_SENT',
  'RECIPIENT_UNRESOLVED',
  'NOTICE_UNDELIVERABLE',
  'CYCLE_CLOSED',
  /** A cycle's execution ended (stopped, failed, timed out, unknown) while the cycle was open. */
  'EXECUTION_ENDED',
  /** The workflow could not hand the readers' "ready" notice to the aggregator; it stays pending. */
  'READY_NOTICE_FAILED',
  /** The reconciler found a cycle's restore done in S3 after its execution ended. */
  'RESTORE_FOUND_DONE',
  /** A restore waits for a person: over its rule's cost limit or the month's budget. */
  'APPROVAL_REQUESTED',
  /** An approver approved or denied it (who, and why), or nobody did in time. */
  'APPROVAL_DECIDED',
  /** RestoreObject again on a restored copy moved its expiry (`autorestore extend`). */
  'RESTORE_EXTENDED',
  /** The object was copied onto itself into a non-archive storage class (`autorestore keep`). */
  'KEPT',
  /** The auto-keep policy counted the object's restores on a completion: kept or not, and why. */
  'AUTO_KEEP_DECIDED',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export interface AuditEntry {
  objectId: string;
  /** Sort key: ISO time, then a unique or deduplicating suffix. */
  at: string;
  time: string;
  type: AuditType;
  cycle?: number;
  detail: Record<string, unknown>;
}

export interface AuditInput {
  objectId: string;
  time: Date;
  type: AuditType;
  cycle?: number;
  detail?: Record<string, unknown>;
  /**
   * Makes the write idempotent: the same event delivered twice (CloudTrail and EventBridge
   * deliver at least once) leaves one entry.
   */
  dedupeKey?: string;
  /**
   * The time is the same on every delivery and every retry: the event's own (a CloudTrail
   * event's eventTime), or one the object's record keeps from the first attempt (the cycle's
   * start, the first hand-over of a notice). Every attempt then computes the same sort key, and
   * one conditional write is both the entry and its deduplication: no marker is needed.
   */
  timeIsTheEvents?: boolean;
}

/** An entry that every attempt keys alike: deduplicated, with a time that is the same on every attempt. */
export type StableAuditInput = AuditInput & { dedupeKey: string; timeIsTheEvents: true };

/** An entry that needs no marker, so a batch can write it: stable, or not deduplicated at all (each attempt's own line). */
export type BatchableAuditInput = StableAuditInput | (AuditInput & { dedupeKey?: undefined });

function entryOf(input: AuditInput): { entry: AuditEntry; dedupe?: string } {
  const time = input.time.toISOString();
  // Hashed: dedupe keys can hold object ids, and sort keys are limited to 1,024 bytes.
  const dedupe = input.dedupeKey ? createHash('sha256').update(input.dedupeKey).digest('hex').slice(0, 32) : undefined;
  const entry: AuditEntry = {
    objectId: input.objectId,
    at: `${time}#${dedupe ?? randomUUID()}`,
    time,
    type: input.type,
    cycle: input.cycle,
    detail: input.detail ?? {},
  };
  return { entry, dedupe };
}

export class AuditLog {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Returns false when the entry was already there (a duplicate event). An entry whose time
   * is stable (`timeIsTheEvents`) is keyed by that time and the dedupe key. Any other deduplicated entry
   * first claims a marker item (`#dedupe#<key>`, sorted apart from the timeline) that names the
   * entry's sort key; a duplicate, or a retry after a crash between the two writes, finds the
   * marker and makes sure that very entry exists, so an entry is never doubled nor lost.
   */
  async record(input: AuditInput): Promise<boolean> {
    const { entry, dedupe } = entryOf(input);
    if (!dedupe) {
      await this.ddb.send(new PutCommand({ TableName: this.table, Item: entry }));
      return true;
    }
    if (input.timeIsTheEvents) return this.putIfAbsent({ ...entry });
    const markerKey = { objectId: input.objectId, at: `${MARKER_PREFIX}${dedupe}` };
    const claimed = await this.putIfAbsent({ ...markerKey, entryAt: entry.at });
    if (claimed) {
      await this.ddb.send(new PutCommand({ TableName: this.table, Item: entry }));
      return true;
    }
    const marker = await this.ddb.send(new GetCommand({ TableName: this.table, Key: markerKey, ConsistentRead: true }));
    await this.putIfAbsent({ ...entry, at: (marker.Item?.entryAt as string | undefined) ?? entry.at });
    return false;
  }

  /**
   * The puts of entries that need no marker, for a caller that writes them in a batch with its
   * own items: such as one email's lines on each file it lists, written with the email's ledger.
   * Writing a stable entry again replaces it with itself, so no condition is needed.
   */
  puts(inputs: BatchableAuditInput[]): TablePut[] {
    const entries = new Map(inputs.map((input) => entryOf(input).entry).map((entry) => [`${entry.objectId}\n${entry.at}`, entry]));
    return putsInto(this.table, [...entries.values()]);
  }

  /** Writes entries that need no marker together: 25 a BatchWriteItem, where `record` is a call each. */
  async recordAll(inputs: BatchableAuditInput[]): Promise<void> {
    await batchPutAll(this.ddb, this.puts(inputs));
  }

  private putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    return conditionHeld(() => this.ddb.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(objectId)' })));
  }

  /** The object's history, newest first. */
  async history(objectId: string, limit = 500): Promise<AuditEntry[]> {
    return allPages<AuditEntry>(
      (startKey, collected) =>
        this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            // Timeline entries start with a year; dedupe markers start with '#' and sort below '0'.
            KeyConditionExpression: 'objectId = :id AND #at >= :first',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: { ':id': objectId, ':first': '0' },
            ScanIndexForward: false,
            Limit: Math.min(limit - collected, 1000),
            ExclusiveStartKey: startKey,
          }),
        ),
      limit,
    );
  }
}
