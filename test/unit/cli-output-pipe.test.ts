/**
 * `autorestore ... | head`: the reader of stdout leaves early. The command must neither crash with
 * an EPIPE stack trace nor stop the work under way: the output is dropped, the work finishes.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** A child that prints far more than a pipe holds, then says on stderr that it got to its end. */
const CHILD = `
const { dropOutputWhenReaderLeaves, printLine, logLine } = await import('./cli/output.ts');
dropOutputWhenReaderLeaves();
for (let i = 0; i < 20000; i++) {
  printLine('line ' + i + ' ' + 'x'.repeat(100));
  if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
}
logLine('work finished');
`;

describe('stdout closed by its reader', () => {
  it('drops the rest of the output and lets the work finish, exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Like `head -c 64`: read a little, then close the pipe.
    await new Promise<void>((resolve) =>
      child.stdout.once('data', () => {
        child.stdout.destroy();
        resolve();
      }),
    );
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: 'work finished\n' });
  });
});
