/**
 * The four tables' keys and indexes as plain data: the CDK construct deploys them and the
 * local cloud and tests create them from the same definitions.
 */
import { PENDING_INDEX } from '../functions/domain/stores/notices.js';
import { EXPIRING_COPIES_INDEX, OPEN_CYCLES_INDEX } from '../functions/domain/stores/records.js';

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
  /** Global secondary indexes, all projecting every attribute. */
  indexes?: { name: string; partitionKey: string; sortKey?: string }[];
}

export const TABLES = {
  objects: {
    partitionKey: 'objectId',
    // Sparse: only cycles still open carry the partition attribute, so the reconciler reads those alone.
    // Sparse too: only restored copies whose readers are still to be reminded of the expiry, by expiry.
    indexes: [
      { name: OPEN_CYCLES_INDEX, partitionKey: 'openPartition', sortKey: 'cycleStartedAt' },
      { name: EXPIRING_COPIES_INDEX, partitionKey: 'expiringPartition', sortKey: 'expiryDate' },
    ],
  },
  principals: { partitionKey: 'principal' },
  notices: {
    partitionKey: 'readerId',
    sortKey: 'noticeKey',
    // Sparse: only pending notices carry the partition attribute, so the tick reads what is pending.
    indexes: [{ name: PENDING_INDEX, partitionKey: 'pendingPartition', sortKey: 'createdAt' }],
  },
  audit: { partitionKey: 'objectId', sortKey: 'at' },
} as const satisfies Record<string, TableDefinition>;

export type TableRole = keyof typeof TABLES;

/** The CreateTable request for one table (string keys, on-demand), as the local cloud and tests send it. */
export function createTableInput(role: TableRole, tableName: string) {
  const def: TableDefinition = TABLES[role];
  const keys = (pk: string, sk?: string) => [{ AttributeName: pk, KeyType: 'HASH' as const }, ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' as const }] : [])];
  const attributes = new Set([def.partitionKey, def.sortKey, ...(def.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])].filter((a): a is string => Boolean(a)));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    KeySchema: keys(def.partitionKey, def.sortKey),
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    ...(def.indexes?.length
      ? { GlobalSecondaryIndexes: def.indexes.map((i) => ({ IndexName: i.name, KeySchema: keys(i.partitionKey, i.sortKey), Projection: { ProjectionType: 'ALL' as const } })) }
      : {}),
  };
}
