import { BadRequestException, MessageRejected, SendEmailCommand, SendingPausedException, SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { noticeKeyOf } from '../../functions/domain/stores/notices.js';
import { ATTEMPTS_WHEN_REJECTED, handleAggregatorEvent, type AggregatorDeps, type TickResult } from '../../functions/notify-aggregator/aggregator.js';
import type { MetricName } from '../../functions/domain/wiring/metrics.js';
import { classifySendFailure } from '../../functions/notify-aggregator/send-failures.js';
import { loadEnv, notifyAggregatorEnvSchema } from '../../functions/domain/wiring/config.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { BUCKET } from '../fixtures/events.js';
import { dedupeMarkers } from '../support/audit-items.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { aggregatorDepsFor } from '../support/deps.js';
import { seedCycle } from '../support/records.js';

const sesMock = mockClient(SESv2Client);
let state: TestState;
let clock: number;
let run = 0;

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());
beforeEach(async () => {
  sesMock.reset();
  sesMock.on(SendEmailCommand).resolves({ MessageId: 'm' });
  clock = Date.parse('2026-11-22T10:00:00Z');
  run++;
  // Each test has its own readers so earlier tests' notices never mix in.
  await state.principals.put(`AKIA${run}ALICE`, `alice-${run}@example.com`, new Date());
});

const DEBOUNCE = 120_000;
const MAX_WAIT = 900_000;
function deps(overrides: Partial<AggregatorDeps> = {}): AggregatorDeps {
  return aggregatorDepsFor(state, { rules: { debounceMs: DEBOUNCE, maxWaitMs: MAX_WAIT }, now: () => new Date(clock), ...overrides });
}
const advance = (ms: number) => (clock += ms);
const tick = (d = deps()) => handleAggregatorEvent({ action: 'tick' }, d) as Promise<TickResult>;
const sesError = <E>(Type: new (opts: { message: string; $metadata: object }) => E, message = 'refused') => new Type({ message, $metadata: { httpStatusCode: 400 } });

/** Seeds an object read by the given test readers (by access key) and queues a notice of `kind`. */
async function objectWithNotice(name: string, kind: 'started' | 'ready' | 'failed', readers: string[] = ['ALICE'], fields = {}): Promise<ObjectRef> {
  const ref = { bucket: BUCKET, key: `run-${run}/${name}` };
  const record = await seedCycle(state, ref, {
    readers: readers.map((r) => `${r.toLowerCase()}-${run}`),
    fields: { storageClass: 'GLACIER', tier: 'Standard', expectedReadyAt: '2026-11-22T15:00:00Z', ...fields },
  });
  // seedCycle names readers by IAM user; give them this run's access keys.
  for (const reader of Object.values(record.subscribers)) {
    await state.records.addSubscriber(record.objectId, 1, { ...reader, accessKeyId: `AKIA${run}${reader.userName!.split('-')[0]!.toUpperCase()}` }, new Date(clock));
  }
  await handleAggregatorEvent({ action: 'enqueue', kind, objectId: objectIdOf(ref), cycle: 1 }, deps());
  return ref;
}
const sentEmails = () => sesMock.commandCalls(SendEmailCommand).map((c) => c.args[0].input);

/** A BatchWriteItem's puts per table (by the tables' short names); other calls: none. */
function putsPerTable(command: unknown): Record<string, number>[] {
  if (!(command instanceof BatchWriteCommand)) return [];
  const short = Object.fromEntries(Object.entries(state.tableNames).map(([name, table]) => [table, name]));
  return [Object.fromEntries(Object.entries(command.input.RequestItems ?? {}).map(([table, puts]) => [short[table] ?? table, puts.length]))];
}

