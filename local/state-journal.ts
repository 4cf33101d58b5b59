/**
 * An append-only file of changes (one JSON line each). Rewriting a whole state file on every
 * change costs in proportion to everything ever stored, which a burst of thousands of
 * executions turns quadratic; appending costs in proportion to the change.
 *
 * Two ways to append:
 * - `{ flushAfterMs: n }`: lines are buffered and written together n ms later (a crash loses
 *   the last n ms); for state that a restart can rebuild.
 * - `'before-acknowledging'` (the default): each line is written before `append` returns, so a
 *   request answered after its `append` is on file when the answer leaves. The write is a
 *   plain `write(2)` into the page cache, not an fsync: that survives the process being killed
 *   (kill -9, a crash), which is the failure the local cloud promises to survive; it does not
 *   survive the machine losing power, which nothing here claims.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

export type JournalWrites = 'before-acknowledging' | { flushAfterMs: number };

export class StateJournal<Line> {
  private buffer: string[] = [];
  private timer?: NodeJS.Timeout;
  private fd?: number;
  private readonly flushAfterMs?: number;

  constructor(
    private readonly file: string,
    /** A number is `{ flushAfterMs }` (the form earlier callers use). */
    writes: JournalWrites | number = 'before-acknowledging',
  ) {
    if (typeof writes === 'number') this.flushAfterMs = writes;
    else if (writes !== 'before-acknowledging') this.flushAfterMs = writes.flushAfterMs;
  }

  /** Every line written so far; a line cut short by a crash ends the replay there. */
  read(): Line[] {
    if (!existsSync(this.file)) return [];
    const lines: Line[] = [];
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text) continue;
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        break;
      }
    }
    return lines;
  }

  append(line: Line): void {
    this.appendSerialized(JSON.stringify(line));
  }

  /** A line the caller has already serialised (it must be the JSON of a `Line`, on one line). */
  appendSerialized(json: string): void {
    this.buffer.push(json);
    if (this.flushAfterMs === undefined) return this.flush();
    if (this.timer) return;
    // A write-behind delay in real time: it batches disk writes and models no AWS duration.
    this.timer = setTimeout(() => this.flush(), this.flushAfterMs);
    this.timer.unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const bytes = Buffer.from(`${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.fd ??= openSync(this.file, 'a');
    // A file write is not cut short by a signal; the loop only covers a short write (a full disk).
    for (let written = 0; written < bytes.length;) written += writeSync(this.fd, bytes, written);
  }

  /** Replaces the file with `lines` (the current state), so the journal does not grow across restarts. */
  compact(lines: Line[]): void {
    this.buffer = [];
    this.closeFile();
    const next = `${this.file}.next`;
    writeFileSync(next, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    // A rename is atomic: a crash leaves either the old journal or the compacted one.
    renameSync(next, this.file);
  }

  /** Writes what is buffered and releases the file. */
  close(): void {
    this.flush();
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
