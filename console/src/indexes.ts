/**
 * The sparse indexes and the cost ledger's items the console queries, named as the stores name
 * them (functions/domain/stores/records.ts, notices.ts and ledger.ts, whose imports need Node.js;
 * a unit test keeps the two in step).
 */
export const OPEN_CYCLES_INDEX = 'open-cycles';
export const OPEN_PARTITION = 'OPEN';
export const PENDING_INDEX = 'pending';
export const PENDING_PARTITION = 'PENDING';

/** The partition of a month's cost counters (`YYYY-MM`, UTC) and the item holding its total. */
export const ledgerPartitionOf = (month: string) => `#ledger#${month}`;
export const LEDGER_TOTAL = 'total';
