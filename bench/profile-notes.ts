/**
 * What the local cloud's time and memory went to, from CPU and heap profiles of the happy path
 * and of the burst (`node --cpu-prof` / `--heap-prof` on `bench/scenario.ts`), and the figures
 * the targets are compared against. Written by hand after profiling; rendered into RESULTS.md.
 */

/** The figures before the local cloud's throughput work (bench/results.json of 2026-11-23, and one profiled run). */
export const BEFORE = {
  source: 'the committed results of 2026-11-22/23 (scaling, burst, baseline) and a CPU-profiled happy path of 1,000 objects on the same code',
  objectsPerSecondAt10000: 10_000 / 611.384,
  /** `cpuMs / objects` of the happy path at 1,000 objects on the code before (measured 2026-11-23, load average about 14). */
  cpuMsPerObjectAt1000: 55.3,
  burstDrainMs: 1_281_100,
  burstPeakRssMiB: 2891,
  baselineRatio: 8.7,
};

const row = (layer: string, before: number, after: number, what: string) => `| ${layer} | ${before.toFixed(1)} % | ${after.toFixed(1)} % | ${what} |`;

export const PROFILE_NOTES: string[] = [
  '## Where the time and memory go',
  '',
  'CPU profiles (`node --cpu-prof`) of the happy path, samples grouped by the package or module at the top of their stack. Before: 1,000 objects on the code before this work. After: 300 objects with the changes below. The whole local cloud, the handlers and the bench client run in one process, so this is the whole system.',
  '',
  '| layer | before | after | what it is |',
  '| --- | ---: | ---: | --- |',
  row('AWS SDK clients', 33.9, 36.1, "the handlers' and the bench's SDK v3 clients: middleware stack, SigV4 signing (HMAC, SHA-256), schema serialisation, retry bookkeeping, endpoint rules"),
  row('Node.js HTTP, sockets, event loop', 14.6, 17.5, 'every call crosses a loopback HTTP/1.1 connection (kept alive): request and response parsing on both ends, `writev`'),
  row(
    'DynamoDB (dynalite, LevelDB)',
    18.4,
    15.4,
    "validation, expression parsing, per-key locks, LevelDB on disk; before: half of dynalite's LevelDB reads were the table's description, read again at every request",
  ),
  row('garbage collection', 11.6, 4.3, 'short-lived request objects promoted out of a 16 MiB young generation; 64 MiB semi-spaces keep most of them young'),
  row('S3 (s3rver, Koa)', 4.5, 6.4, "Koa middleware, the filesystem store's `stat`/`open` of each object's metadata; before: a request logger formatting lines nobody sees (1.4 %)"),
  row('handlers (middy, Powertools, domain code)', 2.7, 4.4, "the project's own functions"),
  row('Step Functions (interpreter, histories)', 2.0, 2.3, 'aws-local-stepfunctions and the execution histories'),
  row('journals (Step Functions, event bus, archive)', 1.1, 0.7, 'one `write(2)` per line before acknowledging: small next to the rest, so left as it is (no group commit)'),
  row('local cloud, other (router, wire, SES)', 1.6, 1.7, ''),
  '',
  "Changes, each measured: the table-description cache (dynalite reads per request from LevelDB fell from 13.5 % to 1.8 % of samples), the larger young generation (garbage collection from 11.6 % to 4.3 %), s3rver's silent request logger left out, queued events kept as text. The rest is the SDK and HTTP work of each call, about 25 calls per object, which only fewer calls reduce (the handlers' writes per object).",
  '',
  "Memory, from the burst (`process.memoryUsage()` every 100 ms, and `/proc/<pid>/status` every 5 s during the 2,000-object burst): the JavaScript heap in use stays a few hundred MiB (the burst table) and Buffers under 100 MiB. The rest of the peak is native: about 0.6 to 0.8 GiB of anonymous memory outside the heap (LevelDB's write buffers and caches, the thread pool's allocations) and, growing all run long, the LevelDB table files the local DynamoDB maps into memory (`RssFile`: 0.3 GiB four minutes in, 1.0 GiB at seventeen, 1.86 GiB of the 2.83 GiB peak at the end). Mapped file pages are page cache the kernel can drop, but they count as resident; the data behind them is what the handlers write (about 28 DynamoDB writes per object today), so fewer writes per object shrink it. Queued events are now kept as text (a fraction of the objects they were), which trims the heap while a burst waits for its detections; the rest was not reduced here.",
];
