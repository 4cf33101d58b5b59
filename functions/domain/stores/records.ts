/**
 * The object's restore record: one item per object, holding the current restore cycle.
 * Every write is conditional on the cycle it belongs to, so a late step of an old cycle can
 * never overwrite a new one (the local DynamoDB has no transactions; none are needed).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ArchiveKind, RestoreTier } from '../rules/archive.js';
import { allPages, batchGetAll, unlessConditionFails } from './dynamodb.js';
import { objectIdOf, type ObjectRef } from '../rules/object-id.js';
import type { Reader } from '../rules/reader.js';

/**
 * The sparse index of cycles that still need something: only records carrying `openPartition`
 * are in it (STARTING/RESTORING, and RESTORED until the readers' "ready" notice is handed to
 * the aggregator), so the reconciler queries what is open, never the whole table.
 */
export const OPEN_CYCLES_INDEX = 'open-cycles';
export const OPEN_PARTITION = 'OPEN';

/**
 * The sparse index of restored Glacier / Deep Archive copies whose readers still get an
 * "expires soon" reminder: only records carrying `expiringPartition` are in it, sorted by the
 * copy's expiry, so the aggregator's tick queries the copies expiring soon and nothing else.
 */
export const EXPIRING_COPIES_INDEX = 'expiring-copies';
export const EXPIRING_PARTITION = 'EXPIRING';

export type RecordStatus = 'STARTING' | 'RESTORING' | 'RESTORED' | 'CLOSED' | 'EXPIRED';
export type CloseOutcome = 'NOT_ARCHIVED' | 'GONE' | 'FAILED' | 'OVERDUE' | 'REFUSED' | 'DENIED';

export interface ObjectRecord {
  objectId: string;
  bucket: string;
  key: string;
  versionId?: string;
  cycle: number;
  status: RecordStatus;
  cycleStartedAt: string;
  executionName: string;
  executionArn?: string;
  subscribers: Record<string, Reader>;
  storageClass?: string;
  archiveKind?: ArchiveKind;
  tier?: RestoreTier;
  restoreDays?: number;
  expectedReadyAt?: string;
  restoredAt?: string;
  expiryDate?: string;
  taskToken?: string;
  waitCount?: number;
  startedNotified?: boolean;
  readyNotified?: boolean;
  failureNotified?: boolean;
  /**
   * When each notice kind was first handed to the aggregator. Written once (a retry keeps the
   * first time), so the audit entry saying so is keyed by the same time on every retry.
   */
  startedNotifiedAt?: string;
  readyNotifiedAt?: string;
  failureNotifiedAt?: string;
  /** When a completion event was first confirmed by S3 in this cycle (written once, like the above). */
  completionConfirmedAt?: string;
  outcome?: CloseOutcome;
  outcomeReason?: string;
  /**
   * The overrides the cycle was opened with (the CLI's --tier / --days). A restart of the
   * cycle's execution must send the same input (StartExecution is idempotent only for an
   * identical input) and the next cycle keeps them. Absent on records written before they were kept.
   */
  options?: RestoreOptions;
  /** Present while the cycle is in the open-cycles index. */
  openPartition?: typeof OPEN_PARTITION;
  /** Present while the restored copy's readers are still to be reminded of its expiry (the expiring-copies index). */
  expiringPartition?: typeof EXPIRING_PARTITION;
  /** The readers' "expires soon" reminder was queued. */
  expiringNotified?: boolean;
  /** The readers were told the restored copy was extended (`autorestore extend --notify`). */
  extendedNotified?: boolean;
  updatedAt: string;
  /** The restore policy rule that decided the cycle's tier and days. */
  policyRule?: string;
  /** What the cycle's restore costs, in micro-dollars (restore-cost.ts). */
  costMicroUsd?: number;
  /** Set when the policy sent the restore to Bulk because the month's budget was spent. */
  downgradedToBulk?: boolean;
  /** A restore that needed a person's approval: the request, then the decision. */
  approval?: ApprovalState;
}

export interface ApprovalState {
  /** PENDING while the workflow waits (its task token here); then the decision. */
  decision: 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED';
  /** Why approval is needed (over the rule's limit, or over the month's budget). */
  reason: string;
  requestedAt: string;
  taskToken?: string;
  costMicroUsd?: number;
  by?: string;
  decisionReason?: string;
  decidedAt?: string;
}

/** Overrides of the deployment's restore settings for one cycle (the CLI's --tier and --days). */
export interface RestoreOptions {
  tier?: RestoreTier;
  days?: number;
}

