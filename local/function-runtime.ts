/**
 * The local Lambda runtime: a worker thread that imports the project's handlers (the same
 * module, the same middy stack) and runs the invocations the local cloud posts to it. Its own
 * thread, like Lambda's own environment: the handlers' SDK clients sign, serialise and parse on
 * a second core while the local services answer them on the first, and the handlers'
 * environment is the worker's, not the host process's.
 */
import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

type Handler = (event: unknown, context: object) => Promise<unknown>;

export interface RuntimeData {
  /** Each function's ARN, by name: the functions the runtime imports. */
  arns: Record<string, string>;
}

/** Host → runtime: one invocation; the payload crosses as JSON text, as Lambda's does. */
export interface InvokeMessage {
  id: number;
  name: string;
  payload: string;
}

/** Runtime → host: `ready` once every handler is imported, then one answer per invocation. */
export type RuntimeMessage = { ready: true } | { loadFailed: string } | { id: number; result: string } | { id: number; error: { name: string; message: string; stack?: string } };

function lambdaContext(name: string, arn: string) {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
  };
}

async function serve(port: NonNullable<typeof parentPort>, data: RuntimeData): Promise<void> {
  const handlers = new Map<string, Handler>();
  try {
    for (const name of Object.keys(data.arns)) {
      const module = (await import(`../functions/${name}/handler.ts`)) as { handler: Handler };
      handlers.set(name, module.handler);
    }
  } catch (err) {
    port.postMessage({ loadFailed: (err as Error).stack ?? String(err) } satisfies RuntimeMessage);
    return;
  }
  port.on('message', (message: InvokeMessage) => {
    const handler = handlers.get(message.name)!;
    void (async () => {
      try {
        const result = await handler(JSON.parse(message.payload), lambdaContext(message.name, data.arns[message.name]!));
        port.postMessage({ id: message.id, result: JSON.stringify(result ?? null) } satisfies RuntimeMessage);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id: message.id, error: { name: error.name, message: error.message, stack: error.stack } } satisfies RuntimeMessage);
      }
    })();
  });
  port.postMessage({ ready: true } satisfies RuntimeMessage);
}

if (parentPort) await serve(parentPort, workerData as RuntimeData);
