/**
 * An append-only file of changes (one JSON line each), flushed in batches. Rewriting a whole
 * state file on every change costs in proportion to everything ever stored, which a burst of
 * thousands of executions turns quadratic; appending costs in proportion to the change.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export class StateJournal<Line> {
  private buffer: string[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly flushAfterMs = 200,
  ) {}

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
    this.buffer.push(JSON.stringify(line));
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.flushAfterMs);
    this.timer.unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    appendFileSync(this.file, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  /** Replaces the file with `lines` (the current state), so the journal does not grow across restarts. */
  compact(lines: Line[]): void {
    this.buffer = [];
    const next = `${this.file}.next`;
    writeFileSync(next, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    renameSync(next, this.file);
  }
}
