/**
 * One benchmark scenario in its own process (one local cloud, with its own data folder, per
 * process): `tsx bench/scenario.ts <name> [json options]`; prints one JSON result on stdout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { HeadObjectCommand, RestoreObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { objectIdOf } from '../functions/domain/rules/object-id.js';
import type { RestoreTier } from '../functions/domain/rules/archive.js';
import { LOCAL_ACCOUNT, TABLE_NAMES, type LocalCloudOptions } from '../local/cloud.js';
import { localDeploymentConfig } from '../local/deployment-config.js';
import { startHarness, type Harness } from '../local/harness.js';
import { eventually } from '../local/eventually.js';
import { readerLatencies, readKey, sentNotices } from './latency.js';
import { EventBridgeClientStub } from './put-events.js';

const BUCKET = 'bench-archive';

async function world(options: Partial<LocalCloudOptions>): Promise<Harness> {
  const h = await startHarness(options);
  await h.createBucket(BUCKET);
  return h;
}

/** The latency targets (simulated seconds) of a deployment with these options, with the waits they follow from. */
function latencyTargets(options: Partial<LocalCloudOptions>) {
  const config = localDeploymentConfig(options);
  return {
    debounceSeconds: config.debounceSeconds,
    maxWaitSeconds: config.maxWaitSeconds,
    waitTimeoutSeconds: config.waitTimeoutSeconds,
    /** Read → first email and completion → "ready": at most the debounce window + 60 s at p95. */
    emailP95: config.debounceSeconds + 60,
    /** How often the aggregator looks for due notices: a due notice waits up to this long for the next tick. */
    aggregatorTickSeconds: config.aggregatorScheduleMinutes * 60,
    /** A lost completion event: "ready" within the wait timeout + 1 simulated hour. */
    lostCompletion: config.waitTimeoutSeconds + 3600,
  };
}

/** Polls less often at large sizes, so that polling does not compete with the work it waits for. */
const pollInterval = (objects: number) => Math.min(2000, 100 + objects / 10);

/**
 * Notes the moment `wanted` more RestoreObject calls than now have reached the local S3
 * (counted in process, so watching costs the work nothing).
 */
function restoreWatch(w: Harness, wanted: number): { at(): number | undefined; msSince(start: number): number | undefined; stop(): void } {
  const restores = () => w.cloud.s3.calls.get('RestoreObject') ?? 0;
  const from = restores();
  let at: number | undefined;
  const timer = setInterval(() => (at ??= restores() - from >= wanted ? Date.now() : undefined), 50);
  return { at: () => at, msSince: (start) => (at === undefined ? undefined : at - start), stop: () => clearInterval(timer) };
}

function allEnded(w: Harness, expected: number): boolean {
  const { total, running } = w.cloud.stepFunctions.statusCounts();
  return total === expected && running === 0;
}

async function stateTransitions(w: Harness, arns: string[]): Promise<number> {
  const limit = pLimit(8);
  const counts = await Promise.all(arns.map((arn) => limit(async () => (await w.path(arn)).length)));
  return counts.reduce((a, b) => a + b, 0);
}

/** CPU ms of the whole process (every thread, user and system) since `start`. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return Math.round((user + system) / 1000);
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );
}

/** A CloudTrail read event typed by hand (for objects whose GetObject would not fail). */
function handRead(w: Harness, key: string, reader: string, id: string) {
  return {
    Source: 'aws.s3',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify({
      eventID: id,
      eventTime: new Date().toISOString(),
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      errorCode: 'InvalidObjectState',
      recipientAccountId: LOCAL_ACCOUNT,
      userIdentity: w.cloud.identityFor(reader),
      requestParameters: { bucketName: BUCKET, key },
    }),
  };
}

type PathName = 'happy' | 'already-in-progress' | 'already-restored' | 'not-archived' | 'timeout-loop' | 'completion-events-lost' | 'deleted-mid-wait';

/**
 * A path run at a clock of its own, for latency: at 500 ms per simulated hour a real second of
 * the local cloud's lag is 2 simulated hours, far above the email targets (minutes).
 */
