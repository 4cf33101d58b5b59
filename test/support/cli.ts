/**
 * Runs the `autorestore` CLI as a user would (a child process of bin/autorestore.mjs) against a
 * local cloud, with nothing of the test's own environment but PATH: the credentials name the
 * caller, HOME keeps the CLI's own files apart per test.
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCaller {
  endpoint: string;
  /** The caller's access key: the local cloud maps it to a principal. */
  accessKeyId: string;
  home?: string;
  /** More environment (e.g. AUTORESTORE_BATCH_THRESHOLD), over the defaults. */
  env?: Record<string, string>;
}

export async function runCli(caller: CliCaller, args: string[]): Promise<CliRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: caller.home ?? tmpdir(),
    AWS_ENDPOINT_URL: caller.endpoint,
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...caller.env,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/autorestore.mjs', ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
