/**
 * The per-object audit history: one item per thing a person would want to see later,
 * keyed by object and time so a Query returns it newest first.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const AUDIT_TYPES = [
  'READ_DETECTED',
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
}

export class AuditLog {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Returns false when the entry was already there (a duplicate event). */
  async record(input: AuditInput): Promise<boolean> {
    const time = input.time.toISOString();
    const entry: AuditEntry = {
      objectId: input.objectId,
      at: `${time}#${input.dedupeKey ?? randomUUID()}`,
      time,
      type: input.type,
      cycle: input.cycle,
      detail: input.detail ?? {},
    };
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: entry,
          ...(input.dedupeKey ? { ConditionExpression: 'attribute_not_exists(objectId)' } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** The object's history, newest first. */
  async history(objectId: string, limit = 500): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'objectId = :id',
          ExpressionAttributeValues: { ':id': objectId },
          ScanIndexForward: false,
          Limit: Math.min(limit - entries.length, 1000),
          ExclusiveStartKey: startKey,
        }),
      );
      entries.push(...((page.Items ?? []) as AuditEntry[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && entries.length < limit);
    return entries;
  }
}