export interface PathTiming {
  /** Real ms per simulated hour (500 by default). */
  msPerHour?: number;
  /** The tier of Glacier Flexible Retrieval restores (Standard by default: 4 simulated hours; Expedited: 3 minutes). */
  glacierTier?: RestoreTier;
  /** The workflow's wait for the completion event, simulated seconds (1 day by default). */
  waitTimeoutSeconds?: number;
  /**
   * Each object read by a reader of its own, one read every this many simulated seconds (by
   * default one reader reads them all at once). The aggregator ticks once a simulated minute:
   * reads at once share one tick's phase, so their percentiles are one draw; spread reads sample it.
   */
  staggerSeconds?: number;
}

/** One path of the workflow, on `count` objects read once each by one mapped reader. */
async function path(name: PathName, count: number, timing: PathTiming = {}) {
  const slowDeep = name === 'timeout-loop' || name === 'deleted-mid-wait' || name === 'already-in-progress';
  // 500 ms per simulated hour: Glacier Standard 2 s, Deep Archive Bulk 24 s (longer than one 12 s wait), a 1-day copy 12 s.
  // The happy path runs at every size, and a large run outlasts a day of simulated time: its
  // wait timeout and restored copies last a year (73 real minutes), so that no object leaves
  // the happy path because the one-process local cloud fell behind (AWS delivers in seconds).
  // A run at a slower clock keeps the defaults: there the local cloud's lag is seconds of simulated time, not a day.
  const longLived = name === 'happy' && timing.msPerHour === undefined ? { waitTimeoutSeconds: 365 * 86_400, restoreDays: 365 } : {};
  const options: Partial<LocalCloudOptions> = {
    realMsPerSimulatedHour: timing.msPerHour ?? 500,
    ...longLived,
    ...(timing.waitTimeoutSeconds === undefined ? {} : { waitTimeoutSeconds: timing.waitTimeoutSeconds }),
    restoreTiers: { ...(slowDeep ? { DEEP_ARCHIVE: 'Bulk' } : {}), ...(timing.glacierTier ? { GLACIER: timing.glacierTier } : {}) },
    faults: name === 'completion-events-lost' ? { dropRestoreEvents: 1 } : {},
  };
  const w = await world(options);
  const email = 'reader@example.com';
  const firstRefusedReadAt = new Map<string, number>();
  let restoresRequested: ReturnType<typeof restoreWatch> | undefined;
  try {
    const reader = 'AKIABENCHREADER00001';
    await w.principals.put(reader, email, new Date());
    const stagger = timing.staggerSeconds;
    const ownReader = (i: number) => ({ key: `AKIABENCHREADER${String(i + 2).padStart(5, '0')}`, email: `reader${i}@example.com` });
    if (stagger !== undefined) for (let i = 0; i < count; i++) await w.principals.put(ownReader(i).key, ownReader(i).email, new Date());
    const keys = Array.from({ length: count }, (_, i) => `${name}/object-${String(i).padStart(5, '0')}.bin`);
    await w.putObjects(BUCKET, keys, name === 'not-archived' ? 'STANDARD' : slowDeep ? 'DEEP_ARCHIVE' : 'GLACIER');
    if (name === 'already-in-progress' || name === 'already-restored') {
      for (const Key of keys)
        await w.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key, RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: name === 'already-restored' ? 'Expedited' : 'Bulk' } } }));
      if (name === 'already-restored')
        await eventually(async () => (await w.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys.at(-1)! }))).Restore?.includes('"false"') ?? false, 'manual restores', 30_000);
    }
    await w.cloud.settle();
    const before = w.cloud.counters();
    const started = Date.now();
    const cpuBefore = process.cpuUsage();
    restoresRequested = restoreWatch(w, count);
    let expectedExecutions = count;
    if (name === 'already-restored' || name === 'not-archived') {
      const bus = new EventBridgeClientStub(w.cloud.endpoint);
      for (let i = 0; i < keys.length; i += 10) {
        const batch = keys.slice(i, i + 10);
        await bus.putEvents(batch.map((k, j) => handRead(w, k, reader, `bench-${i + j}`)));
        for (const key of batch) firstRefusedReadAt.set(readKey(email, BUCKET, key), Date.now());
      }
    } else if (stagger !== undefined) {
      for (const [i, key] of keys.entries()) {
        await new Promise((r) => setTimeout(r, Math.max(0, started + w.cloud.clock.real(i * stagger * 1000) - Date.now())));
        const { key: readerKey, email: readerEmail } = ownReader(i);
        if ((await w.read(BUCKET, key, readerKey)) === 'InvalidObjectState') firstRefusedReadAt.set(readKey(readerEmail, BUCKET, key), Date.now());
      }
      expectedExecutions = firstRefusedReadAt.size;
    } else {
      const limit = pLimit(16);
      const outcomes = await Promise.all(
        keys.map((key) =>
          limit(async () => {
            const outcome = await w.read(BUCKET, key, reader);
            if (outcome === 'InvalidObjectState') firstRefusedReadAt.set(readKey(email, BUCKET, key), Date.now());
            return outcome;
          }),
        ),
      );
      expectedExecutions = outcomes.filter((o) => o === 'InvalidObjectState').length;
    }
    if (name === 'deleted-mid-wait') {
      await eventually(() => w.cloud.stepFunctions.statusCounts().total === expectedExecutions, 'executions', 60_000, pollInterval(count));
      await new Promise((r) => setTimeout(r, 300));
      for (const Key of keys) await w.s3().send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
    }
    await eventually(() => allEnded(w, expectedExecutions), 'every execution to end', 300_000 + count * 100, pollInterval(count));
    const expectEmails = name !== 'not-archived';
    if (expectEmails) await eventually(() => w.cloud.ses.sent > before.sesSent && w.cloud.ses.list().some((m) => !m.subject.startsWith('Restoring')), 'the final email', 60_000);
    // Readers of their own get emails of their own: every one of them, once no notice is pending.
    if (stagger !== undefined) await eventually(async () => (await w.notices.pending()).length === 0, 'every notice to be sent', 120_000, 1000);
    await w.cloud.settle();
    const wallMs = Date.now() - started;
    const cpuMs = cpuMsSince(cpuBefore);
    const after = w.cloud.counters();
    const list = await w.executions();
    return {
      path: name,
      objects: expectedExecutions,
      wallMs,
      /** CPU time of the whole local cloud (and the bench's client) over the run: the machine's load does not inflate it as much as wall time. */
      cpuMs,
      allRestoresRequestedMs: restoresRequested.msSince(started),
      statuses: Object.fromEntries([...new Set(list.map((e) => e.status))].map((s) => [String(s), list.filter((e) => e.status === s).length] as const)),
      stateTransitions: await stateTransitions(
        w,
        list.map((e) => e.executionArn!),
      ),
      s3: diff(after.s3, before.s3),
      dynamodb: diff(after.dynamodb, before.dynamodb),
      lambda: diff(after.lambda, before.lambda),
      sesSent: after.sesSent - before.sesSent,
      ticks: after.ticks - before.ticks,
      latency: readerLatencies(await sentNotices(w.ddb), firstRefusedReadAt, w.cloud.restoresCompletedAt, w.cloud.clock),
      latencyTargets: latencyTargets(options),
      simulatedHourMs: w.cloud.clock.factor * 3_600_000,
      glacierTier: options.restoreTiers?.GLACIER ?? 'Standard',
      ...(stagger === undefined ? {} : { readEverySeconds: stagger }),
    };
  } finally {
    restoresRequested?.stop();
    await w.stop();
  }
}

