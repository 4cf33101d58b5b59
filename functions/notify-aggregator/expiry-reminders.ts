/**
 * "Expires soon" reminders. Each tick asks the sparse expiring-copies index for the restored
 * Glacier / Deep Archive copies that expire within the reminder lead, and queues one
 * "expiring" notice per reader of each (notices are keyed by object, cycle and kind, so a reader
 * hears it once per cycle however many ticks see the copy); the batching then sends them like
 * any other notice, one email per person. The cost is one Query per tick plus, per copy, one
 * conditional write to the record and one notice per reader.
 */
import type { AggregatorDeps, enqueueNotices } from './aggregator.js';

type ReminderDeps = Pick<AggregatorDeps, 'records' | 'notices' | 'audit' | 'now' | 'log' | 'expiryReminderMs'>;

/** `enqueue` is the aggregator's own enqueueNotices: the reminder is queued exactly as the workflow's notices are. */
export async function queueExpiryReminders(deps: ReminderDeps, enqueue: typeof enqueueNotices): Promise<{ copies: number; queued: number }> {
  if (!deps.expiryReminderMs || deps.expiryReminderMs <= 0) return { copies: 0, queued: 0 };
  const now = deps.now();
  const due = await deps.records.copiesExpiringBefore(new Date(now.getTime() + deps.expiryReminderMs).toISOString());
  let queued = 0;
  for (const record of due) {
    // A copy already gone, or a cycle no longer restored, needs no reminder: it only leaves the index.
    if (record.status !== 'RESTORED' || !record.expiryDate || Date.parse(record.expiryDate) <= now.getTime()) {
      await deps.records.dropExpiryReminder(record.objectId);
      continue;
    }
    try {
      queued += (await enqueue({ action: 'enqueue', kind: 'expiring', objectId: record.objectId, cycle: record.cycle }, deps)).queued;
    } catch (err) {
      // The record moved to another cycle since the index was read: that cycle has its own reminder.
      deps.log.warn('expiry reminder not queued', { objectId: record.objectId, cycle: record.cycle, error: (err as Error).message });
    }
  }
  return { copies: due.length, queued };
}
