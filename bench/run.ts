/**
 * `npm run bench`: every scenario on the local cloud, each in its own process; writes
 * bench/RESULTS.md and bench/results.json. `--quick` runs small sizes (a minute or two);
 * `--only=tick,baseline` reruns those sections and keeps the others from bench/results.json;
 * `--render` writes RESULTS.md again from bench/results.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { costPer1000, perObject, type FullPriceTable, type PerObjectCounts } from './cost.js';
import { renderLatency, type LatencyReport, type LatencyRun } from './latency-report.js';
import { BEFORE, PROFILE_NOTES } from './profile-notes.js';
import { runScenario } from './run-scenario.js';

const quick = process.argv.includes('--quick');
const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
const SIZES = sizesArg ? sizesArg.slice('--sizes='.length).split(',').map(Number) : quick ? [100, 300] : [1000, 10_000, 50_000];
const PATH_OBJECTS = quick ? 5 : 20;
const burstArg = process.argv.find((a) => a.startsWith('--burst='));
// `--burst=objects,readers,reads[,real ms per simulated hour]` (the scale defaults to a minute per hour).
const [burstObjects, burstReaders, burstReads, burstMsPerHour] = burstArg ? burstArg.slice('--burst='.length).split(',').map(Number) : quick ? [200, 10, 1000] : [2000, 50, 10_000];
/** Real milliseconds per simulated hour of the fast-clock burst: 24 s restores, a 12 s debounce window. */
const FAST_BURST_MS_PER_HOUR = 2000;
const BURST = { objects: burstObjects!, readers: burstReaders!, reads: burstReads!, ...(burstMsPerHour ? { msPerHour: burstMsPerHour } : {}) };
/** The tick with 100 pending notices in ever larger tables, then with ten times the pending notices. */
const TICKS = (
  quick
    ? [
        [100, 1000],
        [100, 5000],
        [1000, 5000],
      ]
    : [
        [100, 1000],
        [100, 10_000],
        [100, 50_000],
        [1000, 50_000],
      ]
).map(([pending, sent]) => ({ pending, sent }));
const BASELINE_OBJECTS = quick ? 100 : 200;
/**
 * The latency runs: the happy path and a lost completion event at ten real minutes per simulated
 * hour (a real second of the local cloud's lag is 6 simulated seconds, against targets of
 * minutes). Glacier's Expedited tier (3 simulated minutes, 30 real seconds) keeps the restores
 * short; the lost event's run waits 10 simulated minutes for it, not a day (4 real hours here).
 */
