/**
 * Bulk restores (S3 Batch Operations): one item per batch in the objects table, keyed
 * `#batch#<id>`, beside two small indexes kept as string sets, which `ADD` creates and grows
 * in one write: the batches of a bucket still restoring (`#batches#<bucket>`, read by the
 * completion function) and every batch (`#batch-registry`, read by `batch list`). An object
 * of a batch gets its own record only when S3 says its restore completed: one conditional put
 * (so a duplicate event counts nothing) and one counter increment on the batch. A reader
 * whose read joins a running batch is kept on the batch with the object read (`joins`, up to
 * MAX_JOINED_OBJECTS), so the workflow tells them when that object is ready.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Reader } from '../rules/reader.js';
import { objectIdOf, type ObjectRef } from '../rules/object-id.js';
import { batchItemId, mayJoinBatch, runningBatchesItemId } from '../rules/batch-membership.js';
import { batchGetAll, conditionHeld, unlessConditionFails } from './dynamodb.js';
import type { NoticeFile } from './notices.js';
import type { ObjectRecord } from './records.js';

export { batchItemId, inBatch } from '../rules/batch-membership.js';

/** S3 refuses to mix these in one job: Glacier/Deep Archive restores take ExpirationInDays, Intelligent-Tiering ones must not. */
export const BATCH_JOB_KINDS = ['archive', 'intelligent-tiering'] as const;
export type BatchJobKind = (typeof BATCH_JOB_KINDS)[number];
export const BATCH_TIERS = ['STANDARD', 'BULK'] as const;
export type BatchTier = (typeof BATCH_TIERS)[number];

export type BatchStatus = 'SUBMITTING' | 'RUNNING' | 'RESTORING' | 'READY' | 'PARTIAL' | 'FAILED' | 'CANCELLED';
export const ENDED_BATCH_STATUSES: readonly BatchStatus[] = ['READY', 'PARTIAL', 'FAILED', 'CANCELLED'];

export interface BatchJob {
  kind: BatchJobKind;
  manifestKey: string;
  manifestEtag: string;
  count: number;
  /** Whether any object of the manifest is in Deep Archive (or Intelligent-Tiering Deep Archive Access): it sets how long the batch may take. */
  deep: boolean;
  /** 0 for the first submission, then 1, 2 for the manifests of retried tasks. */
  attempt: number;
  /** The manifest names each object's version id as a third column (the bucket keeps versions). */
  versioned?: boolean;
  jobId?: string;
  status?: string;
  succeeded?: number;
  failed?: number;
  /**
   * Of `failed` (S3 counts every task that did not answer 2xx), what the job's report showed once
   * read: restores already under way (waited for like accepted ones), objects deleted since
   * listed, and tasks retried in a new job. The rest failed.
   */
  alreadyRestoring?: number;
  deleted?: number;
  retried?: number;
  /** Why S3 failed the job, when it did (DescribeJob's FailureReasons). */
  failureReasons?: string[];
  /** Its completion report has been read. */
  reported?: boolean;
}

export interface BatchFailure {
  reason: string;
  count: number;
  /** A few of the keys, for the report. */
  sample: string[];
}

/** A reader who read one of the batch's objects while it ran: told about that object. */
export interface BatchJoin {
  readerId: string;
  objectId: string;
  /** The object's restore cycle the batch's restore is (1, or the one after an ended cycle): what the reader's notices are keyed by. */
  cycle: number;
  bucket: string;
  key: string;
  versionId?: string;
  /** What the reader has been told about the object (queued): its restore is ready, or failed. */
  told?: 'ready' | 'failed';
}

/**
 * Objects-with-readers kept per batch: each is ~200 bytes of a DynamoDB item (400 KB at most).
 * A reader who joins past it still joins the batch and is told about the whole folder.
 */
export const MAX_JOINED_OBJECTS = 1000;

