/**
 * The monthly cost ledger: atomic counters per month, and per month and bucket or tier, kept in
 * the audit table under a partition of their own per month (`#ledger#YYYY-MM`). Amounts are
 * micro-dollars. Each restore's charge is marked (in `#ledger#YYYY-MM#charges`) so that a retried
 * step counts once; the marker names the bucket, reader and tier it was counted under, which a
 * refund takes it back from. A month's figures are two Queries (its counters, its markers); nothing is ever scanned.
 *
 * The month's total doubles as the budget counter: a charge under a budget is one conditional
 * ADD (`total + cost <= budget`), which DynamoDB applies to the item one write at a time, so
 * two restores racing for the last of the budget never both pass.
 *
 * Buckets and tiers are few, so their counters are attributes of the total's item, added in
 * the same write (a charge is two writes: marker, total). Readers are unbounded, so the total's
 * item does not hold them: a reader's figures are the sum of the markers naming them
 * (`countsReader`), read only for the month's figures, an operator's command. Months written
 * before kept counters as items of their own (`bucket#<name>`, `tier#<name>`, `reader#<id>`):
 * they still read, added to the lines of the same name; a marker written before counts for its
 * reader through such an item, not by itself.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RestoreTier } from '../rules/archive.js';
import { allPages, conditionHeld, unlessConditionFails } from './dynamodb.js';

export const LEDGER_DIMENSIONS = ['bucket', 'reader', 'tier'] as const;
export type LedgerDimension = (typeof LEDGER_DIMENSIONS)[number];

/** The sort key of a month's total (the console's overview reads it too). */
export const LEDGER_TOTAL = 'total';
const TOTAL = LEDGER_TOTAL;
const CHARGE_PREFIX = 'charge#';
/** The dimensions counted on the total's item; the others keep an item per name. */
const ON_TOTAL: readonly LedgerDimension[] = ['bucket', 'tier'];
/** `microUsd#bucket#photos`, `restores#tier#Bulk`: a counter on the total's item. */
const COUNTER_ATTRIBUTE = /^(microUsd|restores)#([a-z]+)#(.*)$/s;

/** The partition of a month's counters: not an object id (those start with a bucket name, which cannot start with '#'). */
export function ledgerPartitionOf(month: string): string {
  return `#ledger#${month}`;
}

export interface Charge {
  /** `YYYY-MM`, UTC. */
  month: string;
  /** Names the restore (object and cycle): a retried charge is counted once. */
  chargeId: string;
  bucket: string;
  readerId: string;
  tier: RestoreTier;
  microUsd: number;
}

export type ChargeResult = 'CHARGED' | 'ALREADY_CHARGED' | 'OVER_BUDGET';

export interface LedgerLine {
  name: string;
  microUsd: number;
  restores: number;
}

export interface MonthFigures {
  month: string;
  total: LedgerLine;
  by: Record<LedgerDimension, LedgerLine[]>;
}

interface CounterItem {
  at: string;
  microUsd?: number;
  restores?: number;
}

/** A charge's marker: what it was counted under. Markers written before have no `countsReader` (their reader has a counter item), the oldest no names. */
interface ChargeMarker {
  chargeId: string;
  microUsd: number;
  bucket?: string;
  readerId?: string;
  tier?: RestoreTier;
  countsReader?: boolean;
}