/** Many reads of many objects by many readers within the debounce window, every CloudTrail event delivered twice. */
async function burst(objects: number, readers: number, reads: number, msPerHour: number) {
  // The local cloud is one process: it takes minutes to absorb a burst that AWS absorbs in
  // seconds, and the restores it requests complete as spread out as it absorbed the reads. So
  // that the burst falls inside the debounce window, as the scenario intends, the window (6
  // simulated hours: 6 real minutes at the default of one real minute per hour) is longer than
  // the absorption, and the restores (Deep Archive, Standard tier: 12 hours) end after both.
  const debounceHours = 6;
  const options: Partial<LocalCloudOptions> = { realMsPerSimulatedHour: msPerHour, debounceSeconds: debounceHours * 3600, maxWaitSeconds: 48 * 3600, faults: { duplicateS3Events: 1 } };
  const w = await world(options);
  const firstRefusedReadAt = new Map<string, number>();
  let peakRss = process.memoryUsage().rss;
  // What the peak is made of: the JavaScript heap in use and reserved, and memory outside it (Buffers, native).
  const peak = { heapUsed: 0, heapTotal: 0, external: 0, fileBackedKiB: undefined as number | undefined };
  const sampler = setInterval(() => {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    // At each new peak, how much of it is files mapped into memory (on Linux: LevelDB maps its tables).
    if (rss > peakRss) peak.fileBackedKiB = fileBackedKiB();
    peakRss = Math.max(peakRss, rss);
    peak.heapUsed = Math.max(peak.heapUsed, heapUsed);
    peak.heapTotal = Math.max(peak.heapTotal, heapTotal);
    peak.external = Math.max(peak.external, external);
  }, 100);
  let restoresRequested: ReturnType<typeof restoreWatch> | undefined;
  try {
    const readerKeys = Array.from({ length: readers }, (_, r) => `AKIABURST${String(r).padStart(11, '0')}`);
    for (const [r, key] of readerKeys.entries()) await w.principals.put(key, `reader${r}@example.com`, new Date());
    const keys = Array.from({ length: objects }, (_, i) => `burst/${String(i).padStart(6, '0')}.bin`);
    await w.putObjects(BUCKET, keys, 'DEEP_ARCHIVE');
    const perReader = Math.ceil(reads / readers);
    const plan = readerKeys.flatMap((reader, r) => Array.from({ length: perReader }, (_, j) => ({ reader, key: keys[(r * Math.ceil(objects / readers) + j) % objects]! }))).slice(0, reads);
    const distinct = new Set(plan.map((p) => p.key)).size;
    const before = w.cloud.counters();
    restoresRequested = restoreWatch(w, distinct);
    const started = Date.now();
    const limit = pLimit(64);
    const emailOf = new Map(readerKeys.map((key, r) => [key, `reader${r}@example.com`]));
    const outcomes = await Promise.all(
      plan.map((p) =>
        limit(async () => {
          const outcome = await w.read(BUCKET, p.key, p.reader);
          const read = readKey(emailOf.get(p.reader)!, BUCKET, p.key);
          if (outcome === 'InvalidObjectState' && !firstRefusedReadAt.has(read)) firstRefusedReadAt.set(read, Date.now());
          return outcome;
        }),
      ),
    );
    const readsDone = Date.now();
    await eventually(() => allEnded(w, distinct), 'every execution to end', 3_600_000, pollInterval(objects));
    // Every execution has queued its notices; once none is pending, no other email can come.
    // Two debounce windows, and at least ten real minutes: at a fast scale (2 s per simulated
    // hour) the windows last seconds while the aggregator still takes real time to send.
    await eventually(async () => (await w.notices.pending()).length === 0, 'every notice to be sent', Math.max(w.cloud.clock.real(2 * debounceHours * 3_600_000), 600_000), 1000);
    await w.cloud.settle();
    const drainedMs = Date.now() - started;
    // The burst's own peak ends here; the checks below read every object's audit history back,
    // which makes LevelDB map (and so count as resident) most of its files: reported apart.
    const burstPeak = { rss: peakRss, ...peak };
    const after = w.cloud.counters();
    const auditLimit = pLimit(16);
    const perObjectReads = await Promise.all(keys.map((key) => auditLimit(async () => (await w.audit.history(objectIdOf({ bucket: BUCKET, key }))).filter((e) => e.type === 'READ_DETECTED').length)));
    const recorded = perObjectReads.reduce((a, b) => a + b, 0);
    const messages = w.cloud.ses.list();
    const perReaderKinds = readerKeys.map((_, r) => {
      const mine = messages.filter((m) => m.to.includes(`reader${r}@example.com`));
      return { started: mine.filter((m) => m.subject.startsWith('Restoring')).length, ready: mine.filter((m) => m.subject.includes('ready')).length };
    });
    return {
      objects,
      distinctObjectsRead: distinct,
      readers,
      reads: plan.length,
      refusedReads: outcomes.filter((o) => o === 'InvalidObjectState').length,
      duplicateDeliveries: 1,
      restoresRequested: diff(after.s3, before.s3).RestoreObject ?? 0,
      executions: (await w.executions()).length,
      readsRecorded: recorded,
      // A read that came after its object's restore had completed was served, not refused: it
      // raises no event to record, so only refused reads missing from the history are lost.
      readsLost: outcomes.filter((o) => o === 'InvalidObjectState').length - recorded,
      emailsSent: after.sesSent - before.sesSent,
      startedEmailsPerReader: { min: Math.min(...perReaderKinds.map((k) => k.started)), max: Math.max(...perReaderKinds.map((k) => k.started)) },
      readyEmailsPerReader: { min: Math.min(...perReaderKinds.map((k) => k.ready)), max: Math.max(...perReaderKinds.map((k) => k.ready)) },
      readsWallMs: readsDone - started,
      allRestoresRequestedWallMs: restoresRequested.msSince(started),
      simulatedHourMs: msPerHour,
      debounceWindowMs: w.cloud.clock.real(debounceHours * 3_600_000),
      drainWallMs: drainedMs,
      peakRssMiB: Math.round(burstPeak.rss / 1024 / 1024),
      peakHeapUsedMiB: Math.round(burstPeak.heapUsed / 1024 / 1024),
      peakHeapTotalMiB: Math.round(burstPeak.heapTotal / 1024 / 1024),
      peakExternalMiB: Math.round(burstPeak.external / 1024 / 1024),
      ...(burstPeak.fileBackedKiB === undefined ? {} : { peakFileBackedMiB: Math.round(burstPeak.fileBackedKiB / 1024) }),
      peakRssWithChecksMiB: Math.round(peakRss / 1024 / 1024),
      deadLetters: w.cloud.bus.deadLetters.length,
      latency: readerLatencies(await sentNotices(w.ddb), firstRefusedReadAt, w.cloud.restoresCompletedAt, w.cloud.clock),
      latencyTargets: latencyTargets(options),
    };
  } finally {
    clearInterval(sampler);
    restoresRequested?.stop();
    await w.stop();
  }
}

