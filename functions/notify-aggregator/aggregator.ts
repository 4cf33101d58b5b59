/**
 * The notification aggregator. It is handed "started", "ready" and "failed" notices for an
 * object: by the restore request and the completion in their own writes, or through its own
 * `enqueue` by the workflow's other paths and the reconciler (domain/restores/hand-over.ts). On a
 * schedule it sends one email per recipient per batch.
 */
import { randomUUID } from 'node:crypto';
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { AuditLog } from '../domain/stores/audit.js';
import { WORKFLOW_NOTICE_KINDS, handOverFields, queueHandedNotices } from '../domain/restores/hand-over.js';
import { InvalidInputError, withWorkflowErrors } from '../domain/rules/errors.js';
import type { Notice, NoticeBook, NoticeKind } from '../domain/stores/notices.js';
import type { PrincipalMap } from '../domain/stores/principals.js';
import { describeReader } from '../domain/rules/reader.js';
import type { ObjectRecords } from '../domain/stores/records.js';
import type { ExpiryReminderOptOuts } from '../domain/stores/expiry-opt-outs.js';
import { distinctFiles, planBatches, type Batch, type BatchRules } from './batching.js';
import { renderEmail } from './email.js';
import type { Metrics } from '../domain/wiring/metrics.js';
import { nextExpiryCheck, queueExpiryRemindersIfDue } from './expiry-reminders.js';
import { classifySendFailure } from './send-failures.js';
import type { Log } from '../domain/wiring/logger.js';

/** The delay each kind of email is measured by (time from queueing the notice to sending it); other kinds are not timed. */
const EMAIL_DELAY_METRIC: Partial<Record<NoticeKind, 'StartedEmailDelay' | 'ReadyEmailDelay'>> = { started: 'StartedEmailDelay', ready: 'ReadyEmailDelay' };

export interface AggregatorDeps {
  ses: SESv2Client;
  records: ObjectRecords;
  notices: NoticeBook;
  principals: PrincipalMap;
  audit: AuditLog;
  sender: string;
  /** SES configuration set named on every email (event publishing, suppression settings), if any. */
  configurationSet?: string;
  rules: BatchRules;
  maxFilesPerEmail: number;
  unresolvedRetentionMs: number;
  /** How long a tick's lease lasts: at least the function's timeout, so a live tick is never overlapped. */
  leaseMs: number;
  /** How long before a restored copy expires its readers are reminded; 0 or absent: never. */
  expiryReminderMs?: number;
  /** Addresses that asked for no expiry reminders. */
  reminderOptOuts?: ExpiryReminderOptOuts;
  now: () => Date;
  log: Log;
  /** Flushed by the handler at the end of the invocation. */
  metrics: Pick<Metrics, 'count' | 'milliseconds'>;
  /** Where each file's restore workflow execution is shown (the emails link it), if anywhere. */
  executionLink?: (executionArn: string) => string;
}

export const enqueueInputSchema = z.object({
  action: z.literal('enqueue'),
  kind: z.enum(WORKFLOW_NOTICE_KINDS),
  objectId: z.string().min(1),
  cycle: z.number().int().positive(),
});

/** The schedule's input (an EventBridge rule with a constant input; the local cloud sends the same). */
const tickSchema = z.object({ action: z.literal('tick') });

export async function handleAggregatorEvent(event: unknown, deps: AggregatorDeps) {
  const enqueue = enqueueInputSchema.safeParse(event);
  if (enqueue.success) return withWorkflowErrors(() => enqueueNotices(enqueue.data, deps));
  if (tickSchema.safeParse(event).success) return tick(deps);
  throw new InvalidInputError('expected an enqueue request from the workflow or a scheduled tick');
}

/**
 * Hands the cycle's notices of one kind to the aggregator (hand-over.ts). Setting the record's
 * flag and reading the subscribers is one atomic write, so a reader who joins concurrently is
 * either seen here or sees the flag.
 */
export async function enqueueNotices(input: z.infer<typeof enqueueInputSchema>, deps: Pick<AggregatorDeps, 'records' | 'notices' | 'audit' | 'now'>): Promise<{ queued: number; readers: number }> {
  const now = deps.now();
  const handOver = handOverFields(input.kind, now);
  const record = await deps.records.update(input.objectId, input.cycle, handOver.fields, { setIfAbsent: handOver.setIfAbsent });
  if (!record) throw new InvalidInputError(`${input.objectId} is no longer on cycle ${input.cycle}`);
  return queueHandedNotices(deps, record, input.kind, now);
}

export interface TickResult {
  pending: number;
  emailsSent: number;
  emailsFailed: number;
  unresolved: number;
  /** Notices given up this tick because SES kept refusing their email. */
  undeliverable: number;
  skipped?: 'another tick is running';
}