const LATENCY_MS_PER_HOUR = 600_000;
/** Each object read by a reader of its own, 23 simulated seconds apart: the reads fall at every point of the aggregator's minute. */
const LATENCY_STAGGER_SECONDS = 23;
const LATENCY_RUNS = [
  { path: 'happy', objects: PATH_OBJECTS, msPerHour: LATENCY_MS_PER_HOUR, glacierTier: 'Expedited', staggerSeconds: LATENCY_STAGGER_SECONDS },
  { path: 'completion-events-lost', objects: PATH_OBJECTS, msPerHour: LATENCY_MS_PER_HOUR, glacierTier: 'Expedited', waitTimeoutSeconds: 600, staggerSeconds: LATENCY_STAGGER_SECONDS },
] as const;
const SECTIONS = ['paths', 'burst', 'tick', 'baseline', 'scaling', 'latency'] as const;
type Section = (typeof SECTIONS)[number];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const ONLY = onlyArg ? onlyArg.slice('--only='.length).split(',') : undefined;
const unknownSection = ONLY?.find((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknownSection) {
  process.stderr.write(`bench: unknown section ${unknownSection} (sections: ${SECTIONS.join(', ')})\n`);
  process.exit(2);
}
const runs = (section: Section) => !ONLY || ONLY.includes(section);
/** Where each section's figures are kept in results.json. */
/** The fields of results.json each section writes (a rerun replaces exactly these). */
const SECTION_FIELDS = {
  paths: ['paths'],
  burst: ['burst', 'burstFastClock'],
  tick: ['aggregatorTick'],
  baseline: ['baseline'],
  scaling: ['scaling'],
  latency: ['latency'],
} as const satisfies Record<Section, readonly (keyof Results)[]>;
const PATHS = ['happy', 'already-in-progress', 'already-restored', 'not-archived', 'timeout-loop', 'completion-events-lost', 'deleted-mid-wait'] as const;

async function scenario<T>(name: string, options: object): Promise<T> {
  process.stderr.write(`bench: ${name} ${JSON.stringify(options)}\n`);
  return runScenario<T>(name, options);
}

type PathRun = Parameters<typeof perObject>[0] & LatencyReport & { path: string; wallMs: number; cpuMs?: number; allRestoresRequestedMs?: number; statuses: Record<string, number> };

interface Results {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string };
  pricesAsOf: string;
  paths: (PathRun & { perObject: ReturnType<typeof perObject>; costPer1000: ReturnType<typeof costPer1000> })[];
  scaling: { objects: number; wallMs: number; cpuMs?: number; allRestoresRequestedMs?: number; perObject: ReturnType<typeof perObject> }[];
  burst?: Record<string, unknown>;
  /** The same burst at FAST_BURST_MS_PER_HOUR. */
  burstFastClock?: Record<string, unknown>;
  /** The latency section (absent from results written before it existed). */
  latency?: LatencyRun[];
  aggregatorTick: Record<string, unknown>[];
  /** CPU of the whole process in each phase (absent from runs before it was measured). */
  baseline?: { objects: number; scriptMs: number; orchestratedMs: number; ratio: number; scriptCpuMs?: number; orchestratedCpuMs?: number };
  restoreFeesPer1000: { glacierStandardRequests: number; glacierStandardPerGB: number; note: string };
  /** Sections run again later with `--only`; `note` says what was different about the run. */
  reruns?: { date: string; command: string; sections: string[]; note?: string }[];
}

