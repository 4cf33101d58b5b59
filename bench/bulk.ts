/**
 * `npx tsx bench/bulk.ts --objects=100000`: the bulk path on the local cloud. Puts N archived
 * objects under one prefix, plans and submits them in a process of their own (wall time, peak
 * RSS), waits for the batch to end and for the emails, and counts what it cost: restores per
 * object, per-object executions, state transitions, Lambda invocations, DynamoDB writes. Writes
 * bench/bulk-results.json (bench/BULK.md reports it).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { BATCH_STATE_MACHINE_ARN, MANIFEST_BUCKET, STATE_MACHINE_ARN, TABLE_NAMES } from '../local/deployment.js';
import { eventually } from '../local/eventually.js';
import { startHarness } from '../local/harness.js';
import { saveBulkResults } from './bulk-results-file.js';
import { costPer1000, perObject, type FullPriceTable } from './cost.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const OBJECTS = arg('objects', 10_000);
// Slow enough that the jobs (real seconds per thousand tasks) end long before the tier's deadline.
const MS_PER_SIMULATED_HOUR = arg('ms-per-hour', 20_000);
const TIER = process.argv.includes('--bulk') ? 'BULK' : 'STANDARD';
const BUCKET = 'bulk-bench';
const REQUESTER = 'AKIABULKBENCH0000001';

const h = await startHarness({ realMsPerSimulatedHour: MS_PER_SIMULATED_HOUR });
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
try {
  await h.createBucket(BUCKET);
  await h.principals.put(REQUESTER, 'owner@example.com', new Date());
  const putStart = Date.now();
  const keys = Array.from({ length: OBJECTS }, (_, i) => `bulk/folder-${Math.floor(i / 1000)}/object-${i}.bin`);
  for (let i = 0; i < keys.length; i += 10_000) {
    await h.putObjects(BUCKET, keys.slice(i, i + 10_000), 'GLACIER');
    log(`put ${Math.min(i + 10_000, keys.length)} objects`);
  }
  const putSeconds = (Date.now() - putStart) / 1000;

  const before = h.cloud.counters();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/bulk-submit.ts', h.cloud.endpoint, TABLE_NAMES.objects, MANIFEST_BUCKET, BATCH_STATE_MACHINE_ARN, BUCKET, 'bulk/', REQUESTER, 'team@example.com', TIER],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const submit = JSON.parse(stdout) as { submission: { outcome: string; batchId: string; executionArn: string; objectCount: number }; seconds: number; peakRssMB: number };
  log(`submitted ${submit.submission.objectCount} objects in ${submit.seconds.toFixed(1)} s, peak RSS ${submit.peakRssMB} MB`);
  const runStart = Date.now();
  const execution = await eventually(
    async () => {
      const out = await h.sfn.send(new DescribeExecutionCommand({ executionArn: submit.submission.executionArn }));
      return out.status !== 'RUNNING' ? out : undefined;
    },
    'the batch to end',
    3_600_000,
    2_000,
  );
  const emails = await h.waitForEmails(4);
  const runSeconds = (Date.now() - runStart) / 1000;
  await h.cloud.settle();
  const after = h.cloud.counters();
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)]));
  const history: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: submit.submission.executionArn, maxResults: 1000, nextToken }));
    history.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const transitions = history.filter((e) => e.type?.endsWith('StateEntered')).length;
  const perObjectExecutions = (await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN }))).executions?.length ?? 0;
  const s3 = delta(after.s3, before.s3);
  const dynamodb = delta(after.dynamodb, before.dynamodb);
  const lambda = delta(after.lambda, before.lambda);
  const ticks = after.ticks - before.ticks;
  const counts = perObject({ objects: OBJECTS, stateTransitions: transitions, s3, dynamodb, lambda, sesSent: after.sesSent - before.sesSent, ticks });
  const prices = JSON.parse(readFileSync(new URL('../pricing/us-east-1.json', import.meta.url), 'utf8')) as FullPriceTable & { asOf: string };
  const cost = costPer1000(counts, prices);
  const batch = await h.records.get(`#batch#${submit.submission.batchId}`);
  const result = {
    date: new Date().toISOString(),
    command: `npx tsx bench/bulk.ts --objects=${OBJECTS} --ms-per-hour=${MS_PER_SIMULATED_HOUR}${TIER === 'BULK' ? ' --bulk' : ''}`,
    tier: TIER,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    pricesAsOf: prices.asOf,
    objects: OBJECTS,
    putSeconds,
    submit: { seconds: submit.seconds, peakRssMB: submit.peakRssMB },
    runSeconds,
    executionStatus: execution.status,
    batch,
    restoreObjectCalls: s3.RestoreObject ?? 0,
    perObjectExecutions,
    emails: emails.map((e) => ({ to: (e as { to?: unknown }).to, subject: (e as { subject?: string }).subject })),
    transitions,
    lambda,
    dynamodb,
    perObject: counts,
    costPer1000: cost,
  };
  saveBulkResults(String(OBJECTS), result);
  process.stdout.write(`${JSON.stringify({ ...result, batch: undefined, emails: result.emails.length }, null, 2)}\n`);
} finally {
  await h.stop();
}
