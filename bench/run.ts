/**
 * `npm run bench`: every scenario on the local cloud, each in its own process; writes
 * bench/RESULTS.md and bench/results.json. `--quick` runs small sizes (a minute or two).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { costPer1000, perObject, type FullPriceTable } from './cost.js';

const quick = process.argv.includes('--quick');
const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
const SIZES = sizesArg ? sizesArg.slice('--sizes='.length).split(',').map(Number) : quick ? [100, 300] : [1000, 10_000];
const PATH_OBJECTS = quick ? 5 : 20;
const burstArg = process.argv.find((a) => a.startsWith('--burst='));
const [burstObjects, burstReaders, burstReads] = burstArg ? burstArg.slice('--burst='.length).split(',').map(Number) : quick ? [200, 10, 1000] : [2000, 50, 10_000];
const BURST = { objects: burstObjects!, readers: burstReaders!, reads: burstReads! };
const TICK_TABLE_SIZES = quick ? [1000, 5000] : [1000, 10_000, 50_000];
const BASELINE_OBJECTS = quick ? 100 : 200;
const PATHS = ['happy', 'already-in-progress', 'already-restored', 'not-archived', 'timeout-loop', 'completion-events-lost', 'deleted-mid-wait'] as const;

async function scenario<T>(name: string, options: object): Promise<T> {
  process.stderr.write(`bench: ${name} ${JSON.stringify(options)}\n`);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/scenario.ts', name, JSON.stringify(options)], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

type PathRun = Parameters<typeof perObject>[0] & { path: string; wallMs: number; statuses: Record<string, number> };

async function main(): Promise<void> {
  const prices = JSON.parse(readFileSync(new URL('../pricing/us-east-1.json', import.meta.url), 'utf8')) as FullPriceTable & { asOf: string };
  const started = new Date();
  const paths: PathRun[] = [];
  for (const path of PATHS) paths.push(await scenario<PathRun>('path', { path, objects: PATH_OBJECTS }));
  const scaling: PathRun[] = [];
  for (const objects of SIZES) scaling.push(await scenario<PathRun>('path', { path: 'happy', objects }));
  const burst = await scenario<Record<string, unknown>>('burst', BURST);
  const ticks: Record<string, unknown>[] = [];
  for (const sent of TICK_TABLE_SIZES) ticks.push(await scenario('tick', { pending: 100, sent }));
  const baseline = await scenario<{ objects: number; scriptMs: number; orchestratedMs: number; ratio: number }>('baseline', { objects: BASELINE_OBJECTS });

  const glacierStandard = prices.restore.GLACIER!.Standard!;
  const results = {
    date: started.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
    pricesAsOf: prices.asOf,
    paths: paths.map((run) => ({ ...run, perObject: perObject(run), costPer1000: costPer1000(perObject(run), prices) })),
    scaling: scaling.map((run) => ({ objects: run.objects, wallMs: run.wallMs, msPerObject: run.wallMs / run.objects, perObject: perObject(run) })),
    burst,
    aggregatorTick: ticks,
    baseline,
    restoreFeesPer1000: { glacierStandardRequests: glacierStandard.per1000Requests, glacierStandardPerGB: glacierStandard.perGB, note: 'plus $/GB retrieved: 1,000 objects of 1 GB cost $10 to retrieve at Glacier Standard' },
  };
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(new URL('./RESULTS.md', import.meta.url), render(results));
  process.stderr.write('bench: wrote bench/RESULTS.md and bench/results.json\n');
}

function render(r: {
  date: string; command: string; machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string }; pricesAsOf: string;
  paths: (PathRun & { perObject: ReturnType<typeof perObject>; costPer1000: ReturnType<typeof costPer1000> })[];
  scaling: { objects: number; wallMs: number; msPerObject: number; perObject: ReturnType<typeof perObject> }[];
  burst: Record<string, unknown>; aggregatorTick: Record<string, unknown>[]; baseline: { objects: number; scriptMs: number; orchestratedMs: number; ratio: number };
  restoreFeesPer1000: { glacierStandardRequests: number; glacierStandardPerGB: number };
}): string {
  const f = (n: number, d = 2) => n.toFixed(d);
  const lines = [
    '# Benchmark results',
    '',
    `Run ${r.date} with \`${r.command}\` on ${r.machine.cpus} × ${r.machine.cpuModel ?? 'CPU'}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; prices: \`pricing/us-east-1.json\` (as of ${r.pricesAsOf}).`,
    'Everything runs on the local cloud (one process per scenario); counts are exact, times are this machine\'s.',
    '',
    '## Work and cost per object, by path',
    '',
    '| path | objects | ended | state transitions | Lambda invocations | DynamoDB writes | DynamoDB reads | S3 GET/HEAD | emails | orchestration $ / 1,000 objects |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.paths.map((p) => `| ${p.path} | ${p.objects} | ${Object.entries(p.statuses).map(([s, n]) => `${n} ${s}`).join(', ')} | ${f(p.perObject.stateTransitions, 1)} | ${f(p.perObject.lambdaInvocations, 1)} | ${f(p.perObject.dynamodbWrites, 1)} | ${f(p.perObject.dynamodbReads, 1)} | ${f(p.perObject.s3GetHead, 1)} | ${f(p.perObject.emails, 2)} | $${f(p.costPer1000.total, 4)} |`),
    '',
    'S3 calls by API, per path (totals):',
    '',
    ...r.paths.map((p) => `- ${p.path}: ${Object.entries(p.s3).map(([k, v]) => `${k} ${v}`).join(', ')}; Lambda: ${Object.entries(p.lambda).map(([k, v]) => `${k} ${v}`).join(', ')}`),
    '',
    `Next to the restore itself: Glacier Flexible Retrieval Standard costs $${r.restoreFeesPer1000.glacierStandardRequests} per 1,000 restore requests plus $${r.restoreFeesPer1000.glacierStandardPerGB} per GB retrieved.`,
    'Orchestration cost assumes 512 MB Lambda functions running 100 ms on average; DynamoDB on demand, one request unit per call.',
    '',
    '## Burst',
    '',
    '```json',
    JSON.stringify(r.burst, null, 2),
    '```',
    '',
    '## Scaling (happy path, one read per object)',
    '',
    '| objects | wall time | ms per object | state transitions / object | Lambda / object | DynamoDB writes / object | DynamoDB reads / object |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.scaling.map((s) => `| ${s.objects} | ${f(s.wallMs / 1000, 1)} s | ${f(s.msPerObject, 1)} | ${f(s.perObject.stateTransitions, 1)} | ${f(s.perObject.lambdaInvocations, 2)} | ${f(s.perObject.dynamodbWrites, 2)} | ${f(s.perObject.dynamodbReads, 2)} |`),
    '',
    '## The aggregator\'s tick against table size (100 pending notices)',
    '',
    '| sent notices in the table | pending seen | DynamoDB calls | tick time |',
    '| ---: | ---: | --- | ---: |',
    ...r.aggregatorTick.map((t) => `| ${t.sentInTable as number} | ${t.tickSawPending as number} | ${Object.entries(t.dynamodbCalls as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')} | ${t.tickMs as number} ms |`),
    '',
    '## Against a plain script',
    '',
    `The S3 part alone (HeadObject + RestoreObject per object, 16 at a time, as the AWS Storage Blog script does) for ${r.baseline.objects} objects: ${f(r.baseline.scriptMs / 1000, 1)} s. The same number of detected reads through the whole system until every restore is requested and its workflow waiting: ${f(r.baseline.orchestratedMs / 1000, 1)} s, a ratio of ${r.baseline.ratio}.`,
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