async function main(): Promise<void> {
  // `--render`: RESULTS.md again from bench/results.json (after editing a rerun's note), running nothing.
  if (process.argv.includes('--render')) {
    const results = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8')) as Results;
    writeFileSync(new URL('./RESULTS.md', import.meta.url), render(results));
    return;
  }
  const prices = JSON.parse(readFileSync(new URL('../pricing/us-east-1.json', import.meta.url), 'utf8')) as FullPriceTable & { asOf: string };
  const glacierStandard = prices.restore.GLACIER!.Standard!;
  const date = new Date().toISOString();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const resultsFile = new URL('./results.json', import.meta.url);
  const results: Results = ONLY
    ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Results)
    : {
        date,
        command,
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
        pricesAsOf: prices.asOf,
        paths: [],
        scaling: [],
        aggregatorTick: [],
        restoreFeesPer1000: {
          glacierStandardRequests: glacierStandard.per1000Requests,
          glacierStandardPerGB: glacierStandard.perGB,
          note: 'plus $/GB retrieved: 1,000 objects of 1 GB cost $10 to retrieve at Glacier Standard',
        },
      };
  if (ONLY) results.reruns = [...(results.reruns ?? []), { date, command, sections: ONLY }];
  // Written after every scenario: a long run that stops part way still leaves what it measured.
  // A rerun merges into the file as it is now, so reruns of different sections may run side by side.
  const save = () => {
    const onFile = ONLY ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Results) : undefined;
    const merged: Results = onFile
      ? {
          ...onFile,
          ...Object.fromEntries(SECTIONS.filter(runs).flatMap((section) => SECTION_FIELDS[section].map((field) => [field, results[field]]))),
          reruns: [...(onFile.reruns ?? []).filter((x) => x.date !== date || x.command !== command), { date, command, sections: ONLY! }],
        }
      : results;
    writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
    writeFileSync(new URL('./RESULTS.md', import.meta.url), render(merged));
  };
  if (runs('paths')) {
    results.paths = [];
    for (const path of PATHS) {
      const run = await scenario<PathRun>('path', { path, objects: PATH_OBJECTS });
      results.paths.push({ ...run, perObject: perObject(run), costPer1000: costPer1000(perObject(run), prices) });
      save();
    }
  }
  if (runs('latency')) {
    results.latency = [];
    for (const run of LATENCY_RUNS) {
      results.latency.push(await scenario<LatencyRun>('path', run));
      save();
    }
  }
  if (runs('burst')) {
    results.burst = await scenario<Record<string, unknown>>('burst', BURST);
    save();
    // At one real minute per simulated hour the restores alone last 12 real minutes: the same
    // burst at a clock where they last seconds measures how fast the local cloud drains it.
    results.burstFastClock = await scenario<Record<string, unknown>>('burst', { ...BURST, msPerHour: FAST_BURST_MS_PER_HOUR });
    save();
  }
  if (runs('tick')) {
    results.aggregatorTick = [];
    for (const tick of TICKS) {
      results.aggregatorTick.push(await scenario('tick', tick));
      save();
    }
  }
  if (runs('baseline')) {
    results.baseline = await scenario('baseline', { objects: BASELINE_OBJECTS });
    save();
  }
  if (runs('scaling')) {
    // A rerun replaces the sizes it measures and keeps the others (`--only=scaling --sizes=50000`).
    results.scaling = ONLY ? results.scaling.filter((s) => !SIZES.includes(s.objects)) : [];
    for (const objects of SIZES) {
      const run = await scenario<PathRun>('path', { path: 'happy', objects });
      results.scaling.push({ objects: run.objects, wallMs: run.wallMs, cpuMs: run.cpuMs, allRestoresRequestedMs: run.allRestoresRequestedMs, perObject: perObject(run) });
      results.scaling.sort((a, b) => a.objects - b.objects);
      save();
    }
  }
  process.stderr.write('bench: wrote bench/RESULTS.md and bench/results.json\n');
}

