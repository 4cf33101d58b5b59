/**
 * A person ordering a restore (the CLI's restore and get, the library's getObjectOrRestore):
 * the same start-or-join as a detected read, plus the audit entry that says who asked for it.
 */
import type { ObjectRef } from '../rules/object-id.js';
import type { Reader } from '../rules/reader.js';
import { startOrJoinRestore, type RestoreOptions, type RestoreStart, type RestoreStartDeps } from './start-restore.js';

/** The reader a person ordering a restore becomes: their access key, or the address they asked the notices to go to. */
export function ordererReader(accessKeyId: string, notify?: string): Reader {
  return { id: notify ? `email:${notify}` : accessKeyId, accessKeyId, ...(notify ? { email: notify } : {}) };
}

/** Starts or joins the object's restore for `reader` and records that a person ordered it (`via` names the entry point). */
export async function orderRestore(deps: RestoreStartDeps, ref: ObjectRef, reader: Reader, options: RestoreOptions = {}, via?: string): Promise<RestoreStart> {
  const now = deps.now();
  const started = await startOrJoinRestore(deps, ref, reader, now, options);
  await deps.audit.record({
    objectId: started.objectId,
    time: now,
    type: 'RESTORE_ORDERED',
    cycle: started.cycle,
    detail: { by: reader.accessKeyId ?? reader.id, notify: reader.email, ...(via ? { via } : {}), tier: options.tier, days: options.days },
  });
  return started;
}
