/**
 * Pure batching rules: which pending notices go out now, to whom, together.
 * A group is one recipient and one kind of notice. It is due once its newest notice is older
 * than the debounce window (the reader has stopped opening files) or its oldest is older than
 * the maximum wait (a busy reader is not starved).
 */
import { withdrawnStarted, type Notice, type NoticeKind } from '../domain/stores/notices.js';

export interface BatchRules {
  debounceMs: number;
  maxWaitMs: number;
}

export interface Batch {
  email: string;
  kind: NoticeKind;
  /** Every pending notice the email settles (several readers may share one address). */
  notices: Notice[];
}

export interface BatchPlan {
  due: Batch[];
  /** "started" notices whose "ready" (or "failed") is pending too: the reader only needs the later news. */
  superseded: Notice[];
  /** Notices of readers with no email yet: kept pending, so a mapping added later still catches them. */
  unresolved: Notice[];
}

export function planBatches(pending: readonly Notice[], emailOf: (notice: Notice) => string | undefined, now: Date, rules: BatchRules): BatchPlan {
  const groups = new Map<string, Batch>();
  const unresolved: Notice[] = [];
  // Queueing a "ready" leaves the reader's "started" in the index: it is settled here, unsent.
  const superseded = withdrawnStarted(pending);
  // A set, not a list: a tick handles every pending notice, so each step must cost O(1) per notice.
  const skip = new Set(superseded);
  for (const notice of pending) {
    if (skip.has(notice)) continue;
    const email = emailOf(notice);
    if (!email) {
      unresolved.push(notice);
      continue;
    }
    const groupKey = `${email.toLowerCase()}\n${notice.kind}`;
    const group = groups.get(groupKey) ?? { email, kind: notice.kind, notices: [] };
    group.notices.push(notice);
    groups.set(groupKey, group);
  }
  const due = [...groups.values()].filter((batch) => isDue(batch, now, rules));
  due.sort((a, b) => a.email.localeCompare(b.email) || a.kind.localeCompare(b.kind));
  return { due, superseded, unresolved };
}

function isDue(batch: Batch, now: Date, rules: BatchRules): boolean {
  let newest = -Infinity;
  let oldest = Infinity;
  // A loop, not Math.max(...times): a batch may hold more notices than a call has arguments.
  for (const n of batch.notices) {
    const t = Date.parse(n.createdAt);
    newest = Math.max(newest, t);
    oldest = Math.min(oldest, t);
  }
  return now.getTime() - newest >= rules.debounceMs || now.getTime() - oldest >= rules.maxWaitMs;
}

/** One entry per file: two readers with the same address, or a re-queued notice, list a file once. */
export function distinctFiles(notices: readonly Notice[]): Notice[] {
  const seen = new Map<string, Notice>();
  for (const notice of notices) if (!seen.has(notice.noticeKey)) seen.set(notice.noticeKey, notice);
  return [...seen.values()].sort((a, b) => a.file.bucket.localeCompare(b.file.bucket) || a.file.key.localeCompare(b.file.key));
}
