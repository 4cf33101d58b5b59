/** Results on stdout (JSON with --json), logs and progress on stderr. */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  RESTORE_PENDING: 3,
  DECLINED: 4,
  /** `doctor` found at least one problem. */
  PROBLEM_FOUND: 5,
  INTERRUPTED: 130,
} as const;

/** Set once the reader of stdout has gone (`autorestore status ... | head`). */
let readerGone = false;
const watched = new WeakSet<NodeJS.WriteStream>();

/**
 * A reader that closes stdout early ends the output, not the command: the work under way (restores
 * being started, copies) finishes and the rest of the output is dropped. Node reports the closed
 * pipe as an EPIPE error on the stream, which would otherwise end the process with a stack trace.
 */
export function dropOutputWhenReaderLeaves(stream: NodeJS.WriteStream = process.stdout): void {
  if (watched.has(stream)) return; // run() may be called more than once in a process
  watched.add(stream);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    readerGone = true;
  });
}

export function printJson(value: unknown): void {
  if (readerGone) return;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  if (readerGone) return;
  process.stdout.write(`${line}\n`);
}

export function logLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A one-line progress bar on stderr, only when it is a terminal. */
export function progress(total: number): { tick(): void; done(): void } {
  let count = 0;
  const tty = process.stderr.isTTY;
  const draw = () => {
    const width = 30;
    const filled = total ? Math.round((count / total) * width) : width;
    process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${count}/${total}`);
  };
  return {
    tick() {
      count++;
      if (tty) draw();
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}