export interface BatchRecord {
  objectId: string;
  batchId: string;
  bucket: string;
  prefix: string;
  /** The same request (bucket, prefix, tier, days) while this batch runs joins it. */
  requestKey: string;
  status: BatchStatus;
  tier: BatchTier;
  days?: number;
  jobs: BatchJob[];
  objectCount: number;
  /** What restoring every object costs (restore requests and retrieval, from the price table), in micro-dollars; absent when a price is missing. */
  costMicroUsd?: number;
  /** Restores S3 accepted (or found already under way): how many completions make the batch ready. */
  expectedCount?: number;
  restoredCount?: number;
  deletedCount?: number;
  failures?: BatchFailure[];
  recipients: Reader[];
  /** Readers of the batch's objects while it runs, by reader id. */
  joiners?: Record<string, Reader>;
  /** Which object each joiner read, by joinKeyOf(reader, object): the reader is told when that object is ready. */
  joins?: Record<string, BatchJoin>;
  createdAt: string;
  expectedReadyAt: string;
  /** After this, a batch not wholly restored ends with a partial report. */
  deadline: string;
  executionArn?: string;
  startedNotified?: boolean;
  endNotified?: boolean;
  updatedAt: string;
}

const REGISTRY_ID = '#batch-registry';
const requestItemId = (requestKey: string) => `#batch-request#${requestKey}`;
/** Short and fixed-length: object ids can be over 1 KB. */
export const joinKeyOf = (readerId: string, objectId: string) => createHash('sha256').update(`${readerId}\n${objectId}`).digest('hex').slice(0, 32);