export class CostLedger {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Adds a restore's cost to its month. With a budget (micro-dollars), only if the month's total
   * stays within it. A charge already made (same chargeId) is not made again.
   */
  async charge(charge: Charge, budgetMicroUsd?: number): Promise<ChargeResult> {
    // The condition below holds for a month's first charge, whose counter does not exist yet.
    if (budgetMicroUsd !== undefined && charge.microUsd > budgetMicroUsd) return 'OVER_BUDGET';
    const partition = ledgerPartitionOf(charge.month);
    const marker = this.markerKey(charge);
    const claimed = await conditionHeld(() =>
      this.ddb.send(
        new PutCommand({
          TableName: this.table,
          // The counters it was added to, so that a refund takes it back from those, whatever a later step names.
          Item: { ...marker, chargeId: charge.chargeId, microUsd: charge.microUsd, bucket: charge.bucket, readerId: charge.readerId, tier: charge.tier, countsReader: true },
          ConditionExpression: 'attribute_not_exists(objectId)',
        }),
      ),
    );
    if (!claimed) return 'ALREADY_CHARGED';
    const withinBudget = await conditionHeld(() => this.add(partition, TOTAL, charge.microUsd, budgetMicroUsd, 1, onTotal(charge)));
    if (!withinBudget) {
      // Nothing was counted: free the marker so that an approved retry of the same restore can be charged.
      await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: marker }));
      return 'OVER_BUDGET';
    }
    return 'CHARGED';
  }

  /**
   * Takes back a charge whose restore S3 never ran (it refused the request, or a cheaper tier
   * replaced it). Only a charge still on the books is taken back, once: false otherwise.
   */
  async refund(charge: Charge): Promise<boolean> {
    const partition = ledgerPartitionOf(charge.month);
    const removed = await unlessConditionFails(() =>
      this.ddb.send(
        new DeleteCommand({
          TableName: this.table,
          Key: this.markerKey(charge),
          ConditionExpression: 'attribute_exists(objectId) AND microUsd = :cost',
          ExpressionAttributeValues: { ':cost': charge.microUsd },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!removed) return false;
    // Taken back from the counters the charge was added to (a retried step may name another reader,
    // read from the record later); markers written before they kept those names fall back to the caller's.
    const marked = (removed.Attributes ?? {}) as Partial<ChargeMarker>;
    const charged: Charge = { ...charge, bucket: marked.bucket ?? charge.bucket, readerId: marked.readerId ?? charge.readerId, tier: marked.tier ?? charge.tier };
    await this.add(partition, TOTAL, -charge.microUsd, undefined, -1, onTotal(charged));
    // A marker that counted for its reader took the reader's share with it; one written before counted through the reader's item.
    if (!marked.countsReader) await this.add(partition, `reader#${charged.readerId}`, -charge.microUsd, undefined, -1);
    return true;
  }

  /** Charge markers live in a partition of their own, so charging and the console's total never read one per restore. */
  private markerKey(charge: Pick<Charge, 'month' | 'chargeId'>) {
    return { objectId: chargesPartitionOf(charge.month), at: `${CHARGE_PREFIX}${createHash('sha256').update(charge.chargeId).digest('hex').slice(0, 32)}` };
  }

  /** ADDs to one counter item, and to the `names` counted as attributes of it (the total's bucket and tier). */
  private add(partition: string, at: string, microUsd: number, budgetMicroUsd?: number, restores = 1, names: string[] = []) {
    const budgeted = budgetMicroUsd !== undefined;
    // Bucket names and tiers reach the expression only as attribute names and values, never as its text.
    const attributes: Record<string, string> = {};
    names.forEach((name, i) => {
      attributes[`#u${String(i)}`] = `microUsd#${name}`;
      attributes[`#n${String(i)}`] = `restores#${name}`;
    });
    const adds = names.map((_, i) => `#u${String(i)} :cost, #n${String(i)} :one`);
    return this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { objectId: partition, at },
        UpdateExpression: `ADD ${['microUsd :cost, restores :one', ...adds].join(', ')}`,
        ...(names.length > 0 ? { ExpressionAttributeNames: attributes } : {}),
        ...(budgeted ? { ConditionExpression: 'attribute_not_exists(microUsd) OR microUsd <= :room' } : {}),
        ExpressionAttributeValues: { ':cost': microUsd, ':one': restores, ...(budgeted ? { ':room': budgetMicroUsd - microUsd } : {}) },
      }),
    );
  }

  /** What the month has spent so far, in micro-dollars. */
  async spent(month: string): Promise<number> {
    return (await this.month(month)).total.microUsd;
  }

  /**
   * The month's figures: a Query of its counters (the total with its bucket and tier counters;
   * items written before), and one of its charge markers, the readers' figures.
   */
  async month(month: string): Promise<MonthFigures> {
    const [items, markers] = await Promise.all([this.partition<CounterItem>(ledgerPartitionOf(month)), this.partition<ChargeMarker>(chargesPartitionOf(month))]);
    const line = (name: string, item: CounterItem): LedgerLine => ({ name, microUsd: item.microUsd ?? 0, restores: item.restores ?? 0 });
    const by = Object.fromEntries(LEDGER_DIMENSIONS.map((d) => [d, new Map<string, LedgerLine>()])) as Record<LedgerDimension, Map<string, LedgerLine>>;
    const lineOf = (dimension: LedgerDimension, name: string) => {
      const existing = by[dimension].get(name);
      if (existing) return existing;
      const created = { name, microUsd: 0, restores: 0 };
      by[dimension].set(name, created);
      return created;
    };
    let total: LedgerLine = { name: TOTAL, microUsd: 0, restores: 0 };
    for (const item of items) {
      if (item.at === TOTAL) {
        total = line(TOTAL, item);
        for (const [attribute, value] of Object.entries(item)) {
          const counter = COUNTER_ATTRIBUTE.exec(attribute);
          const dimension = LEDGER_DIMENSIONS.find((d) => d === counter?.[2]);
          if (!counter || !dimension || typeof value !== 'number') continue;
          lineOf(dimension, counter[3]!)[counter[1] as 'microUsd' | 'restores'] += value;
        }
        continue;
      }
      // A counter item: a reader's, or a bucket's or tier's written before they moved onto the total.
      const dimension = LEDGER_DIMENSIONS.find((d) => item.at.startsWith(`${d}#`));
      if (!dimension) continue;
      const counted = lineOf(dimension, item.at.slice(dimension.length + 1));
      counted.microUsd += item.microUsd ?? 0;
      counted.restores += item.restores ?? 0;
    }
    for (const marker of markers) {
      if (!marker.countsReader || marker.readerId === undefined) continue;
      const counted = lineOf('reader', marker.readerId);
      counted.microUsd += marker.microUsd;
      counted.restores += 1;
    }
    const sorted = (lines: Map<string, LedgerLine>) => [...lines.values()].sort((a, b) => b.microUsd - a.microUsd || a.name.localeCompare(b.name));
    return { month, total, by: { bucket: sorted(by.bucket), reader: sorted(by.reader), tier: sorted(by.tier) } };
  }

  private partition<T>(partition: string): Promise<T[]> {
    return allPages<T>((startKey) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'objectId = :p',
          ExpressionAttributeValues: { ':p': partition },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
  }
}

/** The partition of a month's charge markers, apart from its counters. */
function chargesPartitionOf(month: string): string {
  return `${ledgerPartitionOf(month)}#charges`;
}

/** The counters of a charge kept as attributes of the month's total: `bucket#<name>`, `tier#<name>`. */
function onTotal(charge: Charge): string[] {
  const names: Record<LedgerDimension, string> = { bucket: charge.bucket, reader: charge.readerId, tier: charge.tier };
  return ON_TOTAL.map((d) => `${d}#${names[d]}`);
}
