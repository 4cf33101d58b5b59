/**
 * Pending notices: what each reader must be told about each object. Keyed by reader and
 * (object, cycle, kind), so a notice is written once however many times it is queued. While
 * a notice waits to be emailed it carries `pendingPartition`, which puts it in a sparse index:
 * the aggregator's tick queries that index and so costs in proportion to what is pending,
 * never to the size of the table.
 */
import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allPages, batchGetAll, batchPutAll, conditionHeld, putsInto, unlessConditionFails, type TablePut } from './dynamodb.js';
import type { ObjectRecord } from './records.js';
import type { Reader } from '../rules/reader.js';

export const NOTICE_KINDS = ['started', 'ready', 'failed', 'awaiting-approval', 'approval-requested', 'expiring', 'extended'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/** The kinds that end what a reader hears about a cycle: a pending "started" is no longer needed. */
export function isFinalNotice(kind: NoticeKind): boolean {
  return kind === 'ready' || kind === 'failed';
}

export const PENDING_INDEX = 'pending';
export const PENDING_PARTITION = 'PENDING';

/** What an email says about one file. */
export interface NoticeFile {
  objectId: string;
  cycle: number;
  bucket: string;
  key: string;
  versionId?: string;
  storageClass?: string;
  archiveKind?: string;
  tier?: string;
  expectedReadyAt?: string;
  expiryDate?: string;
  failureReason?: string;
  /** For a bulk restore's notice: the prefix it restored (the key is then a label naming the batch). */
  prefix?: string;
  /** For a bulk restore's notice: how many files the entry stands for (the email's subject counts them). */
  fileCount?: number;
  /** The cycle's execution, linked from the email (absent on notices queued before it was kept). */
  executionArn?: string;
  /** What the restore costs, in micro-dollars. */
  costMicroUsd?: number;
  /** The policy sent the restore to Bulk (the month's budget was spent): it is ready later. */
  downgradedToBulk?: boolean;
  /** For an approval request: who asked for the restore, and why it needs approval. */
  requestedBy?: string;
  approvalReason?: string;
}

export type NoticeStatus = 'pending' | 'sent' | 'superseded' | 'duplicate' | 'undeliverable';

export interface Notice {
  readerId: string;
  noticeKey: string;
  kind: NoticeKind;
  reader: Reader;
  file: NoticeFile;
  createdAt: string;
  status: NoticeStatus;
  pendingPartition?: typeof PENDING_PARTITION;
  unresolvedRecorded?: boolean;
  /** How many times SES refused the email carrying this notice for a reason retrying will not fix. */
  rejections?: number;
  /** The error of the last refusal (an SES error code). */
  lastRejection?: string;
  sentTo?: string;
  sentAt?: string;
}

/**
 * The sort key of a notice: the object id is hashed because DynamoDB sort keys hold at most
 * 1,024 bytes and an object id (bucket + a key of up to 1,024 bytes) can be longer.
 */
export function noticeKeyOf(file: Pick<NoticeFile, 'objectId' | 'cycle'>, kind: NoticeKind): string {
  return `${createHash('sha256').update(file.objectId).digest('hex').slice(0, 32)}#${file.cycle}#${kind}`;
}

/** The file as the notice describes it, from the object's record. */
export function noticeFileOf(record: ObjectRecord): NoticeFile {
  return {
    objectId: record.objectId,
    cycle: record.cycle,
    bucket: record.bucket,
    key: record.key,
    versionId: record.versionId,
    storageClass: record.storageClass,
    archiveKind: record.archiveKind,
    tier: record.tier,
    expectedReadyAt: record.expectedReadyAt,
    expiryDate: record.expiryDate,
    executionArn: record.executionArn,
    failureReason: record.outcomeReason,
    ...(record.costMicroUsd !== undefined ? { costMicroUsd: record.costMicroUsd } : {}),
    ...(record.downgradedToBulk ? { downgradedToBulk: true } : {}),
  };
}

/**
 * The pending "started" notices whose reader has a "ready" or "failed" pending for the same
 * object and cycle: the reader only needs the later news.
 */
export function withdrawnStarted(pending: readonly Notice[]): Notice[] {
  const fileOf = (n: Notice) => `${n.readerId}\n${n.file.objectId}#${n.file.cycle}`;
  // A set, not a list: a tick handles every pending notice, so each step must cost O(1) per notice.
  const laterNews = new Set(pending.filter((n) => isFinalNotice(n.kind)).map(fileOf));
  return pending.filter((n) => n.kind === 'started' && laterNews.has(fileOf(n)));
}

/** Partition of the ledger that remembers which (recipient, object, kind) was emailed. */
const ledgerPartition = (email: string) => `#sent#${email.toLowerCase()}`;

function noticeOf(reader: Reader, kind: NoticeKind, file: NoticeFile, now: Date): Notice {
  return { readerId: reader.id, noticeKey: noticeKeyOf(file, kind), kind, reader, file, createdAt: now.toISOString(), status: 'pending', pendingPartition: PENDING_PARTITION };
}

export class NoticeBook {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Queues a notice for a reader. Returns false when this notice already existed (queued twice).
   * A "ready" (or "failed") replaces a "started" that has not gone out yet without a write of
   * its own: `pending()` no longer lists that "started", and the tick that finds both settles it
   * as superseded. Queueing is one write, where withdrawing the "started" here cost a second
   * (a conditional update, almost always refused: the "started" went out hours before).
   */
  async enqueue(reader: Reader, kind: NoticeKind, file: NoticeFile, now: Date): Promise<boolean> {
    const notice = noticeOf(reader, kind, file, now);
    return conditionHeld(() => this.ddb.send(new PutCommand({ TableName: this.table, Item: notice, ConditionExpression: 'attribute_not_exists(readerId)' })));
  }

  /**
   * Queues the same notice for each reader when none of them can have it yet (the first hand-over
   * of its kind for the file), with the caller's history lines, 25 puts a call. No condition:
   * the only notice such a put could meet is one a reader who joined meanwhile queued for
   * themselves, the same pending notice; if a tick has already emailed that one, the sent ledger
   * settles the copy put back pending as a duplicate.
   */
  async enqueueFirst(readers: Iterable<Reader>, kind: NoticeKind, file: NoticeFile, now: Date, history: readonly TablePut[]): Promise<number> {
    const notices = [...readers].map((reader) => noticeOf(reader, kind, file, now));
    await batchPutAll(this.ddb, [...putsInto(this.table, notices), ...history]);
    return notices.length;
  }

  /** Queues the same notice for each reader, one after another; returns how many were new. */
  async enqueueAll(readers: Iterable<Reader>, kind: NoticeKind, file: NoticeFile, now: Date): Promise<number> {
    let queued = 0;
    for (const reader of readers) if (await this.enqueue(reader, kind, file, now)) queued++;
    return queued;
  }

  /**
   * The notices still to be emailed, through the sparse index (Query, never Scan): less the
   * "started" notices that later news withdraws, unless `includeWithdrawn` (the tick, which
   * settles those).
   */
  async pending(options: { includeWithdrawn?: boolean } = {}): Promise<Notice[]> {
    const all = await allPages<Notice>((startKey) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: PENDING_INDEX,
          KeyConditionExpression: 'pendingPartition = :p',
          ExpressionAttributeValues: { ':p': PENDING_PARTITION },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    if (options.includeWithdrawn) return all;
    const withdrawn = new Set(withdrawnStarted(all));
    return all.filter((notice) => !withdrawn.has(notice));
  }

  /** Moves a pending notice out of the pending index. False if it was no longer pending. */
  async transition(key: Pick<Notice, 'readerId' | 'noticeKey'>, status: Exclude<NoticeStatus, 'pending'>, now: Date, sentTo?: string): Promise<boolean> {
    return conditionHeld(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { readerId: key.readerId, noticeKey: key.noticeKey },
          UpdateExpression: 'SET #status = :status, sentAt = :now, sentTo = :to REMOVE pendingPartition',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':now': now.toISOString(), ':pending': 'pending', ':to': sentTo ?? null },
        }),
      ),
    );
  }

  /**
   * What an email's sending leaves behind, in as few BatchWriteItem calls as its puts need (25
   * a call): the sent ledger's line for each file, so no later tick emails the address about it
   * again (another identity of the same person, a tick retried after a crash); the caller's
   * history lines; and the notices it listed, put back whole as sent, out of the pending index.
   * Puts need no condition: only the tick holding the lease writes a pending notice (queueing
   * never overwrites one), so nothing written since the tick read them is lost; a notice an
   * earlier tick already emailed is in the ledger and never gets here.
   */
  async settleEmail(email: string, sent: readonly Notice[], now: Date, history: readonly TablePut[]): Promise<void> {
    const ledger = [...new Set(sent.map((n) => n.noticeKey))].map((noticeKey) => ({ readerId: ledgerPartition(email), noticeKey, sentAt: now.toISOString() }));
    const settled = sent.map(({ pendingPartition: _leavesTheIndex, ...notice }) => ({ ...notice, status: 'sent', sentAt: now.toISOString(), sentTo: email }));
    await batchPutAll(this.ddb, [...putsInto(this.table, ledger), ...history, ...putsInto(this.table, settled)]);
  }

  async markUnresolvedRecorded(key: Pick<Notice, 'readerId' | 'noticeKey'>): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { readerId: key.readerId, noticeKey: key.noticeKey },
        UpdateExpression: 'SET unresolvedRecorded = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }

  /**
   * Counts one refusal of a pending notice's email; returns how many there have been so far
   * (0 when the notice is no longer pending: another tick settled it meanwhile).
   */
  async recordRejection(key: Pick<Notice, 'readerId' | 'noticeKey'>, error: string): Promise<number> {
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { readerId: key.readerId, noticeKey: key.noticeKey },
          UpdateExpression: 'ADD rejections :one SET lastRejection = :error',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':error': error, ':pending': 'pending' },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return Number(out?.Attributes?.rejections ?? 0);
  }

  /** Which of these (object, cycle, kind) keys were already emailed to this address. */
  async alreadySent(email: string, noticeKeys: string[]): Promise<Set<string>> {
    const keys = [...new Set(noticeKeys)].map((noticeKey) => ({ readerId: ledgerPartition(email), noticeKey }));
    return new Set((await batchGetAll(this.ddb, this.table, keys)).map((item) => item.noticeKey as string));
  }

  /**
   * A lease so that only one tick sends at a time (a slow tick may overlap the next one).
   * Conditional put with an expiry: a crashed holder blocks the next ticks only until its
   * lease runs out, `ttlMs` after it was taken.
   */
  async acquireLease(holder: string, now: Date, ttlMs: number): Promise<boolean> {
    return (await this.takeLease(holder, now, ttlMs)) !== undefined;
  }

  /**
   * The lease, with what the last tick left on it: when the expiring-copies index next needs a
   * look (absent: now). One conditional write whose old attributes come back with it (no read).
   */
  async takeLease(holder: string, now: Date, ttlMs: number): Promise<{ expiryCheckAt?: number; expiryLookedAt?: number } | undefined> {
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { readerId: '#lease', noticeKey: '#aggregator' },
          UpdateExpression: 'SET holder = :holder, expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(readerId) OR expiresAt < :now',
          ExpressionAttributeValues: { ':holder': holder, ':expires': now.getTime() + ttlMs, ':now': now.getTime() },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!out) return undefined;
    const checkAt: unknown = out.Attributes?.expiryCheckAt;
    const lookedAt: unknown = out.Attributes?.expiryLookedAt;
    return { ...(typeof checkAt === 'number' ? { expiryCheckAt: checkAt } : {}), ...(typeof lookedAt === 'number' ? { expiryLookedAt: lookedAt } : {}) };
  }

  /** While the holder still has the lease: when the expiring-copies index next needs a look, for the tick after it. */
  async keepExpiryCheck(holder: string, expiryCheckAt: number): Promise<void> {
    await conditionHeld(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { readerId: '#lease', noticeKey: '#aggregator' },
          UpdateExpression: 'SET expiryCheckAt = :checkAt',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':checkAt': expiryCheckAt, ':holder': holder },
        }),
      ),
    );
  }

  /**
   * Frees the lease, leaving on it when the expiring-copies index next needs a look (if known),
   * and when it was last looked at (if known).
   */
  async releaseLease(holder: string, expiryCheckAt?: number, expiryLookedAt?: number): Promise<void> {
    const sets = ['expiresAt = :zero'];
    const removes: string[] = [];
    const values: Record<string, unknown> = { ':zero': 0, ':holder': holder };
    for (const [attribute, value] of [
      ['expiryCheckAt', expiryCheckAt],
      ['expiryLookedAt', expiryLookedAt],
    ] as const) {
      if (value === undefined) removes.push(attribute);
      else {
        sets.push(`${attribute} = :${attribute}`);
        values[`:${attribute}`] = value;
      }
    }
    await conditionHeld(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { readerId: '#lease', noticeKey: '#aggregator' },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
