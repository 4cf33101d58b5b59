/** The reminder pass of the aggregator's tick, over a real DynamoDB wire protocol (dynalite). */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import type { Reader } from '../../functions/domain/rules/reader.js';
import { nextExpiryCheck, queueExpiryReminders, queueExpiryRemindersIfDue } from '../../functions/notify-aggregator/expiry-reminders.js';
import { noticeFileOf, noticeKeyOf, type Notice } from '../../functions/domain/stores/notices.js';
import { tick, type AggregatorDeps } from '../../functions/notify-aggregator/aggregator.js';
import { ExpiryReminderOptOuts } from '../../functions/domain/stores/expiry-opt-outs.js';
import { renderEmail } from '../../functions/notify-aggregator/email.js';
import { aggregatorDepsFor } from '../support/deps.js';
import { startTestState, type TestState } from '../support/dynamo.js';

let state: TestState;
beforeAll(async () => (state = await startTestState()));
afterAll(() => state.stop());

const HOUR = 3_600_000;
const NOW = new Date('2026-11-23T12:00:00.000Z');
const reader = (id: string): Reader => ({ id, accessKeyId: id });

/** A restored cycle whose copy expires `hoursLeft` hours after NOW (no expiry: an Intelligent-Tiering restore). */
async function restoredCopy(key: string, hoursLeft: number | undefined, readers = ['AKIAREADER0000000001']): Promise<string> {
  const ref = { bucket: 'b', key };
  const objectId = objectIdOf(ref);
  const [first, ...others] = readers.map(reader);
  await state.records.openCycle(ref, { action: 'open', cycle: 1 }, { reader: first!, executionName: `x-${key}`, now: NOW });
  for (const r of others) await state.records.addSubscriber(objectId, 1, r, NOW);
  await state.records.markRestored(objectId, 1, { restoredAt: NOW.toISOString(), ...(hoursLeft === undefined ? {} : { expiryDate: new Date(NOW.getTime() + hoursLeft * HOUR).toISOString() }) });
  return objectId;
}

const deps = (now = NOW) => aggregatorDepsFor(state, { now: () => now, expiryReminderMs: 24 * HOUR });
const expiringNotices = async () =>
  (await state.notices.pending())
    .filter((n) => n.kind === 'expiring')
    .map((n) => `${n.readerId} ${n.file.key}`)
    .sort();

describe('expiry reminders', () => {
  it('queues one "expiring" notice per reader of each copy expiring within the lead, once, and none for later or endless copies', async () => {
    await restoredCopy('soon.bin', 20, ['AKIAREADER0000000001', 'AKIAREADER0000000002']);
    await restoredCopy('later.bin', 30);
    await restoredCopy('tiering.bin', undefined);
    expect(await queueExpiryReminders(deps())).toEqual({ copies: 1, queued: 2, optedOut: 0 });
    expect(await expiringNotices()).toEqual(['AKIAREADER0000000001 soon.bin', 'AKIAREADER0000000002 soon.bin']);
    // The copy left the index: the next tick queries nothing for it.
    expect(await queueExpiryReminders(deps())).toEqual({ copies: 0, queued: 0, optedOut: 0 });
    // Seven hours on, the later copy is within the lead.
    expect(await queueExpiryReminders(deps(new Date(NOW.getTime() + 7 * HOUR)))).toEqual({ copies: 1, queued: 1, optedOut: 0 });
  });

  it('an extended copy is reminded of its new expiry, not the old one; an expired cycle leaves the index without a reminder', async () => {
    const extended = await restoredCopy('extended.bin', 10);
    await state.records.extendExpiry(extended, 1, new Date(NOW.getTime() + 72 * HOUR).toISOString());
    const gone = await restoredCopy('gone.bin', 5);
    await state.records.expire(gone, 1);
    const before = (await expiringNotices()).length;
    expect(await queueExpiryReminders(deps())).toEqual({ copies: 0, queued: 0, optedOut: 0 });
    expect(await expiringNotices()).toHaveLength(before);
    expect(await queueExpiryReminders(deps(new Date(NOW.getTime() + 50 * HOUR)))).toMatchObject({ queued: 1 });
  });

  it('a reader whose address opted out gets none; the others still do; opting in again restores it', async () => {
    const optOuts = new ExpiryReminderOptOuts(state.ddb, state.tableNames.notices);
    await state.principals.put('AKIAOPTEDOUT00000001', 'Quiet@Example.com', NOW);
    await state.principals.put('AKIANOTOPTEDOUT00001', 'loud@example.com', NOW);
    await optOuts.optOut('quiet@example.com', NOW);
    const objectId = await restoredCopy('quiet.bin', 3, ['AKIAOPTEDOUT00000001', 'AKIANOTOPTEDOUT00001']);
    const result = await queueExpiryReminders({ ...deps(), reminderOptOuts: optOuts });
    expect(result).toMatchObject({ copies: 1, queued: 1, optedOut: 1 });
    expect((await expiringNotices()).filter((n) => n.endsWith('quiet.bin'))).toEqual(['AKIANOTOPTEDOUT00001 quiet.bin']);
    const queuedEntry = (await state.audit.history(objectId)).find((e) => e.type === 'NOTICES_QUEUED');
    expect(queuedEntry?.detail).toMatchObject({ kind: 'expiring', optedOut: [expect.stringContaining('AKIAOPTEDOUT00000001')] });
    expect(await optOuts.optIn('QUIET@example.com')).toBe(true);
    expect(await optOuts.optedOut(['quiet@example.com'])).toEqual(new Set());
    expect(await optOuts.optIn('quiet@example.com')).toBe(false);
  });

  it('off when the lead is 0', async () => {
    await restoredCopy('off.bin', 1);
    expect(await queueExpiryReminders(aggregatorDepsFor(state, { now: () => NOW, expiryReminderMs: 0 }))).toEqual({ copies: 0, queued: 0, optedOut: 0 });
  });
});

