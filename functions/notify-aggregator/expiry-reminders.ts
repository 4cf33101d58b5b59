/**
 * "Expires soon" reminders. Each tick asks the sparse expiring-copies index for the restored
 * Glacier / Deep Archive copies that expire within the reminder lead, and queues one
 * "expiring" notice per reader of each (notices are keyed by object, cycle and kind, so a reader
 * hears it once per cycle however many ticks see the copy), except readers whose address opted
 * out; the batching then sends them like any other notice, one email per person. The cost is
 * one Query per look at the index plus, per copy, one conditional write to the record, one
 * BatchGetItem for the readers' addresses and their opt-outs, and one notice per reader.
 *
 * The index is not looked at every tick, only when a reminder can be due: each look also reads
 * the first copy not yet due (one item), and the tick leaves on its lease when that copy's
 * reminder falls due. A copy that enters the index later reaches its readers through a notice
 * ("ready", an extension) that a tick reads anyway, and that notice's expiry brings the next look
 * forward. However far the next copy is, the index is looked at again within half the reminder
 * lead, so a copy that entered it some other way is still reminded well before it expires. The
 * lease also keeps when the index was last looked at: a notice queued well before that look (one
 * still pending because its reader has no address yet) does not bring the next look forward again.
 */
import type { AggregatorDeps } from './aggregator.js';
import { describeReader } from '../domain/rules/reader.js';
import { noticeFileOf, type Notice } from '../domain/stores/notices.js';

type ReminderDeps = Pick<AggregatorDeps, 'records' | 'notices' | 'principals' | 'audit' | 'now' | 'expiryReminderMs' | 'reminderOptOuts'>;

export async function queueExpiryReminders(deps: ReminderDeps): Promise<{ copies: number; queued: number; optedOut: number }> {
  if (!deps.expiryReminderMs || deps.expiryReminderMs <= 0) return { copies: 0, queued: 0, optedOut: 0 };
  const now = deps.now();
  const due = await deps.records.copiesExpiringBefore(new Date(now.getTime() + deps.expiryReminderMs).toISOString());
  let queued = 0;
  let optedOut = 0;
  for (const found of due) {
    // A copy already gone, or a cycle no longer restored, needs no reminder: it only leaves the index.
    if (found.status !== 'RESTORED' || !found.expiryDate || Date.parse(found.expiryDate) <= now.getTime()) {
      await deps.records.dropExpiryReminder(found.objectId);
      continue;
    }
    // Setting the flag (which takes the record out of the index) returns the readers as they are now.
    const record = await deps.records.update(found.objectId, found.cycle, { expiringNotified: true });
    if (!record) continue; // the object moved to another cycle since the index was read: that cycle has its own reminder
    const readers = Object.values(record.subscribers);
    const emails = await deps.principals.resolve(readers);
    const declined = (await deps.reminderOptOuts?.optedOut([...emails.values()])) ?? new Set<string>();
    const skipped = readers.filter((r) => declined.has(emails.get(r.id)?.toLowerCase() ?? ''));
    const file = noticeFileOf(record);
    const reminded = readers.filter((r) => !skipped.includes(r));
    queued += await deps.notices.enqueueAll(reminded, 'expiring', file, now);
    optedOut += skipped.length;
    await deps.audit.record({
      objectId: record.objectId,
      time: now,
      type: 'NOTICES_QUEUED',
      cycle: record.cycle,
      dedupeKey: `notices#${record.cycle}#expiring`,
      detail: { kind: 'expiring', expiryDate: record.expiryDate, readers: reminded.map(describeReader), optedOut: skipped.map(describeReader) },
    });
  }
  return { copies: due.length, queued, optedOut };
}

/**
 * Queues the reminders that are due if the index needs a look (`checkAt` absent or past), and
 * answers when it next needs one (undefined when reminders are off).
 */
export async function queueExpiryRemindersIfDue(deps: ReminderDeps, checkAt: number | undefined): Promise<number | undefined> {
  const lead = deps.expiryReminderMs ?? 0;
  if (lead <= 0) return undefined;
  const now = deps.now().getTime();
  if (checkAt !== undefined && checkAt > now) return checkAt;
  await queueExpiryReminders(deps);
  const latest = now + lead / 2;
  const next = await deps.records.firstExpiryFrom(new Date(now + lead).toISOString());
  return next === undefined ? latest : Math.min(latest, reminderTimeOf(next, lead));
}

/** How long after a record is written the index may still not show it (DynamoDB's global secondary indexes are eventually consistent). */
const INDEX_LAG_MS = 60_000;

/**
 * The next look at the index, brought forward to the reminder time of each copy these notices
 * hand to a reader. `lookedAt`: when the index was last looked at, if known; a copy already due
 * then, whose notice was queued (well) before, was in the index at that look, which saw to it, so
 * a notice that stays pending (a reader with no address yet) does not make every tick look again.
 */
export function nextExpiryCheck(checkAt: number | undefined, notices: readonly Notice[], leadMs: number | undefined, lookedAt?: number): number | undefined {
  if (checkAt === undefined || !leadMs || leadMs <= 0) return checkAt;
  let next = checkAt;
  for (const notice of notices) {
    // The reminder itself names the expiry it reminds of: it brings nothing forward.
    if (notice.kind === 'expiring' || !notice.file.expiryDate) continue;
    const due = reminderTimeOf(notice.file.expiryDate, leadMs);
    if (lookedAt !== undefined && due <= lookedAt && Date.parse(notice.createdAt) < lookedAt - INDEX_LAG_MS) continue;
    if (due < next) next = due;
  }
  return next;
}

/** The first time a look finds the copy within the lead (the index is read for expiries strictly before now + lead). */
function reminderTimeOf(expiryDate: string, leadMs: number): number {
  return Date.parse(expiryDate) - leadMs + 1;
}
