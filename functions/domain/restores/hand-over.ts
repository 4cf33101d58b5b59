/**
 * Handing a cycle's "started", "ready" or "failed" notices to the aggregator: one notice per
 * subscriber in the notices table, where the aggregator's tick batches them into emails.
 *
 * A hand-over is two writes. The record's write sets the kind's flag and, if absent, the time
 * of its first hand-over, and returns the subscribers as they are at that instant: a reader
 * who joins concurrently is either among them or sees the flag and queues their own notice.
 * Then the notices are queued. Any step that already writes the record (the restore request,
 * the completion) carries the flag in its own write (`handOverFields`) and then calls
 * `queueHandedNotices`; the aggregator's `enqueue` does both for the workflow's other paths.
 */
import { describeReader } from '../rules/reader.js';
import type { AuditLog, BatchableAuditInput, StableAuditInput } from '../stores/audit.js';
import { noticeFileOf, type NoticeBook, type NoticeKind } from '../stores/notices.js';
import type { ObjectRecord, OnceFields } from '../stores/records.js';

/** The kinds the workflow hands over for every subscriber (the approval notices are queued by the approval step itself). */
export const WORKFLOW_NOTICE_KINDS = ['started', 'ready', 'failed'] as const satisfies readonly NoticeKind[];
export type WorkflowNoticeKind = (typeof WORKFLOW_NOTICE_KINDS)[number];

const FLAG = { started: 'startedNotified', ready: 'readyNotified', failed: 'failureNotified' } as const satisfies Record<WorkflowNoticeKind, keyof ObjectRecord>;
const FIRST_HANDED_AT = { started: 'startedNotifiedAt', ready: 'readyNotifiedAt', failed: 'failureNotifiedAt' } as const satisfies Record<WorkflowNoticeKind, keyof OnceFields>;

/** What a record write sets to hand `kind` over at `at`: the flag, and the first hand-over's time unless a retry already set it. */
export function handOverFields(kind: WorkflowNoticeKind, at: Date): { fields: Partial<Record<(typeof FLAG)[WorkflowNoticeKind], true>>; setIfAbsent: OnceFields } {
  return { fields: { [FLAG[kind]]: true }, setIfAbsent: { [FIRST_HANDED_AT[kind]]: at.toISOString() } };
}

/** Whether the write that returned `record` was the kind's first hand-over (it set the time to `at`), not a retry's. */
export function isFirstHandOver(record: ObjectRecord, kind: WorkflowNoticeKind, at: Date): boolean {
  return record[FIRST_HANDED_AT[kind]] === at.toISOString();
}

/**
 * Queues one `kind` notice per subscriber of `record`, the record as the write carrying
 * `handOverFields(kind, at)` returned it, and records NOTICES_QUEUED (timed by the first
 * hand-over, so a retry writes the same entry). `lines` are the calling step's own history
 * lines, which need no marker.
 *
 * The first hand-over (its write set the time): no subscriber can have this notice yet, so the
 * notices, the step's lines and NOTICES_QUEUED go in one unconditional batch. A later one (a
 * retry, the reconciler) queues each notice only if absent.
 */
export async function queueHandedNotices(
  deps: { notices: NoticeBook; audit: AuditLog },
  record: ObjectRecord,
  kind: WorkflowNoticeKind,
  at: Date,
  lines: BatchableAuditInput[] = [],
): Promise<{ queued: number; readers: number }> {
  const queuedAt = record[FIRST_HANDED_AT[kind]] ?? at.toISOString();
  const file = noticeFileOf(record);
  const readers = Object.values(record.subscribers);
  const queuedLine: StableAuditInput = {
    objectId: record.objectId,
    time: new Date(queuedAt),
    timeIsTheEvents: true,
    type: 'NOTICES_QUEUED',
    cycle: record.cycle,
    dedupeKey: `notices#${record.cycle}#${kind}`,
    detail: { kind, readers: readers.map(describeReader) },
  };
  if (isFirstHandOver(record, kind, at)) {
    return { queued: await deps.notices.enqueueFirst(readers, kind, file, at, deps.audit.puts([...lines, queuedLine])), readers: readers.length };
  }
  const queued = await deps.notices.enqueueAll(readers, kind, file, at);
  await deps.audit.recordAll([...lines, queuedLine]);
  return { queued, readers: readers.length };
}