describe('the "expires soon" email', () => {
  it('lists each file with its expiry and the commands to extend or keep it, escaped', () => {
    const file = { objectId: 'b/x', cycle: 1, bucket: 'b', key: "<b>it's</b>.csv", expiryDate: '2026-11-24T00:00:00.000Z' };
    const email = renderEmail('expiring', [file], 100);
    expect(email.subject).toBe('The restored copy of 1 file expires soon');
    expect(email.text).toContain('Expires: 2026-11-24 00:00 UTC');
    expect(email.text).toContain(`To keep it: autorestore keep 's3://b/<b>it'\\''s</b>.csv'`);
    expect(email.html).not.toContain('<b>it');
    expect(email.html).toContain('&lt;b&gt;it&#39;s&lt;/b&gt;.csv');
  });
});

describe('dropping a copy from the expiring-copies index', () => {
  it('takes a record out of the index, and leaves a record that is gone gone (no bare item made)', async () => {
    const objectId = await restoredCopy('dropped.bin', 10);
    const indexed = async () => (await state.records.copiesExpiringBefore('9999-12-31T00:00:00.000Z')).map((r) => r.objectId);
    expect(await indexed()).toContain(objectId);
    await state.records.dropExpiryReminder(objectId);
    expect((await state.records.get(objectId))?.status).toBe('RESTORED');
    expect(await indexed()).not.toContain(objectId);

    const gone = objectIdOf({ bucket: 'b', key: 'deleted-meanwhile.bin' });
    await state.records.dropExpiryReminder(gone);
    expect(await state.records.get(gone)).toBeUndefined();
  });
});

describe('when the tick looks at the expiring-copies index', () => {
  let fresh: TestState;
  beforeAll(async () => (fresh = await startTestState()));
  afterAll(() => fresh.stop());

  it("only when a reminder can be due: at the first copy's reminder time, or within half the lead", async () => {
    const ref = { bucket: 'b', key: 'thirty-hours.bin' };
    await fresh.records.openCycle(ref, { action: 'open', cycle: 1 }, { reader: reader('AKIAREADER0000000001'), executionName: 'x-thirty', now: NOW });
    await fresh.records.markRestored(objectIdOf(ref), 1, { restoredAt: NOW.toISOString(), expiryDate: new Date(NOW.getTime() + 30 * HOUR).toISOString() });
    let looks = 0;
    const records = Object.assign(Object.create(fresh.records) as typeof fresh.records, {
      copiesExpiringBefore: (before: string) => (looks++, fresh.records.copiesExpiringBefore(before)),
    });
    const at = (hours: number) => aggregatorDepsFor(fresh, { records, now: () => new Date(NOW.getTime() + hours * HOUR), expiryReminderMs: 24 * HOUR });
    // Nothing known yet (a lease written before, or a first tick): look now; the copy's reminder is due at +6 h.
    const first = await queueExpiryRemindersIfDue(at(0), undefined);
    expect([looks, first]).toEqual([1, NOW.getTime() + 6 * HOUR + 1]);
    expect(await queueExpiryRemindersIfDue(at(1), first)).toBe(first);
    expect(looks).toBe(1);
    const second = await queueExpiryRemindersIfDue(aggregatorDepsFor(fresh, { records, now: () => new Date(first!), expiryReminderMs: 24 * HOUR }), first);
    expect(looks).toBe(2);
    expect((await fresh.notices.pending()).filter((n) => n.kind === 'expiring').map((n) => n.file.key)).toEqual(['thirty-hours.bin']);
    // Nothing left in the index: the next look is half the lead on.
    expect(second).toBe(first! + 12 * HOUR);
    // Reminders off: never.
    expect(await queueExpiryRemindersIfDue({ ...at(7), expiryReminderMs: 0 }, undefined)).toBeUndefined();
    expect(looks).toBe(2);
  });

  it('a notice that hands a copy to a reader brings the next look forward to its reminder time', () => {
    const notice = (kind: Notice['kind'], expiresInHours?: number) =>
      ({
        kind,
        file: { objectId: 'b/x', cycle: 1, bucket: 'b', key: 'x', ...(expiresInHours === undefined ? {} : { expiryDate: new Date(NOW.getTime() + expiresInHours * HOUR).toISOString() }) },
      }) as Notice;
    const later = NOW.getTime() + 12 * HOUR;
    expect(nextExpiryCheck(later, [notice('started'), notice('ready', 40), notice('ready', 25), notice('expiring', 2)], 24 * HOUR)).toBe(NOW.getTime() + HOUR + 1);
    expect(nextExpiryCheck(later, [notice('ready', 40)], 24 * HOUR)).toBe(later);
    // A look already due next tick stays so; no lead, nothing to bring forward.
    expect(nextExpiryCheck(undefined, [notice('ready', 25)], 24 * HOUR)).toBeUndefined();
    expect(nextExpiryCheck(later, [notice('ready', 25)], 0)).toBe(later);
  });

  it('the lease carries the next look from one tick to the next, and is still held by one tick at a time', async () => {
    expect(await fresh.notices.takeLease('tick-1', NOW, 60_000)).toEqual({});
    expect(await fresh.notices.takeLease('tick-2', NOW, 60_000)).toBeUndefined();
    await fresh.notices.releaseLease('tick-1', NOW.getTime() + HOUR);
    expect(await fresh.notices.takeLease('tick-3', NOW, 60_000)).toEqual({ expiryCheckAt: NOW.getTime() + HOUR });
    await fresh.notices.releaseLease('tick-3');
    expect(await fresh.notices.takeLease('tick-4', NOW, 60_000)).toEqual({});
  });
});