describe('enqueue', () => {
  it('queues one notice per subscriber, once, and audits it', async () => {
    const ref = await objectWithNotice('a.csv', 'started', ['ALICE', 'BOB']);
    await handleAggregatorEvent({ action: 'enqueue', kind: 'started', objectId: objectIdOf(ref), cycle: 1 }, deps());
    const pending = (await state.notices.pending()).filter((p) => p.file.key === ref.key);
    expect(pending.map((p) => p.kind)).toEqual(['started', 'started']);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ startedNotified: true });
    expect((await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'NOTICES_QUEUED')).toHaveLength(1);
  });

  it('a retried hand-over keeps one entry, timed by the first, written without a dedupe marker', async () => {
    const ref = await objectWithNotice('retried.csv', 'started');
    const first = (await state.audit.history(objectIdOf(ref))).find((e) => e.type === 'NOTICES_QUEUED');
    advance(60_000);
    await handleAggregatorEvent({ action: 'enqueue', kind: 'started', objectId: objectIdOf(ref), cycle: 1 }, deps());
    const queued = (await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'NOTICES_QUEUED');
    expect(queued).toEqual([first]);
    expect(await state.records.get(objectIdOf(ref))).toMatchObject({ startedNotifiedAt: '2026-11-22T10:00:00.000Z' });
    advance(DEBOUNCE);
    await tick();
    expect((await state.audit.history(objectIdOf(ref))).map((e) => e.type)).toEqual(['EMAIL_SENT', 'NOTICES_QUEUED']);
    expect(await dedupeMarkers(state, objectIdOf(ref))).toEqual([]);
  });

  it('a "ready" replaces a pending "started" with one write; the tick settles the "started" as superseded, unsent', async () => {
    const ref = await objectWithNotice('replaced.csv', 'started');
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      await handleAggregatorEvent({ action: 'enqueue', kind: 'ready', objectId: objectIdOf(ref), cycle: 1 }, deps());
      const calls = sent.mock.calls.map(([c]) => c);
      // The "ready" notice, in one batch with its history line; nothing written to the "started".
      expect(calls.filter((c) => (c instanceof PutCommand || c instanceof UpdateCommand) && c.input.TableName === state.tableNames.notices)).toEqual([]);
      expect(calls.flatMap(putsPerTable)).toEqual([{ notices: 1, audit: 1 }]);
    } finally {
      sent.mockRestore();
    }
    expect((await state.notices.pending()).filter((p) => p.file.key === ref.key).map((p) => p.kind)).toEqual(['ready']);
    expect((await state.notices.pending({ includeWithdrawn: true })).filter((p) => p.file.key === ref.key).map((p) => p.kind)).toEqual(['ready', 'started']);
    advance(DEBOUNCE);
    await tick();
    expect(sentEmails().map((e) => e.Content!.Simple!.Subject!.Data)).toEqual(['1 file restored and ready to download']);
    const started = await state.ddb.send(
      new GetCommand({
        TableName: state.tableNames.notices,
        Key: { readerId: `arn:aws:iam::111122223333:user/alice-${run}`, noticeKey: noticeKeyOf({ objectId: objectIdOf(ref), cycle: 1 }, 'started') },
      }),
    );
    expect(started.Item).toMatchObject({ status: 'superseded' });
    expect(started.Item).not.toHaveProperty('pendingPartition');
  });

  it('a "ready" for a cycle whose start was never announced withdraws nothing: one notice write per reader', async () => {
    const ref = { bucket: BUCKET, key: `run-${run}/restored-already.csv` };
    await seedCycle(state, ref, { readers: [`alice-${run}`], fields: { status: 'RESTORED' } });
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      await handleAggregatorEvent({ action: 'enqueue', kind: 'ready', objectId: objectIdOf(ref), cycle: 1 }, deps());
      expect(sent.mock.calls.map(([c]) => c).filter((c) => c instanceof UpdateCommand && c.input.TableName === state.tableNames.notices)).toEqual([]);
    } finally {
      sent.mockRestore();
    }
    expect((await state.notices.pending()).filter((p) => p.file.key === ref.key).map((p) => p.kind)).toEqual(['ready']);
  });

  it('rejects a request for a cycle that is over', async () => {
    const ref = await objectWithNotice('b.csv', 'started');
    await expect(handleAggregatorEvent({ action: 'enqueue', kind: 'ready', objectId: objectIdOf(ref), cycle: 7 }, deps())).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(handleAggregatorEvent({ action: 'something' }, deps())).rejects.toMatchObject({ name: 'InvalidInputError' });
  });
});

