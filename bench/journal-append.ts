/**
 * `tsx bench/journal-append.ts`: what writing each journal line before the request is answered
 * costs, against writing lines in batches 200 ms later. Lines the size of a CloudTrail event on
 * the bus (about 1.5 KB) and of an execution history event (about 400 bytes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateJournal, type JournalWrites } from '../local/state-journal.js';

const LINES = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'autorestore-journal-bench-'));
const line = (bytes: number) => ({ event: { id: 1, type: 'TaskStateEntered', details: 'x'.repeat(bytes) } });

function measure(writes: JournalWrites, bytes: number): number {
  const journal = new StateJournal<unknown>(join(dir, `j-${Math.random()}.jsonl`), writes);
  const sample = line(bytes);
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) journal.append(sample);
  journal.close();
  return Number(process.hrtime.bigint() - start) / 1000 / LINES;
}

try {
  for (const bytes of [400, 1500]) {
    // A warm-up of each, then the figures.
    measure('before-acknowledging', bytes);
    measure({ flushAfterMs: 200 }, bytes);
    const sync = measure('before-acknowledging', bytes);
    const batched = measure({ flushAfterMs: 200 }, bytes);
    process.stdout.write(`${bytes}-byte lines, ${LINES} appends: before acknowledging ${sync.toFixed(2)} µs/line, batched ${batched.toFixed(2)} µs/line\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