/** How many times an email SES refuses (an invalid address, a rejected message) is tried before its notices are given up. */
export const ATTEMPTS_WHEN_REJECTED = 3;

export async function tick(deps: AggregatorDeps): Promise<TickResult> {
  const holder = randomUUID();
  const lease = await deps.notices.takeLease(holder, deps.now(), deps.leaseMs);
  if (!lease) {
    return { pending: 0, emailsSent: 0, emailsFailed: 0, unresolved: 0, undeliverable: 0, skipped: 'another tick is running' };
  }
  // Left as it was if this tick fails before it knows better.
  let expiryCheckAt = lease.expiryCheckAt;
  let expiryLookedAt = lease.expiryLookedAt;
  try {
    const lookFrom = deps.now().getTime();
    expiryCheckAt = await queueExpiryRemindersIfDue(deps, expiryCheckAt);
    // A look moves the next one on; without one, it stays as the lease had it.
    if (expiryCheckAt !== lease.expiryCheckAt) expiryLookedAt = expiryCheckAt === undefined ? undefined : lookFrom;
    // Withdrawn "started" notices included: planBatches settles them as superseded.
    const pending = await deps.notices.pending({ includeWithdrawn: true });
    expiryCheckAt = nextExpiryCheck(expiryCheckAt, pending, deps.expiryReminderMs, expiryLookedAt);
    // Brought forward by a notice this tick will settle (no later tick sees it): kept on the lease
    // now, while the tick surely holds it, since a slow tick's lease can run out before it releases.
    if (expiryCheckAt !== undefined && lease.expiryCheckAt !== undefined && expiryCheckAt < lease.expiryCheckAt) await deps.notices.keepExpiryCheck(holder, expiryCheckAt);
    // Resolved at send time, so a mapping added after the read still reaches the reader.
    const emails = await deps.principals.resolve(pending.map((n) => n.reader));
    const plan = planBatches(pending, (n) => emails.get(n.readerId), deps.now(), deps.rules);
    await forEach(plan.superseded, (notice) => deps.notices.transition(notice, 'superseded', deps.now()));
    let emailsSent = 0;
    let emailsFailed = 0;
    let undeliverable = 0;
    for (const batch of plan.due) {
      const outcome = await sendBatch(batch, deps);
      if (outcome.kind === 'sent') emailsSent++;
      if (outcome.kind === 'failed') {
        emailsFailed++;
        undeliverable += outcome.givenUp;
      }
    }
    await settleUnresolved(plan.unresolved, deps);
    if (undeliverable > 0) deps.metrics.count('NoticesUndeliverable', undeliverable);
    return { pending: pending.length, emailsSent, emailsFailed, unresolved: plan.unresolved.length, undeliverable };
  } finally {
    await deps.notices.releaseLease(holder, expiryCheckAt, expiryLookedAt);
  }
}

type BatchOutcome = { kind: 'sent' } | { kind: 'nothing new' } | { kind: 'failed'; givenUp: number };