/** The options with only the overrides actually given, so equal options always serialize alike; undefined when there are none. */
export function givenOptions(options: RestoreOptions | undefined): RestoreOptions | undefined {
  if (!options?.tier && !options?.days) return undefined;
  return { ...(options.tier ? { tier: options.tier } : {}), ...(options.days ? { days: options.days } : {}) };
}

/** How a cycle's execution ended without closing the cycle (Step Functions' status, or unknown to it). */
export type ExecutionEnd = 'ABORTED' | 'FAILED' | 'TIMED_OUT' | 'SUCCEEDED' | 'MISSING';

/**
 * Whether an execution in this DescribeExecution status can still move the cycle on.
 * PENDING_REDRIVE is an execution someone is about to redrive: it resumes where it failed.
 */
export function executionEnd(status: string | undefined): ExecutionEnd | undefined {
  switch (status) {
    case 'ABORTED':
    case 'FAILED':
    case 'TIMED_OUT':
    case 'SUCCEEDED':
      return status;
    default:
      return undefined;
  }
}

/** A restored copy with an expiry (Glacier, Deep Archive) enters the expiring-copies index; the reminder or the cycle's end takes it out. */
function leavesExpiringIndex(fields: Partial<ObjectRecord>): boolean {
  return fields.status === 'CLOSED' || fields.status === 'EXPIRED' || fields.expiringNotified === true;
}

/** A write that leaves the record with nothing more to do for its cycle takes it out of the open index. */
function leavesOpenIndex(fields: Partial<ObjectRecord>): boolean {
  return fields.status === 'CLOSED' || fields.status === 'EXPIRED' || fields.readyNotified === true;
}

export type CycleDecision = { action: 'open'; cycle: number; previousCycle?: number } | { action: 'join'; cycle: number };

/**
 * Whether a failed read belongs to the object's current restore cycle or starts a new one.
 * A failed read after the restored copy appeared means the copy has expired (even if the
 * expiry event was lost); one from before belongs to the cycle that restored it.
 */
export function decideCycle(record: ObjectRecord | undefined, readTime: Date): CycleDecision {
  if (!record) return { action: 'open', cycle: 1 };
  const next = { action: 'open', cycle: record.cycle + 1, previousCycle: record.cycle } as const;
  switch (record.status) {
    case 'STARTING':
    case 'RESTORING':
      return { action: 'join', cycle: record.cycle };
    case 'RESTORED':
      return record.restoredAt && readTime.getTime() > Date.parse(record.restoredAt) ? next : { action: 'join', cycle: record.cycle };
    case 'CLOSED':
    case 'EXPIRED':
      return next;
  }
}

/** The ARN of an execution, derived from its state machine's ARN and its name. */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** What the waiting task resumes with, whoever resumes it. */
export function completionOutput(record: Pick<ObjectRecord, 'restoredAt' | 'expiryDate'>, readyHanded = false): { restoredAt?: string; expiryDate?: string; readyHanded: boolean } {
  return { restoredAt: record.restoredAt, expiryDate: record.expiryDate, readyHanded };
}

type Fields = Partial<Omit<ObjectRecord, 'objectId' | 'cycle'>>;
/** Fields that any write may set: the status and a closed cycle's outcome move only through the named transitions. */
type PlainFields = Omit<Fields, 'status' | 'outcome' | 'outcomeReason'> & { status?: never; outcome?: never; outcomeReason?: never };
/** Fields a write sets only when the record has none yet: times that must stay what they were first. */
export type OnceFields = Partial<Pick<ObjectRecord, 'restoredAt' | 'startedNotifiedAt' | 'readyNotifiedAt' | 'failureNotifiedAt' | 'completionConfirmedAt'>>;