describe('tick', () => {
  beforeEach(async () => {
    // Send whatever earlier tests left pending, then start from a clean outbox and clock.
    advance(MAX_WAIT);
    await tick();
    sesMock.reset();
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'm' });
    clock = Date.parse('2026-11-22T10:00:00Z');
  });

  it('debounce: nothing until the newest notice is older than the window, then one email listing every file', async () => {
    for (let i = 0; i < 20; i++) {
      await objectWithNotice(`file-${i}.csv`, 'started');
      advance(5_000);
    }
    expect((await tick()).emailsSent).toBe(0);
    advance(DEBOUNCE);
    expect(await tick()).toMatchObject({ emailsSent: 1 });
    const [email] = sentEmails();
    expect(email!.Destination!.ToAddresses).toEqual([`alice-${run}@example.com`]);
    expect(email!.Content!.Simple!.Subject!.Data).toBe('Restoring 20 files from archive');
    for (let i = 0; i < 20; i++) expect(email!.Content!.Simple!.Body!.Text!.Data).toContain(`run-${run}/file-${i}.csv`);
    expect((await tick()).emailsSent).toBe(0);
    expect(sentEmails()).toHaveLength(1);
  });

  it('max wait: a reader who keeps reading still gets an email', async () => {
    for (let i = 0; i < 20; i++) {
      await objectWithNotice(`busy-${i}.csv`, 'started');
      advance(60_000);
      const result = await tick();
      if (result.emailsSent) break;
    }
    expect(sentEmails()).toHaveLength(1);
    expect(clock - Date.parse('2026-11-22T10:00:00Z')).toBe(MAX_WAIT);
  });

  it('settles the notices an email listed 25 a call, every notice once, as sent', async () => {
    const refs: ObjectRef[] = [];
    for (let i = 0; i < 40; i++) refs.push(await objectWithNotice(`bulk-${i}.csv`, 'started'));
    advance(DEBOUNCE);
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      expect(await tick()).toMatchObject({ emailsSent: 1 });
      const calls = sent.mock.calls.map(([command]) => command);
      // Per call, the puts into each table: the sent ledger's 40 lines, the 40 history lines, the 40 notices themselves.
      expect(calls.flatMap(putsPerTable)).toEqual([{ notices: 25 }, { notices: 15, audit: 10 }, { audit: 25 }, { audit: 5, notices: 20 }, { notices: 20 }]);
      expect(calls.filter((c) => c instanceof UpdateCommand && c.input.TableName === state.tableNames.notices && c.input.Key?.readerId !== '#lease')).toEqual([]);
    } finally {
      sent.mockRestore();
    }
    expect(sentEmails()[0]!.Content!.Simple!.Subject!.Data).toBe('Restoring 40 files from archive');
    expect((await state.notices.pending()).filter((n) => n.file.key.startsWith(`run-${run}/`))).toEqual([]);
    for (const ref of refs) {
      const readerId = Object.keys((await state.records.get(objectIdOf(ref)))!.subscribers)[0]!;
      const notice = await state.ddb.send(new GetCommand({ TableName: state.tableNames.notices, Key: { readerId, noticeKey: noticeKeyOf({ objectId: objectIdOf(ref), cycle: 1 }, 'started') } }));
      expect(notice.Item).toMatchObject({ status: 'sent', sentTo: `alice-${run}@example.com`, file: { key: ref.key } });
      expect(notice.Item).not.toHaveProperty('pendingPartition');
    }
    expect((await tick()).emailsSent).toBe(0);
  });

  it('a "ready" replaces a "started" that has not gone out', async () => {
    const ref = await objectWithNotice('quick.csv', 'started', ['ALICE'], { expiryDate: '2026-11-29T00:00:00Z' });
    await handleAggregatorEvent({ action: 'enqueue', kind: 'ready', objectId: objectIdOf(ref), cycle: 1 }, deps());
    advance(DEBOUNCE);
    await tick();
    expect(sentEmails().map((e) => e.Content!.Simple!.Subject!.Data)).toEqual(['1 file restored and ready to download']);
    expect(sentEmails()[0]!.Content!.Simple!.Body!.Text!.Data).toContain('2026-11-29 00:00 UTC');
  });

  it('each (recipient, object, kind) is emailed once, even when two identities share an address', async () => {
    await state.principals.put(`AKIA${run}ALIAS`, `alice-${run}@example.com`, new Date());
    await objectWithNotice('shared.csv', 'started', ['ALICE', 'ALIAS']);
    advance(DEBOUNCE);
    await tick();
    expect(sentEmails()).toHaveLength(1);
    expect(sentEmails()[0]!.Content!.Simple!.Body!.Text!.Data!.match(/shared\.csv/g)).toHaveLength(1);
    expect(await state.notices.pending().then((p) => p.filter((n) => n.file.key.startsWith(`run-${run}/`)))).toEqual([]);
  });

  it('an unknown reader gets no email, is recorded once, and is caught when a mapping is added later', async () => {
    const ref = await objectWithNotice('orphan.csv', 'started', ['NOBODY']);
    advance(DEBOUNCE);
    expect(await tick()).toMatchObject({ emailsSent: 0, unresolved: expect.any(Number) });
    await tick();
    const unresolved = (await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'RECIPIENT_UNRESOLVED');
    expect(unresolved).toHaveLength(1);
    expect(sentEmails()).toHaveLength(0);
    await state.principals.put(`nobody-${run}`, `late-${run}@example.com`, new Date());
    await tick();
    expect(sentEmails().map((e) => e.Destination!.ToAddresses)).toEqual([[`late-${run}@example.com`]]);
  });

  it('a failed send leaves the notices pending and the next tick delivers them once', async () => {
    await objectWithNotice('flaky.csv', 'started');
    advance(DEBOUNCE);
    sesMock
      .on(SendEmailCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' }))
      .resolves({ MessageId: 'ok' });
    expect(await tick()).toMatchObject({ emailsSent: 0, emailsFailed: 1 });
    expect(await tick()).toMatchObject({ emailsSent: 1, emailsFailed: 0 });
    expect(await tick()).toMatchObject({ emailsSent: 0 });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 2);
  });

  it('audits each email on the objects it lists', async () => {
    const ref = await objectWithNotice('audited.csv', 'started');
    advance(DEBOUNCE);
    await tick();
    expect((await state.audit.history(objectIdOf(ref)))[0]).toMatchObject({ type: 'EMAIL_SENT', detail: { kind: 'started', recipient: `alice-${run}@example.com` } });
  });

  it("an email's ledger and history lines are written per 25 files, not per file; each file still has its entry", async () => {
    const refs: ObjectRef[] = [];
    for (let i = 0; i < 30; i++) refs.push(await objectWithNotice(`ledger-${i}.csv`, 'started'));
    advance(DEBOUNCE);
    const sent = vi.spyOn(state.ddb, 'send');
    try {
      expect(await tick()).toMatchObject({ emailsSent: 1 });
      const calls = sent.mock.calls.map(([command]) => command);
      // The ledger, the history and the notices themselves: 90 puts, 25 a call, whatever their tables.
      expect(calls.flatMap(putsPerTable)).toEqual([{ notices: 25 }, { notices: 5, audit: 20 }, { audit: 10, notices: 15 }, { notices: 15 }]);
      expect(calls.filter((c) => c instanceof PutCommand && c.input.TableName !== state.tableNames.notices)).toEqual([]);
    } finally {
      sent.mockRestore();
    }
    for (const ref of refs) expect((await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'EMAIL_SENT')).toHaveLength(1);
    expect(
      (
        await state.notices.alreadySent(
          `alice-${run}@example.com`,
          refs.map((r) => noticeKeyOf({ objectId: objectIdOf(r), cycle: 1 }, 'started')),
        )
      ).size,
    ).toBe(30);
    advance(DEBOUNCE);
    expect(await tick()).toMatchObject({ emailsSent: 0 });
  });

  it('a second tick while one runs does nothing', async () => {
    await objectWithNotice('lease.csv', 'started');
    advance(DEBOUNCE);
    expect(await state.notices.acquireLease('someone-else', new Date(clock), 60_000)).toBe(true);
    expect(await tick()).toMatchObject({ skipped: 'another tick is running' });
    expect(sentEmails()).toHaveLength(0);
    await state.notices.releaseLease('someone-else');
    expect((await tick()).emailsSent).toBe(1);
  });
});

