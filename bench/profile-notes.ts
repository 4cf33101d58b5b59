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
  'Memory, before the LevelDB fixes below, from the burst (`process.memoryUsage()` every 100 ms, and `/proc/<pid>/status` every 5 s during the 2,000-object burst): the JavaScript heap in use stayed a few hundred MiB and Buffers under 100 MiB; the rest of the peak was native, anonymous memory outside the heap (0.6 to 0.8 GiB) and, growing all run long, the LevelDB table files the local DynamoDB mapped into memory (`RssFile`: 0.3 GiB four minutes in, 1.0 GiB at seventeen, 1.86 GiB of the 2.83 GiB peak at the end).',
  '',
  '### The local DynamoDB kept every table file it ever wrote',
  '',
  "Watching the data folder during a burst (1,000 objects, 25 readers, 5,000 reads, 5 s per simulated hour) showed why the mapped files grew: the local DynamoDB's folder reached 596 MB in 333 table files while LevelDB's own manifest listed 11 live ones (22 MB). dynalite turns a LevelDB iterator into a stream for every Query and Scan and closes it with `iterator.return()`; the iterators of abstract-level 3 (under classic-level 3, which dynalite 4 uses) have no `return`, so every Query left its iterator open until the store closed. An open iterator holds a snapshot and the files it reads: LevelDB could neither drop an overwritten version of an item nor delete a compacted table file, and it kept every such file open and mapped (up to 1,000 open files by default). `local/dynamodb-leveldb.ts` gives those iterators the `return()` dynalite calls (closing them), and opens LevelDB with 74 open files (its table cache then holds 64 tables of 2 MiB: at most 128 MiB mapped), without changing dynalite's files; `test/unit/dynamodb-leveldb.test.ts` shows both (an overwrite after two queries leaves twice the bytes without the fix, and a store of over a hundred table files keeps at most 64 mapped).",
  '',
  '| the 1,000-object burst (5 s per simulated hour) | before | after |',
  '| --- | ---: | ---: |',
  '| peak memory (the whole local cloud) | 1341 MiB | 570 MiB |',
  '| of which files mapped into memory (RssFile) | 630 MiB | 73 MiB |',
  '| local DynamoDB folder, at most | 596 MB, 333 table files | 29 MB, 13 table files |',
  '| reads → every restore requested | 132.8 s | 161.0 s |',
  '| drained | 225.0 s | 252.6 s |',
  '| load average during the run | 1 to 7 | 5 to 7 |',
  '',
  'The memory is the fix; the times are within what the shared machine\'s load moves (the "after" run had the busier machine). CPU per object did not change measurably: 39.0 ms per object on the 1,000-object happy path before (load average 7 to 8), 42.1 ms after (load average 5 to 7).',
  '',
  '### What limits throughput (after the fixes)',
  '',
  'A CPU profile of the happy path at 1,000 objects (`node --cpu-prof`, grouped by `bench/profile-layers.ts`: each sample by the script of the function it was in; set-up and clean-up included), 47 CPU ms per object with the profiler on, load average 5:',
  '',
  '| layer | share |',
  '| --- | ---: |',
  '| Node.js HTTP, sockets, file system, event loop (`node:` modules and native code) | 38.9 % |',
  '| AWS SDK clients | 30.1 % |',
  '| DynamoDB (dynalite, LevelDB) | 15.1 % |',
  '| garbage collection | 3.4 % |',
  '| handlers (middy, Powertools, domain code) | 3.4 % |',
  '| S3 (s3rver, Koa) | 2.3 % |',
  '| Step Functions (interpreter, histories) | 2.2 % |',
  '| other packages (graceful-fs, fs-extra, p-limit...) | 2.0 % |',
  '| local cloud, other (router, wire, SES) | 1.8 % |',
  '',
  "No function stands out: the largest are the microtask queue (3.8 %), LevelDB's put and get bindings (3.2 %, 1.8 %) and `writev` (2.8 %). Per object the system makes about 35 calls over loopback HTTP, each signed and parsed by an SDK client and parsed and answered by the local cloud: 29.6 DynamoDB calls (12 PutItem, 13 UpdateItem, 4 GetItem), 4 S3 calls, and the Step Functions calls that start and resume the workflow. At a little over 1 CPU ms per call end to end, 40 CPU ms per object is 25 objects a second on one whole core, and the process gets less than a core on the shared machine (19.3 objects a second at 10,000 objects). 50 objects a second needs about 20 CPU ms per object: about half the calls per object (the handlers' writes; the target of 12 writes per object would remove about 15 calls) or a second core for the local cloud (it is one process: its services and the handlers share one event loop).",
  '',
  'The ratio to the plain script follows from the same count: the script makes 2 S3 calls per object, the system about 35, and every call costs about the same in the local cloud, so the ratio stays above 10 until the calls per object fall; a ratio of 3 would need about 6 calls per object.',
];