/** The resident memory that maps files (Linux's RssFile), or undefined where /proc does not say. */
function fileBackedKiB(): number | undefined {
  if (!existsSync('/proc/self/status')) return undefined;
  const match = /^RssFile:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/** The aggregator's tick with `pending` notices waiting and `sent` old ones in the table. */
async function tickCost(pending: number, sent: number) {
  // Ten real minutes per simulated minute: the scheduled tick does not run during the scenario,
  // so the one measured tick holds the lease and its calls are the only ones counted. The
  // pending notices are a day old, past the debounce window: the tick emails their 50 readers.
  const w = await world({ realMsPerSimulatedHour: 600_000 * 60, debounceSeconds: 60, maxWaitSeconds: 3600 });
  try {
    const readerArn = (i: number) => `arn:aws:iam::${LOCAL_ACCOUNT}:user/r${i % 50}`;
    for (let r = 0; r < 50; r++) await w.principals.put(readerArn(r), `reader${r}@example.com`, new Date());
    const dayAgo = new Date(Date.now() - 24 * 3_600_000).toISOString();
    const raw = new DynamoDBClient({ endpoint: w.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIABENCHADMIN000001', secretAccessKey: 'local' } });
    const item = (i: number, isPending: boolean) => ({
      PutRequest: {
        Item: {
          readerId: { S: readerArn(i) },
          noticeKey: { S: `${String(i).padStart(32, '0')}#1#started` },
          kind: { S: 'started' },
          status: { S: isPending ? 'pending' : 'sent' },
          createdAt: { S: dayAgo },
          reader: { M: { id: { S: readerArn(i) }, arn: { S: readerArn(i) } } },
          file: { M: { objectId: { S: `s3://${BUCKET}/k${i}` }, cycle: { N: '1' }, bucket: { S: BUCKET }, key: { S: `k${i}` } } },
          ...(isPending ? { pendingPartition: { S: 'PENDING' } } : {}),
        },
      },
    });
    const all = [...Array.from({ length: sent }, (_, i) => item(i, false)), ...Array.from({ length: pending }, (_, i) => item(sent + i, true))];
    const limit = pLimit(8);
    const batches = [];
    for (let i = 0; i < all.length; i += 25) batches.push(all.slice(i, i + 25));
    await Promise.all(batches.map((b) => limit(() => raw.send(new BatchWriteItemCommand({ RequestItems: { [TABLE_NAMES.notices]: b } })))));
    raw.destroy();
    const before = w.cloud.counters();
    const t0 = process.hrtime.bigint();
    const result = (await w.cloud.functions.invoke('notify-aggregator', { action: 'tick' })) as { pending: number; emailsSent: number };
    const tickMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return { pending, sentInTable: sent, tickSawPending: result.pending, emailsSent: result.emailsSent, dynamodbCalls: diff(w.cloud.counters().dynamodb, before.dynamodb), tickMs: Math.round(tickMs) };
  } finally {
    await w.stop();
  }
}

/** The S3 part alone, as a script would do it: HeadObject + RestoreObject per object; against the orchestrated start of the same number. */
async function baseline(objects: number) {
  const w = await world({ realMsPerSimulatedHour: 60_000 });
  try {
    const keys = Array.from({ length: objects }, (_, i) => `baseline/${String(i).padStart(6, '0')}.bin`);
    const orchestrated = Array.from({ length: objects }, (_, i) => `orchestrated/${String(i).padStart(6, '0')}.bin`);
    await w.putObjects(BUCKET, [...keys, ...orchestrated], 'GLACIER');
    const limit = pLimit(16);
    const t0 = Date.now();
    // CPU of the whole process (every thread): on N cores, the wall time cannot fall below CPU / N.
    const cpu0 = process.cpuUsage();
    await Promise.all(
      keys.map((Key) =>
        limit(async () => {
          const head = await w.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
          if (!head.Restore) await w.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key, RestoreRequest: { Days: 7, GlacierJobParameters: { Tier: 'Standard' } } }));
        }),
      ),
    );
    const scriptMs = Date.now() - t0;
    const scriptCpuMs = cpuMsSince(cpu0);
    const restoresRequested = restoreWatch(w, objects);
    const t1 = Date.now();
    const cpu1 = process.cpuUsage();
    await Promise.all(orchestrated.map((key) => limit(() => w.read(BUCKET, key, 'AKIABASELINEREADER01'))));
    // The script is done when its last RestoreObject returns; so is the system.
    const requestedAt = await eventually(() => restoresRequested.at(), 'every orchestrated restore to be requested', 600_000, 50);
    // Up to when the poll saw the last request (at most 50 ms late): work after it, such as the completions, is not counted.
    const orchestratedCpuMs = cpuMsSince(cpu1);
    restoresRequested.stop();
    const orchestratedMs = requestedAt - t1;
    return { objects, scriptMs, orchestratedMs, ratio: Math.round((orchestratedMs / scriptMs) * 10) / 10, scriptCpuMs, orchestratedCpuMs };
  } finally {
    await w.stop();
  }
}