describe('the next look, kept on the lease across whole ticks', () => {
  let fresh: TestState;
  const ses = mockClient(SESv2Client);
  beforeAll(async () => {
    fresh = await startTestState();
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
  });
  afterAll(async () => {
    ses.restore();
    await fresh.stop();
  });
  const tickAt = (at: Date) => tick(aggregatorDepsFor(fresh, { now: () => at, expiryReminderMs: 24 * HOUR }));
  const lease = async () => (await fresh.ddb.send(new GetCommand({ TableName: fresh.tableNames.notices, Key: { readerId: '#lease', noticeKey: '#aggregator' }, ConsistentRead: true }))).Item;
  const reminded = async (key: string) => (await fresh.notices.pending()).some((n) => n.kind === 'expiring' && n.file.key === key);

  it('a reminder due while the lease item predates the next look is queued by the first tick, which leaves the next look on the lease', async () => {
    const ref = { bucket: 'b', key: 'old-lease.bin' };
    await fresh.records.openCycle(ref, { action: 'open', cycle: 1 }, { reader: reader('AKIAREADER0000000001'), executionName: 'x-old-lease', now: NOW });
    await fresh.records.markRestored(objectIdOf(ref), 1, { restoredAt: NOW.toISOString(), expiryDate: new Date(NOW.getTime() + 5 * HOUR).toISOString() });
    // The lease as the version before wrote it: no next look on it.
    await fresh.ddb.send(new PutCommand({ TableName: fresh.tableNames.notices, Item: { readerId: '#lease', noticeKey: '#aggregator', holder: 'before', expiresAt: NOW.getTime() - 1 } }));
    await tickAt(NOW);
    expect(await reminded('old-lease.bin')).toBe(true);
    expect((await lease())?.expiryCheckAt).toBe(NOW.getTime() + 12 * HOUR);
  });

  it('a copy handed over by a "ready" notice after the last look is reminded at its own reminder time, not the half-lead look', async () => {
    const start = new Date(NOW.getTime() + 13 * HOUR);
    await tickAt(start);
    const halfLead = (await lease())?.expiryCheckAt as number;
    expect(halfLead).toBe(start.getTime() + 12 * HOUR);
    // Restored after that look: expires 26 h on, so its reminder is due in 2 h, long before the next look.
    const ref = { bucket: 'b', key: 'ready-later.bin' };
    await fresh.records.openCycle(ref, { action: 'open', cycle: 1 }, { reader: reader('AKIAREADER0000000002'), executionName: 'x-ready-later', now: start });
    const record = await fresh.records.markRestored(objectIdOf(ref), 1, { restoredAt: start.toISOString(), expiryDate: new Date(start.getTime() + 26 * HOUR).toISOString() });
    await fresh.notices.enqueue(reader('AKIAREADER0000000002'), 'ready', noticeFileOf(record!), start);
    await tickAt(new Date(start.getTime() + 60_000));
    expect((await lease())?.expiryCheckAt).toBe(start.getTime() + 2 * HOUR + 1);
    await tickAt(new Date(start.getTime() + HOUR));
    expect(await reminded('ready-later.bin')).toBe(false);
    await tickAt(new Date(start.getTime() + 2 * HOUR + 1));
    expect(await reminded('ready-later.bin')).toBe(true);
  });

  it('a notice that stays pending (its reader has no address yet) makes one more look at the index, not one every tick', async () => {
    const own = await startTestState();
    try {
      let looks = 0;
      const records = Object.assign(Object.create(own.records) as typeof own.records, {
        copiesExpiringBefore: (before: string) => (looks++, own.records.copiesExpiringBefore(before)),
      });
      const at = (minutes: number) => tick(aggregatorDepsFor(own, { records, now: () => new Date(NOW.getTime() + minutes * 60_000), expiryReminderMs: 24 * HOUR }));
      // A one-day copy: its reminder is due as soon as it is restored; its reader is not mapped to an address.
      const ref = { bucket: 'b', key: 'unmapped.bin' };
      const unmapped = reader('AKIAREADER0000000004');
      await own.records.openCycle(ref, { action: 'open', cycle: 1 }, { reader: unmapped, executionName: 'x-unmapped', now: NOW });
      const record = await own.records.markRestored(objectIdOf(ref), 1, { restoredAt: NOW.toISOString(), expiryDate: new Date(NOW.getTime() + 20 * HOUR).toISOString() });
      await own.notices.enqueue(unmapped, 'ready', noticeFileOf(record!), NOW);
      for (let minute = 1; minute <= 10; minute++) expect(await at(minute)).toMatchObject({ unresolved: 2 });
      // The first tick's look, and one more once the notice is old enough for the index to show its copy.
      expect(looks).toBe(2);
    } finally {
      await own.stop();
    }
  });

  it('a tick whose lease ran out while it emailed a "ready" notice still leaves the reminder time of its copy to the tick that took over', async () => {
    const own = await startTestState();
    try {
      const at = (when: Date, overrides: Partial<AggregatorDeps> = {}) => tick(aggregatorDepsFor(own, { now: () => when, leaseMs: 300_000, expiryReminderMs: 24 * HOUR, ...overrides }));
      const leaseOf = async () => (await own.ddb.send(new GetCommand({ TableName: own.tableNames.notices, Key: { readerId: '#lease', noticeKey: '#aggregator' }, ConsistentRead: true }))).Item;
      await at(NOW);
      expect((await leaseOf())?.expiryCheckAt).toBe(NOW.getTime() + 12 * HOUR);
      // Restored after that look: expires 26 h on, so its reminder is due in 2 h, long before the next look.
      const ref = { bucket: 'b', key: 'slow-tick.bin' };
      const slowReader = reader('AKIAREADER0000000003');
      await own.principals.put(slowReader.id, 'slow@example.com', NOW);
      await own.records.openCycle(ref, { action: 'open', cycle: 1 }, { reader: slowReader, executionName: 'x-slow-tick', now: NOW });
      const record = await own.records.markRestored(objectIdOf(ref), 1, { restoredAt: NOW.toISOString(), expiryDate: new Date(NOW.getTime() + 26 * HOUR).toISOString() });
      await own.notices.enqueue(slowReader, 'ready', noticeFileOf(record!), NOW);
      // The slow tick: once it has emailed and settled the "ready" notice its lease has run out, and
      // another tick takes over (it no longer sees the notice) and finishes first.
      const slowAt = new Date(NOW.getTime() + 60_000);
      let takenOver = false;
      const notices = Object.assign(Object.create(own.notices) as typeof own.notices, {
        settleEmail: async (...args: Parameters<typeof own.notices.settleEmail>) => {
          await own.notices.settleEmail(...args);
          if (takenOver) return;
          takenOver = true;
          expect(await at(new Date(slowAt.getTime() + 300_001))).toMatchObject({ pending: 0 });
        },
      });
      expect(await at(slowAt, { notices })).toMatchObject({ emailsSent: 1 });
      expect(takenOver).toBe(true);
      expect((await leaseOf())?.expiryCheckAt).toBe(NOW.getTime() + 2 * HOUR + 1);
      await at(new Date(NOW.getTime() + 2 * HOUR + 1));
      const reminder = await own.ddb.send(
        new GetCommand({ TableName: own.tableNames.notices, Key: { readerId: slowReader.id, noticeKey: noticeKeyOf(noticeFileOf(record!), 'expiring') }, ConsistentRead: true }),
      );
      expect(reminder.Item).toMatchObject({ kind: 'expiring', status: 'sent', sentTo: 'slow@example.com' });
    } finally {
      await own.stop();
    }
  });
});
