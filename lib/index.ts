/** The library: `import { getObjectOrRestore } from 's3-autorestore'`. */
export { getObjectOrRestore, type GetObjectOrRestoreDeps, type GetObjectOrRestoreResult } from './get-object-or-restore.js';
export { AuditLog } from '../functions/shared/audit.js';
export { NoticeBook } from '../functions/shared/notices.js';
export { ObjectRecords } from '../functions/shared/records.js';
export type { Reader } from '../functions/shared/reader.js';
