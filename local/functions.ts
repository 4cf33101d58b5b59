/**
 * The project's Lambda handlers, run exactly as Lambda would run them: the same module, the
 * same middy stack, configured by environment variables that point the AWS SDK at the local
 * endpoint. They run in a worker thread of their own (local/function-runtime.ts): payloads and
 * results cross a JSON boundary, as with Lambda, and the handlers' SDK work runs beside the
 * local services instead of taking turns with them on one event loop.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InvokeMessage, RuntimeData, RuntimeMessage } from './function-runtime.js';

export const FUNCTION_NAMES = ['detect-access', 'restore-completed', 'restore-steps', 'notify-aggregator', 'reconcile-cycles', 'restore-batch'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** tsx's loader, so that the worker imports the handlers' TypeScript however this process was started (tsx, vitest). */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type Pending = { resolve(result: unknown): void; reject(err: Error): void };

export class LocalFunctions {
  /** Invocations per function, for tests and benchmarks. */
  readonly invocations = new Map<FunctionName, number>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private exited: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** The functions' environment, as the runtime sees it. */
    readonly environment: Readonly<Record<string, string>>,
    private readonly account: string,
    private readonly region: string,
  ) {
    worker.on('message', (message: RuntimeMessage) => {
      if (!('id' in message)) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('result' in message) waiting?.resolve(JSON.parse(message.result));
      else waiting?.reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack }));
    });
    worker.on('exit', (code) => {
      this.exited = new Error(`the local Lambda runtime exited (code ${code})`);
      for (const waiting of this.pending.values()) waiting.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Starts the runtime with `env` as the functions' environment, once every handler is imported. */
  static async load(env: Record<string, string>, account: string, region: string): Promise<LocalFunctions> {
    const worker = new Worker(new URL('./function-runtime.ts', import.meta.url), {
      workerData: { names: FUNCTION_NAMES, account, region } satisfies RuntimeData,
      env: { ...process.env, ...env },
      // A profiled host profiles its functions too (`node --cpu-prof`: one profile a thread).
      execArgv: ['--import', TSX_LOADER, ...process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'))],
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: RuntimeMessage) => {
        if ('ready' in message) resolve();
        else if ('loadFailed' in message) reject(new Error(`the local Lambda runtime could not import the handlers: ${message.loadFailed}`));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the local Lambda runtime exited while starting (code ${code})`)));
    });
    return new LocalFunctions(worker, env, account, region);
  }

  arn(name: FunctionName): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
  }

  /** Invokes by name or ARN. Payload and result cross a JSON boundary, as with Lambda. */
  invoke(nameOrArn: string, payload: unknown): Promise<unknown> {
    const name = nameOrArn.split(':').pop()! as FunctionName;
    if (!FUNCTION_NAMES.includes(name)) return Promise.reject(Object.assign(new Error(`Function not found: ${nameOrArn}`), { name: 'Lambda.ResourceNotFoundException' }));
    if (this.exited) return Promise.reject(this.exited);
    this.invocations.set(name, (this.invocations.get(name) ?? 0) + 1);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, name, payload: JSON.stringify(payload ?? null) } satisfies InvokeMessage);
    });
  }

  /** Stops the runtime; invocations still running are failed. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