export class BatchBook {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Claims the request for a new batch, unless a batch of the same request is still running:
   * then that batch's id is answered (the caller joins it). One conditional write.
   */
  async claimRequest(requestKey: string, batchId: string, now: Date): Promise<{ claimed: true } | { claimed: false; batchId: string }> {
    const claimed = await conditionHeld(() =>
      this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: { objectId: requestItemId(requestKey), batchId, claimedAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(objectId)',
        }),
      ),
    );
    if (claimed) return { claimed: true };
    const held = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { objectId: requestItemId(requestKey) }, ConsistentRead: true }));
    return { claimed: false, batchId: String(held.Item?.batchId) };
  }

  /** Writes the batch and adds it to the bucket's running batches and to the registry. */
  async create(batch: BatchRecord): Promise<void> {
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: batch, ConditionExpression: 'attribute_not_exists(objectId)' }));
    await this.addToSet(runningBatchesItemId(batch.bucket), batch.batchId);
    await this.addToSet(REGISTRY_ID, batch.batchId);
  }

  async get(batchId: string): Promise<BatchRecord | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { objectId: batchItemId(batchId) }, ConsistentRead: true }));
    return out.Item as BatchRecord | undefined;
  }

  /**
   * Writes the fields. A status other than CANCELLED does not replace a cancellation that
   * landed since the caller read the batch: the other fields are written, the batch stays CANCELLED.
   */
  async update(batchId: string, fields: Partial<Omit<BatchRecord, 'objectId' | 'batchId'>>, now: Date): Promise<BatchRecord> {
    if (fields.status === undefined || fields.status === 'CANCELLED') return this.write(batchId, fields, now, false);
    const written = await unlessConditionFails(() => this.write(batchId, fields, now, true));
    if (written) return written;
    const { status: _cancelledMeanwhile, ...rest } = fields;
    return this.write(batchId, rest, now, false);
  }

  private async write(batchId: string, fields: Partial<Omit<BatchRecord, 'objectId' | 'batchId'>>, now: Date, unlessCancelled: boolean): Promise<BatchRecord> {
    const entries = Object.entries({ ...fields, updatedAt: now.toISOString() } as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const out = await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { objectId: batchItemId(batchId) },
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ConditionExpression: unlessCancelled ? 'attribute_exists(objectId) AND #status <> :cancelled' : 'attribute_exists(objectId)',
        ExpressionAttributeNames: { ...Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])), ...(unlessCancelled ? { '#status': 'status' } : {}) },
        ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])), ...(unlessCancelled ? { ':cancelled': 'CANCELLED' } : {}) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as BatchRecord;
  }

  /**
   * A reader of one of the batch's objects joins the batch while it runs (no restore of its
   * own) and is kept with the object read, to be told when it is ready. False when the batch
   * has ended meanwhile.
   */
  async addJoiner(batchId: string, reader: Reader, ref: ObjectRef, cycle: number, now: Date): Promise<boolean> {
    const key = { objectId: batchItemId(batchId) };
    const running = await conditionHeld(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          // The first joiner starts the maps.
          UpdateExpression: 'SET joiners = if_not_exists(joiners, :empty), joins = if_not_exists(joins, :empty), updatedAt = :now',
          ConditionExpression: 'attribute_exists(objectId) AND NOT #status IN (:ready, :partial, :failed, :cancelled)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':empty': {}, ':now': now.toISOString(), ':ready': 'READY', ':partial': 'PARTIAL', ':failed': 'FAILED', ':cancelled': 'CANCELLED' },
        }),
      ),
    );
    if (!running) return false;
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET joiners.#reader = :reader',
        ExpressionAttributeNames: { '#reader': reader.id },
        ExpressionAttributeValues: { ':reader': reader },
      }),
    );
    const objectId = objectIdOf(ref);
    const join: BatchJoin = { readerId: reader.id, objectId, cycle, bucket: ref.bucket, key: ref.key, ...(ref.versionId ? { versionId: ref.versionId } : {}) };
    // Past the cap the reader stays a joiner of the whole batch (told with its recipients).
    await conditionHeld(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET joins.#join = if_not_exists(joins.#join, :join)',
          ConditionExpression: 'attribute_exists(joins.#join) OR size(joins) < :max',
          ExpressionAttributeNames: { '#join': joinKeyOf(reader.id, objectId) },
          ExpressionAttributeValues: { ':join': join, ':max': MAX_JOINED_OBJECTS },
        }),
      ),
    );
    return true;
  }

  /** Notes what the joined readers have been told, so the next look leaves them be. */
  async markTold(batchId: string, told: readonly { joinKey: string; kind: 'ready' | 'failed' }[]): Promise<void> {
    // 50 paths a write keeps the expression well under DynamoDB's 4 KB.
    for (let i = 0; i < told.length; i += 50) {
      const chunk = told.slice(i, i + 50);
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId: batchItemId(batchId) },
          UpdateExpression: `SET ${chunk.map((_, j) => `joins.#j${j}.told = :k${j}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(chunk.map((t, j) => [`#j${j}`, t.joinKey])),
          ExpressionAttributeValues: Object.fromEntries(chunk.map((t, j) => [`:k${j}`, t.kind])),
        }),
      );
    }
  }

  /** The records of a batch's objects (they exist once S3 completed their restore), by object id. */
  async objectRecords(objectIds: readonly string[]): Promise<Map<string, ObjectRecord>> {
    if (objectIds.length === 0) return new Map();
    const records = (await batchGetAll(
      this.ddb,
      this.table,
      [...new Set(objectIds)].map((objectId) => ({ objectId })),
    )) as unknown as ObjectRecord[];
    return new Map(records.map((r) => [r.objectId, r]));
  }

  /** The batch has ended: it leaves its bucket's running batches, and its request may start a new one. */
  async end(batch: BatchRecord, status: BatchStatus, now: Date): Promise<BatchRecord> {
    // A cancellation that lands after the workflow read the batch still wins: the batch ends CANCELLED.
    const ended = (await this.setStatus(batch.batchId, status, now, ['CANCELLED'])) ?? (await this.update(batch.batchId, { status: 'CANCELLED' }, now));
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { objectId: runningBatchesItemId(batch.bucket) },
        UpdateExpression: 'DELETE batches :b',
        ExpressionAttributeValues: { ':b': new Set([batch.batchId]) },
      }),
    );
    await this.releaseRequest(batch.requestKey, batch.batchId);
    return ended;
  }

  /**
   * Moves the batch to `status` unless it is already in one of `unlessIn` (then undefined):
   * one conditional write, so a cancel and the workflow's end never overwrite each other.
   */
  async setStatus(batchId: string, status: BatchStatus, now: Date, unlessIn: readonly BatchStatus[]): Promise<BatchRecord | undefined> {
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId: batchItemId(batchId) },
          UpdateExpression: 'SET #s = :s, updatedAt = :now',
          ConditionExpression: `attribute_exists(objectId) AND NOT #s IN (${unlessIn.map((_, i) => `:u${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ':now': now.toISOString(), ...Object.fromEntries(unlessIn.map((u, i) => [`:u${i}`, u])) },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes as BatchRecord | undefined;
  }

  /** The request is free for a new batch (when this batch still holds it). */
  async releaseRequest(requestKey: string, batchId: string): Promise<void> {
    await conditionHeld(() =>
      this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { objectId: requestItemId(requestKey) }, ConditionExpression: 'batchId = :b', ExpressionAttributeValues: { ':b': batchId } })),
    );
  }

  /** The batches of a bucket that are still restoring. */
  async runningIn(bucket: string): Promise<BatchRecord[]> {
    return this.members(runningBatchesItemId(bucket));
  }

  /**
   * An object's record and the batches running in its bucket, for a first detection: the record
   * and the bucket's list of running batches are read in one BatchGetItem (both strongly
   * consistent), and the batches themselves only when the list names any and the object may join
   * one (an object with a restore of its own under way joins its own cycle: `running` is then
   * empty, unread).
   */
  async recordAndRunningIn(objectId: string, bucket: string): Promise<{ record: ObjectRecord | undefined; running: BatchRecord[] }> {
    const items = await batchGetAll(this.ddb, this.table, [{ objectId }, { objectId: runningBatchesItemId(bucket) }], undefined, { consistentRead: true });
    const record = items.find((i) => i.objectId === objectId) as ObjectRecord | undefined;
    if (!mayJoinBatch(record)) return { record, running: [] };
    const ids = [...((items.find((i) => i.objectId === runningBatchesItemId(bucket))?.batches as Set<string> | undefined) ?? [])];
    return { record, running: await this.batchesNamed(ids) };
  }

  /** Every batch, newest first. */
  async list(): Promise<BatchRecord[]> {
    return (await this.members(REGISTRY_ID)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /**
   * Records that S3 completed the restore of a batch's object: its own record (status
   * RESTORED, naming the batch: cycle 1, or the cycle after one that had ended, expired or
   * closed) and one more on the batch's count. Not `recorded` when the object already had a
   * record of a live cycle (a duplicate event, or an object restored some other way). Not `counted` when the count already stands at the restores S3 accepted: a HeadObject
   * sample that found the objects restored while their events were missing set it there, and
   * the events that arrive late must not lift it past 100%. `batch` is the batch as the count
   * left it (who joined it, for the object's readers).
   */
  async recordRestored(
    batch: BatchRecord,
    ref: ObjectRef,
    restored: { restoredAt: string; expiryDate?: string; storageClass?: string },
    now: Date,
  ): Promise<{ recorded: boolean; counted: boolean; batch?: BatchRecord }> {
    const objectId = objectIdOf(ref);
    const record: ObjectRecord & { batchId: string } = {
      objectId,
      bucket: ref.bucket,
      key: ref.key,
      ...(ref.versionId ? { versionId: ref.versionId } : {}),
      cycle: 1,
      status: 'RESTORED',
      cycleStartedAt: batch.createdAt,
      executionName: `batch-${batch.batchId}`,
      subscribers: {},
      ...(restored.storageClass ? { storageClass: restored.storageClass } : {}),
      restoredAt: restored.restoredAt,
      ...(restored.expiryDate ? { expiryDate: restored.expiryDate } : {}),
      // The batch's own "ready" email covers the object.
      readyNotified: true,
      batchId: batch.batchId,
      updatedAt: now.toISOString(),
    };
    const created =
      (await conditionHeld(() => this.ddb.send(new PutCommand({ TableName: this.table, Item: record, ConditionExpression: 'attribute_not_exists(objectId)' })))) ||
      (await this.replaceEndedCycle(record));
    if (!created) return { recorded: false, counted: false };
    const counted = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId: batchItemId(batch.batchId) },
          UpdateExpression: 'ADD restoredCount :one',
          // Before the reports are read nothing is expected yet: every completion counts.
          ConditionExpression: 'attribute_not_exists(expectedCount) OR attribute_not_exists(restoredCount) OR restoredCount < expectedCount',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return { recorded: true, counted: counted !== undefined, ...(counted ? { batch: counted.Attributes as BatchRecord } : {}) };
  }

  /**
   * The object had a record: when its last cycle has ended (its copy expired, or the cycle
   * closed), the batch's restore is the next cycle. Conditional on the cycle read, so a
   * detection that opened the next cycle meanwhile keeps it.
   */
  private async replaceEndedCycle(record: ObjectRecord): Promise<boolean> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { objectId: record.objectId }, ConsistentRead: true }));
    const previous = out.Item as ObjectRecord | undefined;
    if (!previous || (previous.status !== 'EXPIRED' && previous.status !== 'CLOSED')) return false;
    return conditionHeld(() =>
      this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...record, cycle: previous.cycle + 1 },
          ConditionExpression: '#status = :status AND #cycle = :cycle',
          ExpressionAttributeNames: { '#status': 'status', '#cycle': 'cycle' },
          ExpressionAttributeValues: { ':status': previous.status, ':cycle': previous.cycle },
        }),
      ),
    );
  }

  private async addToSet(itemId: string, batchId: string): Promise<void> {
    await this.ddb.send(new UpdateCommand({ TableName: this.table, Key: { objectId: itemId }, UpdateExpression: 'ADD batches :b', ExpressionAttributeValues: { ':b': new Set([batchId]) } }));
  }

  private async members(itemId: string): Promise<BatchRecord[]> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { objectId: itemId } }));
    return this.batchesNamed([...((out.Item?.batches as Set<string> | undefined) ?? [])]);
  }

  private async batchesNamed(ids: string[]): Promise<BatchRecord[]> {
    if (ids.length === 0) return [];
    return (await batchGetAll(
      this.ddb,
      this.table,
      ids.map((id) => ({ objectId: batchItemId(id) })),
    )) as unknown as BatchRecord[];
  }
}

/** The batch an object's record names: set when S3 completed the object's restore as part of a batch. */
export function batchIdOfRecord(record: ObjectRecord): string | undefined {
  const batchId = (record as ObjectRecord & { batchId?: unknown }).batchId;
  return typeof batchId === 'string' ? batchId : undefined;
}

/** What every notice about a batch's object says of the batch: its tier, when it should be ready, its workflow. */
export function batchFileFacts(batch: BatchRecord): Pick<NoticeFile, 'tier' | 'expectedReadyAt' | 'executionArn'> {
  return { tier: batch.tier === 'BULK' ? 'Bulk' : 'Standard', expectedReadyAt: batch.expectedReadyAt, ...(batch.executionArn ? { executionArn: batch.executionArn } : {}) };
}

/** A batch's object as a joined reader's notices name it, in the cycle the object's record will have. */
export function joinedFileOf(batch: BatchRecord, join: Pick<BatchJoin, 'objectId' | 'cycle' | 'bucket' | 'key' | 'versionId'>): NoticeFile {
  return { objectId: join.objectId, cycle: join.cycle, bucket: join.bucket, key: join.key, ...(join.versionId ? { versionId: join.versionId } : {}), ...batchFileFacts(batch) };
}