const [name, rawOptions] = process.argv.slice(2);
const options = (rawOptions ? JSON.parse(rawOptions) : {}) as Record<string, number>;
/** The one option that is not a number. */
const { glacierTier } = options as unknown as { glacierTier?: RestoreTier };
const scenarios: Record<string, () => Promise<unknown>> = {
  path: () =>
    path(String(options.path ?? 'happy') as PathName, options.objects ?? 20, {
      msPerHour: options.msPerHour,
      glacierTier,
      waitTimeoutSeconds: options.waitTimeoutSeconds,
      staggerSeconds: options.staggerSeconds,
    }),
  burst: () => burst(options.objects ?? 2000, options.readers ?? 50, options.reads ?? 10_000, options.msPerHour ?? 60_000),
  tick: () => tickCost(options.pending ?? 100, options.sent ?? 10_000),
  baseline: () => baseline(options.objects ?? 500),
};
const scenario = scenarios[name ?? ''];
if (!scenario) {
  process.stderr.write(`usage: tsx bench/scenario.ts <${Object.keys(scenarios).join('|')}> [json options]\n`);
  process.exitCode = 2;
} else {
  // Exits explicitly: an interpreter's pending state timeouts (a day-long wait, scaled) would
  // otherwise keep the process alive after the local cloud has stopped.
  scenario().then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`, () => process.exit(1));
    },
  );
}
