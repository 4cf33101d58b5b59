/**
 * The monthly cost ledger: atomic counters per month, and per month and bucket, reader or
 * tier, kept in the audit table under a partition of their own per month (`#ledger#YYYY-MM`),
 * so a month's figures are one Query and nothing is ever scanned. Amounts are micro-dollars. Each
 * restore's charge is marked (in `#ledger#YYYY-MM#charges`) so that a retried step counts once.
 *
 * The month's total doubles as the budget counter: a charge under a budget is one conditional
 * ADD (`total + cost <= budget`), which DynamoDB applies to the item one write at a time, so
 * two restores racing for the last of the budget never both pass.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RestoreTier } from '../rules/archive.js';
import { allPages, conditionHeld } from './dynamodb.js';

export const LEDGER_DIMENSIONS = ['bucket', 'reader', 'tier'] as const;
export type LedgerDimension = (typeof LEDGER_DIMENSIONS)[number];

/** The sort key of a month's total (the console's overview reads it too). */
export const LEDGER_TOTAL = 'total';
const TOTAL = LEDGER_TOTAL;
const CHARGE_PREFIX = 'charge#';

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
      this.ddb.send(new PutCommand({ TableName: this.table, Item: { ...marker, chargeId: charge.chargeId, microUsd: charge.microUsd }, ConditionExpression: 'attribute_not_exists(objectId)' })),
    );
    if (!claimed) return 'ALREADY_CHARGED';
    const withinBudget = await conditionHeld(() => this.add(partition, TOTAL, charge.microUsd, budgetMicroUsd));
    if (!withinBudget) {
      // Nothing was counted: free the marker so that an approved retry of the same restore can be charged.
      await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: marker }));
      return 'OVER_BUDGET';
    }
    const names: Record<LedgerDimension, string> = { bucket: charge.bucket, reader: charge.readerId, tier: charge.tier };
    await Promise.all(LEDGER_DIMENSIONS.map((d) => this.add(partition, `${d}#${names[d]}`, charge.microUsd)));
    return 'CHARGED';
  }

  /**
   * Takes back a charge whose restore S3 never ran (it refused the request, or a cheaper tier
   * replaced it). Only a charge still on the books is taken back, once: false otherwise.
   */
  async refund(charge: Charge): Promise<boolean> {
    const partition = ledgerPartitionOf(charge.month);
    const removed = await conditionHeld(() =>
      this.ddb.send(
        new DeleteCommand({
          TableName: this.table,
          Key: this.markerKey(charge),
          ConditionExpression: 'attribute_exists(objectId) AND microUsd = :cost',
          ExpressionAttributeValues: { ':cost': charge.microUsd },
        }),
      ),
    );
    if (!removed) return false;
    const names: Record<LedgerDimension, string> = { bucket: charge.bucket, reader: charge.readerId, tier: charge.tier };
    await Promise.all([TOTAL, ...LEDGER_DIMENSIONS.map((d) => `${d}#${names[d]}`)].map((at) => this.add(partition, at, -charge.microUsd, undefined, -1)));
    return true;
  }

  /** Charge markers live in a partition of their own, so reading a month's counters never reads one per restore. */
  private markerKey(charge: Pick<Charge, 'month' | 'chargeId'>) {
    return { objectId: `${ledgerPartitionOf(charge.month)}#charges`, at: `${CHARGE_PREFIX}${createHash('sha256').update(charge.chargeId).digest('hex').slice(0, 32)}` };
  }

  private add(partition: string, at: string, microUsd: number, budgetMicroUsd?: number, restores = 1) {
    const budgeted = budgetMicroUsd !== undefined;
    return this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { objectId: partition, at },
        UpdateExpression: 'ADD microUsd :cost, restores :one',
        ...(budgeted ? { ConditionExpression: 'attribute_not_exists(microUsd) OR microUsd <= :room' } : {}),
        ExpressionAttributeValues: { ':cost': microUsd, ':one': restores, ...(budgeted ? { ':room': budgetMicroUsd - microUsd } : {}) },
      }),
    );
  }

  /** What the month has spent so far, in micro-dollars. */
  async spent(month: string): Promise<number> {
    return (await this.month(month)).total.microUsd;
  }

  /** The month's counters: one Query of its partition (a handful of items per bucket, reader and tier). */
  async month(month: string): Promise<MonthFigures> {
    const items = await allPages<CounterItem>((startKey) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'objectId = :p',
          ExpressionAttributeValues: { ':p': ledgerPartitionOf(month) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    const line = (name: string, item: CounterItem): LedgerLine => ({ name, microUsd: item.microUsd ?? 0, restores: item.restores ?? 0 });
    const by = Object.fromEntries(LEDGER_DIMENSIONS.map((d) => [d, [] as LedgerLine[]])) as Record<LedgerDimension, LedgerLine[]>;
    let total: LedgerLine = { name: TOTAL, microUsd: 0, restores: 0 };
    for (const item of items) {
      if (item.at === TOTAL) total = line(TOTAL, item);
      const dimension = LEDGER_DIMENSIONS.find((d) => item.at.startsWith(`${d}#`));
      if (dimension) by[dimension].push(line(item.at.slice(dimension.length + 1), item));
    }
    for (const lines of Object.values(by)) lines.sort((a, b) => b.microUsd - a.microUsd || a.name.localeCompare(b.name));
    return { month, total, by };
  }
}