/** Sends one batch. A failed send leaves its notices pending, except those SES refused too often. */
async function sendBatch(batch: Batch, deps: AggregatorDeps): Promise<BatchOutcome> {
  const files = distinctFiles(batch.notices);
  const alreadySent = await deps.notices.alreadySent(
    batch.email,
    files.map((n) => n.noticeKey),
  );
  const toSend = files.filter((n) => !alreadySent.has(n.noticeKey));
  const now = deps.now();
  if (toSend.length > 0) {
    const email = renderEmail(
      batch.kind,
      toSend.map((n) => n.file),
      deps.maxFilesPerEmail,
      deps.executionLink,
    );
    try {
      await deps.ses.send(
        new SendEmailCommand({
          FromEmailAddress: deps.sender,
          ...(deps.configurationSet ? { ConfigurationSetName: deps.configurationSet } : {}),
          Destination: { ToAddresses: [batch.email] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    } catch (err) {
      deps.metrics.count('EmailsFailed', 1);
      return { kind: 'failed', givenUp: await handleSendFailure(batch, err, deps) };
    }
    deps.metrics.count('EmailsSent', 1, { name: 'kind', value: batch.kind });
    const delay = EMAIL_DELAY_METRIC[batch.kind];
    if (delay) for (const notice of toSend) deps.metrics.milliseconds(delay, now.getTime() - Date.parse(notice.createdAt));
    // The ledger, the history and the settled notices: written per email (25 items a call), not per file.
    const history = deps.audit.puts(
      toSend.map((notice) => ({
        objectId: notice.file.objectId,
        time: now,
        type: 'EMAIL_SENT',
        cycle: notice.file.cycle,
        dedupeKey: `email#${notice.noticeKey}#${batch.email}`,
        // Only the tick that sent the email writes this entry (the ledger keeps any later tick
        // from emailing the file again), so the send's time is the same on a retried write.
        timeIsTheEvents: true,
        detail: { kind: batch.kind, recipient: batch.email, filesInEmail: toSend.length },
      })),
    );
    await deps.notices.settleEmail(batch.email, toSend, now, history);
  }
  // The notices listed in the email are sent; the others (another identity of the same person, or already emailed) are duplicates.
  const listed = new Set(toSend);
  await forEach(
    batch.notices.filter((notice) => !listed.has(notice)),
    (notice) => deps.notices.transition(notice, 'duplicate', now, batch.email),
  );
  return toSend.length > 0 ? { kind: 'sent' } : { kind: 'nothing new' };
}

/**
 * A refused email (see send-failures.ts) counts against each of its notices; a notice refused
 * ATTEMPTS_WHEN_REJECTED times is given up, with an audit entry on its object. Any other
 * failure leaves the notices pending for the next tick, however many ticks that takes.
 * Returns how many notices were given up.
 */
async function handleSendFailure(batch: Batch, err: unknown, deps: AggregatorDeps): Promise<number> {
  const failure = classifySendFailure(err, deps.sender);
  const error = err instanceof Error ? err.name : String(err);
  const context = { kind: batch.kind, notices: batch.notices.length, error, failure };
  if (failure === 'transient') {
    deps.log.warn('email not sent; the notices stay pending for the next tick', context);
    return 0;
  }
  if (failure === 'setup') {
    deps.log.error('email not sent: SES refuses every email until the account or the deployment is fixed; the notices stay pending', context);
    return 0;
  }
  const now = deps.now();
  let givenUp = 0;
  await forEach(batch.notices, async (notice) => {
    const rejections = await deps.notices.recordRejection(notice, error);
    if (rejections < ATTEMPTS_WHEN_REJECTED) return;
    if (!(await deps.notices.transition(notice, 'undeliverable', now, batch.email))) return;
    givenUp++;
    const file = notice.file;
    await deps.audit.record({
      objectId: file.objectId,
      time: now,
      type: 'NOTICE_UNDELIVERABLE',
      cycle: file.cycle,
      dedupeKey: `undeliverable#${notice.noticeKey}#${notice.readerId}`,
      detail: { kind: notice.kind, reader: describeReader(notice.reader), recipient: batch.email, reason: 'rejected by SES', error, attempts: rejections },
    });
  });
  deps.log.error(givenUp > 0 ? 'SES refused the email again: notices given up' : 'SES refused the email; it will be tried again', {
    ...context,
    givenUp,
    attemptsBeforeGivingUp: ATTEMPTS_WHEN_REJECTED,
  });
  return givenUp;
}

/**
 * Notices are settled a few writes at a time: one at a time, a burst's thousands of notices
 * would outlast the function's timeout, and the next tick would email the unsettled ones again.
 */
const WRITES_AT_ONCE = 16;

async function forEach<T>(items: readonly T[], write: (item: T) => Promise<unknown>): Promise<void> {
  const limit = pLimit(WRITES_AT_ONCE);
  await Promise.all(items.map((item) => limit(() => write(item))));
}

/** Records each unresolved reader once; gives up on a notice after the retention period. */
async function settleUnresolved(unresolved: Notice[], deps: AggregatorDeps): Promise<void> {
  const now = deps.now();
  await forEach(unresolved, async (notice) => {
    const file = notice.file;
    if (now.getTime() - Date.parse(notice.createdAt) >= deps.unresolvedRetentionMs) {
      await deps.notices.transition(notice, 'undeliverable', now);
      await deps.audit.record({
        objectId: file.objectId,
        time: now,
        type: 'NOTICE_UNDELIVERABLE',
        cycle: file.cycle,
        dedupeKey: `undeliverable#${notice.noticeKey}#${notice.readerId}`,
        detail: { kind: notice.kind, reader: describeReader(notice.reader) },
      });
      return;
    }
    if (notice.unresolvedRecorded) return;
    deps.log.warn('reader has no email mapping; notice kept pending', { reader: describeReader(notice.reader), kind: notice.kind });
    await deps.audit.record({
      objectId: file.objectId,
      time: now,
      type: 'RECIPIENT_UNRESOLVED',
      cycle: file.cycle,
      dedupeKey: `unresolved#${notice.noticeKey}#${notice.readerId}`,
      detail: { kind: notice.kind, reader: describeReader(notice.reader), readerId: notice.readerId },
    });
    await deps.notices.markUnresolvedRecorded(notice);
  });
}