describe('an email SES refuses', () => {
  beforeEach(async () => {
    advance(MAX_WAIT);
    await tick();
    sesMock.reset();
    clock = Date.parse('2026-11-22T10:00:00Z');
  });

  it.each([
    ['an invalid address (BadRequestException)', () => sesError(BadRequestException, 'Invalid email address')],
    ['a rejected message (MessageRejected)', () => sesError(MessageRejected, 'Email address is not verified')],
  ])('%s is tried a bounded number of times, then given up with an audit entry and a metric', async (_, refusal) => {
    const ref = await objectWithNotice('never.csv', 'started');
    advance(DEBOUNCE);
    sesMock.on(SendEmailCommand).rejects(refusal());
    const counted: [MetricName, number][] = [];
    const d = deps({ metrics: { count: (name, value) => counted.push([name, value]), milliseconds: () => undefined } });
    for (let attempt = 1; attempt < ATTEMPTS_WHEN_REJECTED; attempt++) {
      expect(await tick(d)).toMatchObject({ emailsFailed: 1, undeliverable: 0 });
      advance(60_000);
    }
    expect(await tick(d)).toMatchObject({ emailsFailed: 1, undeliverable: 1 });
    expect(counted.filter(([name]) => name === 'NoticesUndeliverable')).toEqual([['NoticesUndeliverable', 1]]);
    expect(counted.filter(([name]) => name === 'EmailsFailed')).toHaveLength(ATTEMPTS_WHEN_REJECTED);
    expect((await state.notices.pending()).filter((n) => n.file.key === ref.key)).toEqual([]);
    const given = (await state.audit.history(objectIdOf(ref))).filter((e) => e.type === 'NOTICE_UNDELIVERABLE');
    expect(given).toHaveLength(1);
    expect(given[0]!.detail).toMatchObject({ kind: 'started', recipient: `alice-${run}@example.com`, reason: 'rejected by SES', error: refusal().name, attempts: ATTEMPTS_WHEN_REJECTED });
    // Never again: later ticks do not call SES for it.
    for (let i = 0; i < 3; i++) {
      advance(60_000);
      expect(await tick(d)).toMatchObject({ emailsFailed: 0, undeliverable: 0 });
    }
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, ATTEMPTS_WHEN_REJECTED);
  });

  it.each([
    ['throttling (TooManyRequestsException)', () => sesError(TooManyRequestsException, 'Maximum sending rate exceeded.')],
    ['a 5xx', () => Object.assign(new Error('service unavailable'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } })],
    ['sending paused on the account (SendingPausedException)', () => sesError(SendingPausedException)],
  ])('%s is retried until it succeeds, however many ticks that takes', async (_, failure) => {
    const ref = await objectWithNotice('later.csv', 'started');
    advance(DEBOUNCE);
    const failures = ATTEMPTS_WHEN_REJECTED * 2;
    let mock = sesMock.on(SendEmailCommand);
    for (let i = 0; i < failures; i++) mock = mock.rejectsOnce(failure());
    mock.resolves({ MessageId: 'finally' });
    for (let i = 0; i < failures; i++) {
      expect(await tick()).toMatchObject({ emailsSent: 0, emailsFailed: 1, undeliverable: 0 });
      advance(60_000);
    }
    expect(await tick()).toMatchObject({ emailsSent: 1, emailsFailed: 0 });
    expect(sentEmails().at(-1)!.Content!.Simple!.Body!.Text!.Data).toContain(ref.key);
    expect((await state.audit.history(objectIdOf(ref))).map((e) => e.type)).not.toContain('NOTICE_UNDELIVERABLE');
  });

  it('classifies every SendEmail error SES v2 documents', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    expect(['BadRequestException', 'MessageRejected'].map((n) => classifySendFailure(named(n)))).toEqual(['rejected', 'rejected']);
    expect(
      ['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException', 'NotFoundException', 'AccessDeniedException'].map((n) => classifySendFailure(named(n))),
    ).toEqual(Array(5).fill('setup'));
    expect(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException', 'InternalFailure', 'TimeoutError'].map((n) => classifySendFailure(named(n)))).toEqual(
      Array(5).fill('transient'),
    );
    expect(classifySendFailure('not an error')).toBe('transient');
  });

  it('an unverified sender is a setup problem (notices wait), an unverified recipient a refusal', () => {
    const rejected = (message: string) => Object.assign(new Error(message), { name: 'MessageRejected' });
    const sender = 'Restores@Example.com';
    const senderFailed = rejected('Email address is not verified. The following identities failed the check in region EU-WEST-1: restores@example.com');
    const recipientFailed = rejected('Email address is not verified. The following identities failed the check in region EU-WEST-1: reader@example.com');
    expect(classifySendFailure(senderFailed, sender)).toBe('setup');
    expect(classifySendFailure(recipientFailed, sender)).toBe('rejected');
  });
});