export class ObjectRecords {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(objectId: string): Promise<ObjectRecord | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { objectId }, ConsistentRead: true }));
    return out.Item as ObjectRecord | undefined;
  }

  /** The records of these objects (those that have one), a hundred per BatchGetItem. */
  async getMany(objectIds: readonly string[]): Promise<ObjectRecord[]> {
    return (await batchGetAll(
      this.ddb,
      this.table,
      [...new Set(objectIds)].map((objectId) => ({ objectId })),
    )) as unknown as ObjectRecord[];
  }

  /** Starts a new cycle for the object; false when another detection got there first. */
  async openCycle(
    ref: ObjectRef,
    decision: Extract<CycleDecision, { action: 'open' }>,
    fields: { reader: Reader; executionName: string; now: Date; options?: RestoreOptions },
  ): Promise<ObjectRecord | undefined> {
    const now = fields.now.toISOString();
    const options = givenOptions(fields.options);
    const record: ObjectRecord = {
      objectId: objectIdOf(ref),
      bucket: ref.bucket,
      key: ref.key,
      versionId: ref.versionId,
      cycle: decision.cycle,
      status: 'STARTING',
      cycleStartedAt: now,
      executionName: fields.executionName,
      subscribers: { [fields.reader.id]: fields.reader },
      ...(options ? { options } : {}),
      openPartition: OPEN_PARTITION,
      updatedAt: now,
    };
    const condition =
      decision.previousCycle === undefined
        ? { ConditionExpression: 'attribute_not_exists(objectId)' }
        : { ConditionExpression: '#cycle = :previous', ExpressionAttributeNames: { '#cycle': 'cycle' }, ExpressionAttributeValues: { ':previous': decision.previousCycle } };
    return (await unlessConditionFails(() => this.ddb.send(new PutCommand({ TableName: this.table, Item: record, ...condition })))) ? record : undefined;
  }

  /**
   * Replaces a cycle whose execution ended without closing it by the next cycle, carrying its
   * readers over so they still hear when the file is ready. Conditional on the ended cycle
   * still being current, in the status and with the execution it was seen with: of two
   * concurrent repairs one wins, and a start confirmed meanwhile is never replaced. Also
   * conditional on `updatedAt` being the one `ended` carries: a reader who joined since `ended`
   * was read changed it, so the readers copied here are never fewer than the table's.
   * The next cycle keeps the ended one's options unless `options` gives others.
   */
  async replaceEndedCycle(ended: ObjectRecord, fields: { executionName: string; now: Date; reader?: Reader; options?: RestoreOptions }): Promise<ObjectRecord | undefined> {
    const now = fields.now.toISOString();
    const options = givenOptions(fields.options) ?? givenOptions(ended.options);
    const record: ObjectRecord = {
      objectId: ended.objectId,
      bucket: ended.bucket,
      key: ended.key,
      versionId: ended.versionId,
      cycle: ended.cycle + 1,
      status: 'STARTING',
      cycleStartedAt: now,
      executionName: fields.executionName,
      subscribers: { ...ended.subscribers, ...(fields.reader ? { [fields.reader.id]: fields.reader } : {}) },
      ...(options ? { options } : {}),
      openPartition: OPEN_PARTITION,
      updatedAt: now,
    };
    const sameExecution = ended.executionArn ? { expression: 'executionArn = :arn', values: { ':arn': ended.executionArn } } : { expression: 'attribute_not_exists(executionArn)', values: {} };
    const put = () =>
      this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: `#cycle = :cycle AND #status = :status AND updatedAt = :updatedAt AND ${sameExecution.expression}`,
          ExpressionAttributeNames: { '#cycle': 'cycle', '#status': 'status' },
          ExpressionAttributeValues: { ':cycle': ended.cycle, ':status': ended.status, ':updatedAt': ended.updatedAt, ...sameExecution.values },
        }),
      );
    return (await unlessConditionFails(put)) ? record : undefined;
  }

  /**
   * The "ready" notice of a restored cycle could not be handed to the aggregator: the record
   * goes back into the open index without the flag, so the reconciler hands it again.
   */
  async markReadyNoticePending(objectId: string, cycle: number, now: Date): Promise<ObjectRecord | undefined> {
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId },
          UpdateExpression: 'SET openPartition = :open, updatedAt = :now REMOVE readyNotified',
          ConditionExpression: '#cycle = :cycle',
          ExpressionAttributeNames: { '#cycle': 'cycle' },
          ExpressionAttributeValues: { ':open': OPEN_PARTITION, ':cycle': cycle, ':now': now.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out ? (out.Attributes as ObjectRecord) : undefined;
  }

  /** Records of open cycles that started before `startedBefore` (ISO), through the sparse index. */
  async openCyclesStartedBefore(startedBefore: string): Promise<ObjectRecord[]> {
    return allPages<ObjectRecord>((startKey) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: OPEN_CYCLES_INDEX,
          KeyConditionExpression: 'openPartition = :open AND cycleStartedAt < :before',
          ExpressionAttributeValues: { ':open': OPEN_PARTITION, ':before': startedBefore },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
  }

  /**
   * Adds a reader to the cycle's subscribers. Returns the record as it was before, so the
   * caller knows which notices already went out to the others; undefined if the cycle moved on.
   */
  async addSubscriber(objectId: string, cycle: number, reader: Reader, now: Date): Promise<ObjectRecord | undefined> {
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId },
          UpdateExpression: 'SET subscribers.#reader = :reader, updatedAt = :now',
          ConditionExpression: '#cycle = :cycle',
          ExpressionAttributeNames: { '#reader': reader.id, '#cycle': 'cycle' },
          ExpressionAttributeValues: { ':reader': reader, ':cycle': cycle, ':now': now.toISOString() },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out ? (out.Attributes as ObjectRecord) : undefined;
  }

  /** The restore was asked of S3 (or found running): STARTING or RESTORING moves to RESTORING, never back from RESTORED. */
  async markRestoring(
    objectId: string,
    cycle: number,
    fields: Pick<Fields, 'tier' | 'restoreDays' | 'expectedReadyAt' | 'policyRule' | 'costMicroUsd' | 'downgradedToBulk' | 'startedNotified' | 'taskToken'>,
    options: { setIfAbsent?: OnceFields } = {},
  ): Promise<ObjectRecord | undefined> {
    return this.write(objectId, cycle, { ...fields, status: 'RESTORING' }, { onlyIfStatus: ['STARTING', 'RESTORING'], setIfAbsent: options.setIfAbsent });
  }

  /**
   * The restored copy is readable. `from` limits the statuses it may come from (none: any);
   * `dropTaskToken` forgets the waiting task's token when nobody will resume it any more.
   */
  async markRestored(
    objectId: string,
    cycle: number,
    fields: PlainFields,
    options: { from?: RecordStatus[]; dropTaskToken?: boolean; setIfAbsent?: OnceFields } = {},
  ): Promise<ObjectRecord | undefined> {
    const expiring = fields.expiryDate ? ({ expiringPartition: EXPIRING_PARTITION } as const) : {};
    return this.write(
      objectId,
      cycle,
      { ...fields, ...expiring, status: 'RESTORED' },
      { onlyIfStatus: options.from, remove: options.dropTaskToken ? ['taskToken'] : [], setIfAbsent: options.setIfAbsent },
    );
  }

  /** The cycle ends without a restored copy; it leaves the open index and the task token goes. */
  async close(objectId: string, cycle: number, outcome: CloseOutcome, reason: string): Promise<ObjectRecord | undefined> {
    return this.write(objectId, cycle, { status: 'CLOSED', outcome, outcomeReason: reason }, { remove: ['taskToken'] });
  }

  /**
   * The cycle's restore waits for a person: the waiting task's token is kept with the request.
   * Not over a decision already made (a retried step must not reopen it); undefined then, or
   * when the record is on another cycle.
   */
  async requestApproval(objectId: string, cycle: number, request: { reason: string; requestedAt: Date; taskToken: string; costMicroUsd?: number }): Promise<ObjectRecord | undefined> {
    const approval: ApprovalState = {
      decision: 'PENDING',
      reason: request.reason,
      requestedAt: request.requestedAt.toISOString(),
      taskToken: request.taskToken,
      ...(request.costMicroUsd !== undefined ? { costMicroUsd: request.costMicroUsd } : {}),
    };
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId },
          UpdateExpression: 'SET approval = :approval, updatedAt = :now',
          ConditionExpression: '#cycle = :cycle AND (attribute_not_exists(approval) OR approval.decision = :pending)',
          ExpressionAttributeNames: { '#cycle': 'cycle' },
          ExpressionAttributeValues: { ':approval': approval, ':cycle': cycle, ':pending': 'PENDING', ':now': request.requestedAt.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out ? (out.Attributes as ObjectRecord) : undefined;
  }

  /**
   * A person (or the expiry) decides a pending approval. Only one decision is ever taken: the
   * write holds only while the request is pending with this task token, so two approvers
   * racing, or an approval racing the expiry, leave exactly one. Returns the record after it.
   */
  async decideApproval(
    objectId: string,
    cycle: number,
    taskToken: string,
    decision: { decision: 'APPROVED' | 'DENIED' | 'EXPIRED'; by: string; reason?: string; decidedAt: Date },
  ): Promise<ObjectRecord | undefined> {
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId },
          UpdateExpression: `SET approval.decision = :decision, approval.#by = :by, approval.decidedAt = :at, updatedAt = :at${decision.reason ? ', approval.decisionReason = :reason' : ''}`,
          ConditionExpression: '#cycle = :cycle AND approval.decision = :pending AND approval.taskToken = :token',
          ExpressionAttributeNames: { '#cycle': 'cycle', '#by': 'by' },
          ExpressionAttributeValues: {
            ':decision': decision.decision,
            ':by': decision.by,
            ':at': decision.decidedAt.toISOString(),
            ':cycle': cycle,
            ':pending': 'PENDING',
            ':token': taskToken,
            ...(decision.reason ? { ':reason': decision.reason } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out ? (out.Attributes as ObjectRecord) : undefined;
  }

  /** S3 removed the restored copy: only a RESTORED cycle expires. */
  async expire(objectId: string, cycle: number): Promise<ObjectRecord | undefined> {
    return this.write(objectId, cycle, { status: 'EXPIRED' }, { onlyIfStatus: ['RESTORED'], remove: ['taskToken'] });
  }

  /** RestoreObject again on the restored copy moved its expiry: only a RESTORED cycle's expiry moves. */
  async extendExpiry(objectId: string, cycle: number, expiryDate: string): Promise<ObjectRecord | undefined> {
    // Back in the expiring-copies index at its new expiry; a reminder already sent this cycle is not sent again (notices are once per cycle).
    return this.write(objectId, cycle, { expiryDate, expiringPartition: EXPIRING_PARTITION }, { onlyIfStatus: ['RESTORED'] });
  }

  /** Restored copies (still to be reminded of) that expire before `before` (ISO), through the sparse index. */
  async copiesExpiringBefore(before: string): Promise<ObjectRecord[]> {
    return allPages<ObjectRecord>((startKey) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: EXPIRING_COPIES_INDEX,
          KeyConditionExpression: 'expiringPartition = :p AND expiryDate < :before',
          ExpressionAttributeValues: { ':p': EXPIRING_PARTITION, ':before': before },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
  }

  /** The expiry of the first copy in the expiring-copies index that expires at or after `from` (ISO), if any: one item read. */
  async firstExpiryFrom(from: string): Promise<string | undefined> {
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: EXPIRING_COPIES_INDEX,
        KeyConditionExpression: 'expiringPartition = :p AND expiryDate >= :from',
        ExpressionAttributeValues: { ':p': EXPIRING_PARTITION, ':from': from },
        Limit: 1,
      }),
    );
    return out.Items?.[0]?.expiryDate as string | undefined;
  }

  /**
   * Out of the expiring-copies index without a reminder (the copy is already gone, or the cycle
   * moved on). A record deleted meanwhile stays deleted: an update would otherwise create it bare.
   */
  async dropExpiryReminder(objectId: string): Promise<void> {
    await unlessConditionFails(() =>
      this.ddb.send(new UpdateCommand({ TableName: this.table, Key: { objectId }, UpdateExpression: 'REMOVE expiringPartition', ConditionExpression: 'attribute_exists(objectId)' })),
    );
  }

  /**
   * Sets fields other than the status on the record of this cycle (the status moves only
   * through the transitions above) and returns the record after the write, or undefined when
   * the record is on another cycle.
   */
  async update(objectId: string, cycle: number, fields: PlainFields, options: { remove?: (keyof ObjectRecord)[]; setIfAbsent?: OnceFields } = {}): Promise<ObjectRecord | undefined> {
    return this.write(objectId, cycle, fields, options);
  }

  /**
   * The one conditional write: sets `fields` on this cycle's record if its status is one of
   * `onlyIfStatus` (when given), sets each of `setIfAbsent` only where the record has no value
   * yet (so a retried step keeps the first one), and takes the record out of the open index
   * when the write leaves it nothing more to do.
   */
  private async write(
    objectId: string,
    cycle: number,
    fields: Fields,
    options: { remove?: (keyof ObjectRecord)[]; onlyIfStatus?: RecordStatus[]; setIfAbsent?: OnceFields } = {},
  ): Promise<ObjectRecord | undefined> {
    const names: Record<string, string> = { '#cycle': 'cycle' };
    const values: Record<string, unknown> = { ':cycle': cycle };
    const sets = Object.entries(fields as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([field, value], i) => {
        names[`#f${i}`] = field;
        values[`:v${i}`] = value;
        return `#f${i} = :v${i}`;
      });
    Object.entries((options.setIfAbsent ?? {}) as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .forEach(([field, value], i) => {
        names[`#o${i}`] = field;
        values[`:o${i}`] = value;
        sets.push(`#o${i} = if_not_exists(#o${i}, :o${i})`);
      });
    let condition = '#cycle = :cycle';
    if (options.onlyIfStatus) {
      names['#status'] = 'status';
      const placeholders = options.onlyIfStatus.map((s, i) => {
        values[`:s${i}`] = s;
        return `:s${i}`;
      });
      condition += ` AND #status IN (${placeholders.join(', ')})`;
    }
    const removed = [...(options.remove ?? []), ...(leavesOpenIndex(fields) ? (['openPartition'] as const) : []), ...(leavesExpiringIndex(fields) ? (['expiringPartition'] as const) : [])];
    const removes = removed.map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
    const out = await unlessConditionFails(() =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { objectId },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out ? (out.Attributes as ObjectRecord) : undefined;
  }
}
