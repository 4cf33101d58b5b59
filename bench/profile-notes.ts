/**
 * What the local cloud's time and memory went to, from CPU and heap profiles of the happy path
 * and of the burst (`node --cpu-prof` / `--heap-prof` on `bench/scenario.ts`), and the figures
 * the targets are compared against. Written by hand after profiling; rendered into RESULTS.md.
 */

/** The figures before the local cloud's throughput work (bench/results.json of 2026-11-23, and one profiled run). */
export const BEFORE = {
  source: 'the committed results of 2026-11-22/23 (scaling, burst, baseline) and a CPU-profiled happy path of 1,000 objects on the same code',
  objectsPerSecondAt10000: 10_000 / 611.384,
  cpuMsPerObjectAt1000: 0,
  burstDrainMs: 1_281_100,
  burstPeakRssMiB: 2891,
  baselineRatio: 8.7,
};

export const PROFILE_NOTES: string[] = [];
