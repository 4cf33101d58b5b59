/**
 * The sparse indexes the console queries, named as the stores name them
 * (functions/domain/stores/records.ts and notices.ts, whose imports need Node.js; a unit test
 * keeps the two in step).
 */
export const OPEN_CYCLES_INDEX = 'open-cycles';
export const OPEN_PARTITION = 'OPEN';
export const PENDING_INDEX = 'pending';
export const PENDING_PARTITION = 'PENDING';
