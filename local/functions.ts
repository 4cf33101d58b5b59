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

interface RuntimeSpec {
  env: Record<string, string>;
  account: string;
  region: string;
}

function functionArn(spec: RuntimeSpec, name: FunctionName): string {
  return `arn:aws:lambda:${spec.region}:${spec.account}:function:${name}`;
}

/** Starts a runtime thread and resolves once it has imported every handler. */
async function startRuntime(spec: RuntimeSpec): Promise<Worker> {
  const worker = new Worker(new URL('./function-runtime.ts', import.meta.url), {
    workerData: { arns: Object.fromEntries(FUNCTION_NAMES.map((name) => [name, functionArn(spec, name)])) } satisfies RuntimeData,
    env: { ...process.env, ...spec.env },
    // A profiled host profiles its functions too (`node --cpu-prof`: one profile a thread).
    execArgv: ['--import', TSX_LOADER, ...process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'))],
  });
  let onMessage: (message: RuntimeMessage) => void = () => undefined;
  let onError: (err: Error) => void = () => undefined;
  let onExit: (code: number) => void = () => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onMessage = (message) => {
        if ('ready' in message) resolve();
        else if ('loadFailed' in message) reject(new Error(`the local Lambda runtime could not import the handlers: ${message.loadFailed}`));
      };
      onError = reject;
      onExit = (code) => reject(new Error(`the local Lambda runtime exited while starting (code ${code})`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  } finally {
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  }
  return worker;
}

export class LocalFunctions {
  /** Invocations per function, for tests and benchmarks. */
  readonly invocations = new Map<FunctionName, number>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  /** The runtime, or the start of its replacement after a crash. */
  private runtime: Promise<Worker>;

  private constructor(
    worker: Worker,
    private readonly spec: RuntimeSpec,
    private readonly log: (message: string) => void,
  ) {
    this.runtime = Promise.resolve(this.attach(worker));
  }

  /** Starts the runtime with `env` as the functions' environment, once every handler is imported. */
  static async load(env: Record<string, string>, account: string, region: string, log: (message: string) => void): Promise<LocalFunctions> {
    const spec = { env, account, region };
    return new LocalFunctions(await startRuntime(spec), spec, log);
  }

  /** The functions' environment, as the runtime sees it. */
  get environment(): Readonly<Record<string, string>> {
    return this.spec.env;
  }

  arn(name: FunctionName): string {
    return functionArn(this.spec, name);
  }

  /** Invokes by name or ARN. Payload and result cross a JSON boundary, as with Lambda. */
  async invoke(nameOrArn: string, payload: unknown): Promise<unknown> {
    const name = nameOrArn.split(':').pop()! as FunctionName;
    if (!FUNCTION_NAMES.includes(name)) throw Object.assign(new Error(`Function not found: ${nameOrArn}`), { name: 'Lambda.ResourceNotFoundException' });
    if (this.closed) throw Object.assign(new Error('the local Lambda runtime is stopped'), { name: 'Lambda.ServiceException' });
    this.invocations.set(name, (this.invocations.get(name) ?? 0) + 1);
    const worker = await this.runtime;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, name, payload: JSON.stringify(payload ?? null) } satisfies InvokeMessage);
    });
  }

  /** Stops the runtime; invocations still running are failed. */
  async close(): Promise<void> {
    this.closed = true;
    await (await this.runtime.catch(() => undefined))?.terminate();
  }

  private attach(worker: Worker): Worker {
    worker.on('message', (message: RuntimeMessage) => {
      if (!('id' in message)) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('result' in message) waiting?.resolve(JSON.parse(message.result));
      else waiting?.reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack }));
    });
    // An error no handler caught (a rejection left floating, say) ends the thread, as it ends a
    // Lambda environment: the invocations in it fail, and the next ones get a fresh runtime.
    worker.on('error', (err) => this.log(`local Lambda runtime crashed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => {
      const lost = [...this.pending.values()];
      this.pending.clear();
      const crash = Object.assign(new Error(`the local Lambda runtime exited (code ${code}) during the invocation`), { name: 'Lambda.ServiceException' });
      for (const waiting of lost) waiting.reject(crash);
      if (this.closed) return;
      this.runtime = startRuntime(this.spec).then((next) => this.attach(next));
      // A runtime that cannot start again fails the invocations that wait for it, each with the reason.
      this.runtime.catch((err: unknown) => this.log(`local Lambda runtime did not restart: ${(err as Error).message}`));
    });
    return worker;
  }
}
