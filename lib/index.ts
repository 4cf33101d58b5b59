/** The library: `import { getObjectOrRestore } from 's3-autorestore'`. */
export { getObjectOrRestore, type GetObjectOrRestoreDeps, type GetObjectOrRestoreResult } from './get-object-or-restore.js';
export { checkRestoreRequest, InvalidRestoreRequestError, RESTORE_DAYS, type RestoreRequestOptions } from './restore-request.js';
export { AuditLog } from '../functions/domain/stores/audit.js';
export { NoticeBook } from '../functions/domain/stores/notices.js';
export { ObjectRecords } from '../functions/domain/stores/records.js';
export type { Reader } from '../functions/domain/rules/reader.js';
/** The DynamoDB client the repositories expect (undefined attributes are left out, as the functions do). */
export { documentClient } from '../functions/domain/wiring/document-client.js';
export { decideRestore, matchRule, resolvePolicy, restorePolicySchema, type PolicyDecision, type RestorePolicy, type RestorePolicyConfig } from '../functions/domain/rules/restore-policy.js';
export { restoreCost, type RestoreCost, type RestorePrices } from '../functions/domain/rules/restore-cost.js';