describe('the SES configuration set', () => {
  beforeEach(async () => {
    advance(MAX_WAIT);
    await tick();
    sesMock.reset();
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'm' });
    clock = Date.parse('2026-11-22T10:00:00Z');
  });

  it('is named on every email when one is configured, and left out when none is', async () => {
    await objectWithNotice('with-set.csv', 'started');
    advance(DEBOUNCE);
    await tick(deps({ configurationSet: 'autorestore-notices' }));
    await objectWithNotice('without-set.csv', 'ready');
    advance(DEBOUNCE);
    await tick();
    expect(sentEmails().map((e) => e.ConfigurationSetName)).toEqual(['autorestore-notices', undefined]);
    expect(sentEmails()[1]).not.toHaveProperty('ConfigurationSetName');
  });

  it('comes from SES_CONFIGURATION_SET, which may be left out; the lease from AGGREGATOR_LEASE_SECONDS (default 300)', () => {
    const env = { OBJECTS_TABLE: 'o', AUDIT_TABLE: 'a', NOTICES_TABLE: 'n', PRINCIPALS_TABLE: 'p', SENDER_ADDRESS: 'a@b.co', DEBOUNCE_SECONDS: '120', MAX_WAIT_SECONDS: '900' };
    expect(loadEnv(notifyAggregatorEnvSchema, env)).toMatchObject({ AGGREGATOR_LEASE_SECONDS: 300 });
    expect(loadEnv(notifyAggregatorEnvSchema, env)).not.toHaveProperty('SES_CONFIGURATION_SET');
    expect(loadEnv(notifyAggregatorEnvSchema, { ...env, SES_CONFIGURATION_SET: 'set', AGGREGATOR_LEASE_SECONDS: '0.25' })).toMatchObject({
      SES_CONFIGURATION_SET: 'set',
      AGGREGATOR_LEASE_SECONDS: 0.25,
    });
    expect(() => loadEnv(notifyAggregatorEnvSchema, { ...env, SES_CONFIGURATION_SET: '' })).toThrow(/SES_CONFIGURATION_SET/);
    expect(() => loadEnv(notifyAggregatorEnvSchema, { ...env, AGGREGATOR_LEASE_SECONDS: '0' })).toThrow(/AGGREGATOR_LEASE_SECONDS/);
  });
});

describe('the lease of a tick that died', () => {
  beforeEach(async () => {
    advance(MAX_WAIT);
    await tick();
    sesMock.reset();
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'm' });
    clock = Date.parse('2026-11-22T10:00:00Z');
  });

  it('blocks later ticks only until the configured lease runs out, then they send', async () => {
    const LEASE = 45_000;
    await objectWithNotice('after-crash.csv', 'started');
    advance(DEBOUNCE);
    const live = deps({ leaseMs: LEASE });
    // The process is killed half way through its tick: it took the lease and never gives it back.
    const killed = { ...live, notices: Object.assign(Object.create(live.notices) as typeof live.notices, { pending: () => Promise.reject(new Error('killed')), releaseLease: async () => undefined }) };
    await expect(tick(killed)).rejects.toThrow('killed');
    advance(LEASE - 1_000);
    expect(await tick(live)).toMatchObject({ skipped: 'another tick is running' });
    advance(2_000);
    expect(await tick(live)).toMatchObject({ emailsSent: 1 });
    expect(sentEmails()).toHaveLength(1);
  });
});
