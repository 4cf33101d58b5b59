/** Runs one scenario of bench/scenario.ts in a process of its own and returns the result it prints last. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function runScenario<T>(name: string, options: object): Promise<T> {
  // The largest runs keep tens of thousands of executions (with their histories) in one process.
  // The local cloud allocates short-lived objects at a high rate (every request's parsing,
  // signing and serialising): a young generation of 64 MiB semi-spaces promotes fewer of them
  // and cut the collector's share of a profiled run (see RESULTS.md).
  const flags = ['--max-old-space-size=12288', '--max-semi-space-size=64'];
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--import', 'tsx', 'bench/scenario.ts', name, JSON.stringify(options)], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}