function render(r: Results): string {
  const f = (n: number, d = 2) => n.toFixed(d);
  const lines = [
    '# Benchmark results',
    '',
    `Run ${r.date} with \`${r.command}\` on ${r.machine.cpus} × ${r.machine.cpuModel ?? 'CPU'}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; prices: \`pricing/us-east-1.json\` (as of ${r.pricesAsOf}).`,
    ...(r.reruns ?? []).map((x) => `Rerun ${x.date} with \`${x.command}\`: ${x.sections.join(', ')}.`),
    ...(r.reruns ?? []).flatMap((x) => (x.note ? [x.note] : [])),
    "Everything runs on the local cloud (one process per scenario); counts are exact, times are this machine's.",
    '',
    ...renderTargets(r),
    '',
    ...renderLatency(r.latency, r.paths, r.burst),
    '',
    ...PROFILE_NOTES,
    '',
    '## Work and cost per object, by path',
    '',
    '| path | objects | ended | state transitions | Lambda invocations | DynamoDB writes | DynamoDB reads | S3 GET/HEAD | emails | orchestration $ / 1,000 objects |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.paths.map(
      (p) =>
        `| ${p.path} | ${p.objects} | ${Object.entries(p.statuses)
          .map(([s, n]) => `${n} ${s}`)
          .join(
            ', ',
          )} | ${f(p.perObject.stateTransitions, 1)} | ${f(p.perObject.lambdaInvocations, 1)} | ${f(p.perObject.dynamodbWrites, 1)} | ${f(p.perObject.dynamodbReads, 1)} | ${f(p.perObject.s3GetHead, 1)} | ${f(p.perObject.emails, 2)} | $${f(p.costPer1000.total, 4)} |`,
    ),
    '',
    'S3 calls by API, per path (totals):',
    '',
    ...r.paths.map(
      (p) =>
        `- ${p.path}: ${Object.entries(p.s3)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; Lambda: ${Object.entries(p.lambda)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    ),
    '',
    `Next to the restore itself: Glacier Flexible Retrieval Standard costs $${r.restoreFeesPer1000.glacierStandardRequests} per 1,000 restore requests plus $${r.restoreFeesPer1000.glacierStandardPerGB} per GB retrieved.`,
    'Orchestration cost assumes 512 MB Lambda functions running 100 ms on average; DynamoDB on demand, one request unit per call.',
    '',
    '## Burst',
    '',
    ...(r.burst ? renderBurst(r.burst) : ['Not run.']),
    '',
    '## Scaling (happy path, one read per object)',
    '',
    'Growth is each figure per object against the smallest run: flat work per object reads ×1.00.',
    '',
    'Wall time runs from the first read to the last email; the restores themselves take 2 s (4 simulated hours). The local cloud is one process: "until every restore is requested" is how fast it absorbs reads.',
    '',
    '| objects | wall time | until every restore is requested | ms per object (requested) | CPU ms per object | state transitions / object | Lambda / object | DynamoDB writes / object | DynamoDB reads / object | growth (transitions, Lambda, writes, reads) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.scaling.map((s) => {
      const first = r.scaling[0]!.perObject;
      const growth = (['stateTransitions', 'lambdaInvocations', 'dynamodbWrites', 'dynamodbReads'] as const).map((k) => `×${f(s.perObject[k] / first[k])}`).join(', ');
      const requested = s.allRestoresRequestedMs === undefined ? 'not reached' : `${f(s.allRestoresRequestedMs / 1000, 1)} s`;
      const perObjectMs = s.allRestoresRequestedMs === undefined ? '' : f(s.allRestoresRequestedMs / s.objects, 1);
      const cpuPerObject = s.cpuMs === undefined ? 'not measured' : f(s.cpuMs / s.objects, 1);
      return `| ${s.objects} | ${f(s.wallMs / 1000, 1)} s | ${requested} | ${perObjectMs} | ${cpuPerObject} | ${f(s.perObject.stateTransitions, 1)} | ${f(s.perObject.lambdaInvocations, 2)} | ${f(s.perObject.dynamodbWrites, 2)} | ${f(s.perObject.dynamodbReads, 2)} | ${growth} |`;
    }),
    '',
    "## The aggregator's tick against table size and pending notices",
    '',
    'Pending notices of 50 readers, all due. The tick reads them through a sparse index, so its cost follows the pending notices, not the table.',
    '',
    '| sent notices in the table | pending seen | emails sent | DynamoDB calls | tick time |',
    '| ---: | ---: | ---: | --- | ---: |',
    ...r.aggregatorTick.map(
      (t) =>
        `| ${t.sentInTable as number} | ${t.tickSawPending as number} | ${t.emailsSent as number} | ${Object.entries(t.dynamodbCalls as Record<string, number>)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} | ${t.tickMs as number} ms |`,
    ),
    '',
    '## Against a plain script',
    '',
    r.baseline
      ? `The S3 part alone (HeadObject + RestoreObject per object, 16 at a time, as the AWS Storage Blog script does) for ${r.baseline.objects} objects: ${f(r.baseline.scriptMs / 1000, 1)} s. The same number of failed reads through the whole system (CloudTrail event, detection, execution, inspection) until every restore is requested: ${f(r.baseline.orchestratedMs / 1000, 1)} s, a ratio of ${r.baseline.ratio}.${baselineCpu(r.baseline, r.machine.cpus)}`
      : 'Not run.',
    '',
  ];
  return lines.join('\n');
}

/** What the machine's cores allow: the system's CPU spread over every core is the least wall time it can take. */
function baselineCpu(b: NonNullable<Results['baseline']>, cores: number): string {
  if (b.scriptCpuMs === undefined || b.orchestratedCpuMs === undefined) return '';
  const floorMs = b.orchestratedCpuMs / cores;
  return ` CPU of the whole process (every thread): ${(b.scriptCpuMs / 1000).toFixed(1)} s for the script, ${(b.orchestratedCpuMs / 1000).toFixed(1)} s for the system (${(b.orchestratedCpuMs / b.objects).toFixed(1)} ms per object). Spread evenly over the ${cores} cores, the system's CPU alone takes ${(floorMs / 1000).toFixed(1)} s: a ratio of at least ${(floorMs / b.scriptMs).toFixed(1)} at this CPU per object.`;
}

/** Objects per second from a read to its restore being requested, in the scaling run of `objects`. */
function throughput(r: Results, objects: number): number | undefined {
  const run = r.scaling.find((s) => s.objects === objects);
  return run?.allRestoresRequestedMs ? run.objects / (run.allRestoresRequestedMs / 1000) : undefined;
}

/** One row of the targets table; `met` is `null` for a figure with no target of its own (shown for what it explains). */
function row(figure: string, before: string, after: string, target: string, met: boolean | undefined | null): string {
  return `| ${figure} | ${before} | ${after} | ${target} | ${met === null ? '' : met === undefined ? 'not measured' : met ? 'met' : 'not met'} |`;
}

/** The happy path's work per object against the targets: DynamoDB calls (writes, reads) and no more transitions or invocations than before. */
function happyPathRows(after: PerObjectCounts | undefined): string[] {
  const targets: [string, keyof PerObjectCounts, number, number][] = [
    ['DynamoDB write calls', 'dynamodbWrites', BEFORE.happyWritesPerObject, 12],
    ['DynamoDB read calls', 'dynamodbReads', BEFORE.happyReadsPerObject, 3],
    ['state transitions', 'stateTransitions', BEFORE.happyTransitionsPerObject, BEFORE.happyTransitionsPerObject],
    ['Lambda invocations', 'lambdaInvocations', BEFORE.happyLambdaPerObject, BEFORE.happyLambdaPerObject],
  ];
  return targets.map(([what, field, before, most]) =>
    row(`happy path: ${what} per object`, before.toFixed(1), after ? after[field].toFixed(1) : 'not run', `at most ${String(most)}`, after && after[field] <= most),
  );
}

/** A burst's drain and peak memory against the targets (under 6 minutes, under 1 GiB); a figure not measured reads "not run". */
function burstRows(label: string, before: { drainMs?: number; peakRssMiB?: number }, after: { drainWallMs?: number; peakRssMiB?: number } | undefined): string[] {
  const seconds = (ms: number | undefined) => (ms === undefined ? 'not run' : `${(ms / 1000).toFixed(0)} s`);
  const mib = (value: number | undefined) => (value === undefined ? 'not run' : `${value} MiB`);
  const drain = after?.drainWallMs;
  const peak = after?.peakRssMiB;
  return [
    row(`${label}: drained`, seconds(before.drainMs), seconds(drain), 'under 360 s', drain === undefined ? undefined : drain < 360_000),
    row(`${label}: peak memory`, mib(before.peakRssMiB), mib(peak), 'under 1024 MiB', peak === undefined ? undefined : peak < 1024),
  ];
}

function renderTargets(r: Results): string[] {
  // A burst measured before latency was (an older bench) is the "before", not an "after".
  const b = r.burst?.latencyTargets ? (r.burst as { drainWallMs?: number; peakRssMiB?: number }) : undefined;
  const tp = throughput(r, 10_000);
  return [
    '## Targets of the local cloud: before and after',
    '',
    `Before: ${BEFORE.source}. After: this file's runs (see the dates above).`,
    '',
    '| figure | before | after | target | |',
    '| --- | ---: | ---: | ---: | --- |',
    row(
      'objects per second, read → restore requested, at 10,000 objects',
      BEFORE.objectsPerSecondAt10000.toFixed(1),
      tp === undefined ? 'not run' : tp.toFixed(1),
      'at least 50',
      tp === undefined ? undefined : tp >= 50,
    ),
    row(
      'CPU ms per object (happy path, 1,000 objects)',
      BEFORE.cpuMsPerObjectAt1000.toFixed(1),
      (() => {
        const run = r.scaling.find((s) => s.objects === 1000);
        return run?.cpuMs === undefined ? 'not run' : (run.cpuMs / run.objects).toFixed(1);
      })(),
      'no target',
      null,
    ),
    ...burstRows('burst', { drainMs: BEFORE.burstDrainMs, peakRssMiB: BEFORE.burstPeakRssMiB }, b),
    ...burstRows(`burst at ${FAST_BURST_MS_PER_HOUR / 1000} s per simulated hour`, {}, r.burstFastClock),
    ...happyPathRows(r.paths.find((p) => p.path === 'happy')?.perObject),
    row(
      'ratio to the bare HeadObject + RestoreObject script',
      String(BEFORE.baselineRatio),
      r.baseline ? String(r.baseline.ratio) : 'not run',
      'at most 3',
      r.baseline ? r.baseline.ratio <= 3 : undefined,
    ),
  ];
}

function renderBurst(b: Record<string, unknown>): string[] {
  const n = (k: string) => b[k] as number;
  const range = (k: string) => {
    const { min, max } = b[k] as { min: number; max: number };
    return min === max ? String(min) : `${min}–${max}`;
  };
  const seconds = (k: string) => (b[k] === undefined ? 'not reached' : `${(n(k) / 1000).toFixed(1)} s`);
  return [
    `${n('reads')} reads of ${n('distinctObjectsRead')} Deep Archive objects (Standard tier, 12 simulated hours) by ${n('readers')} readers, as fast as the local cloud takes them, every CloudTrail event delivered ${1 + n('duplicateDeliveries')} times; one simulated hour = ${n('simulatedHourMs') / 1000} s, debounce window ${n('debounceWindowMs') / 1000} s.`,
    '',
    '| figure | result | target |',
    '| --- | ---: | ---: |',
    `| restores requested | ${n('restoresRequested')} | ${n('distinctObjectsRead')} |`,
    `| executions | ${n('executions')} | ${n('distinctObjectsRead')} |`,
    `| reads refused (InvalidObjectState) | ${n('refusedReads')} | ${n('reads')} |`,
    `| reads in the audit history | ${n('readsRecorded')} | ${n('refusedReads')} (every refused read) |`,
    `| reads lost | ${n('readsLost')} | 0 |`,
    `| emails sent | ${n('emailsSent')} | ${2 * n('readers')} |`,
    `| "started" emails per reader | ${range('startedEmailsPerReader')} | 1 |`,
    `| "ready" emails per reader | ${range('readyEmailsPerReader')} | 1 |`,
    `| events in the dead-letter queue | ${n('deadLetters')} | 0 |`,
    `| wall time: all reads answered | ${seconds('readsWallMs')} | |`,
    `| wall time: every restore requested | ${seconds('allRestoresRequestedWallMs')} | |`,
    `| wall time: drained (every execution ended, no notice left pending) | ${seconds('drainWallMs')} | |`,
    `| peak memory (the whole local cloud${b.peakRssWithChecksMiB === undefined ? '' : ', until drained'}) | ${n('peakRssMiB')} MiB | |`,
    ...(b.peakRssWithChecksMiB === undefined ? [] : [`| peak memory, with the checks after the drain (every audit history read back) | ${n('peakRssWithChecksMiB')} MiB | |`]),
    ...(b.peakHeapUsedMiB === undefined ? [] : [`| peak JavaScript heap: in use, reserved | ${n('peakHeapUsedMiB')} MiB, ${n('peakHeapTotalMiB')} MiB | |`]),
    ...(b.peakExternalMiB === undefined ? [] : [`| peak memory outside the heap held by JavaScript objects (Buffers) | ${n('peakExternalMiB')} MiB | |`]),
    ...(b.peakFileBackedMiB === undefined ? [] : [`| resident memory mapping files, at the peak (LevelDB maps its tables) | ${n('peakFileBackedMiB')} MiB | |`]),
  ];
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
