/** Runs one scenario of bench/scenario.ts in a process of its own and returns the result it prints last. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function runScenario<T>(name: string, options: object): Promise<T> {
  // The largest runs keep tens of thousands of executions (with their histories) in one process.
  // V8's default young generation: 64 MiB semi-spaces cut the collector's share when the
  // handlers ran on the services' thread, but with the handlers in a thread of their own they
  // bought 7 % of throughput (1,000 objects requested in 16.0 s against 17.2 s) for 190 MiB more
  // peak memory in a 1,000-object burst (938 MiB against 730 MiB).
  const flags = ['--max-old-space-size=12288'];
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--import', 'tsx', 'bench/scenario.ts', name, JSON.stringify(options)], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}
