/**
 * The project's Lambda handlers, run in this process exactly as Lambda would run them: the
 * same module, the same middy stack, configured by environment variables that point the
 * AWS SDK at the local endpoint. Handlers read their environment once, at import (cold
 * start), so one process hosts one local cloud.
 */
import { randomUUID } from 'node:crypto';

export const FUNCTION_NAMES = ['detect-access', 'restore-completed', 'restore-steps', 'notify-aggregator', 'reconcile-cycles', 'restore-batch'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

type Handler = (event: unknown, context: object) => Promise<unknown>;

export class LocalFunctions {
  /** Invocations per function, for tests and benchmarks. */
  readonly invocations = new Map<FunctionName, number>();

  private constructor(
    // Partial: callers name functions by string, and an unknown name is a ResourceNotFound.
    private readonly handlers: Partial<Record<FunctionName, Handler>>,
    private readonly account: string,
    private readonly region: string,
  ) {}

  static async load(env: Record<string, string>, account: string, region: string): Promise<LocalFunctions> {
    Object.assign(process.env, env);
    const handlers = {} as Record<FunctionName, Handler>;
    for (const name of FUNCTION_NAMES) {
      const module = (await import(`../functions/${name}/handler.ts`)) as { handler: Handler };
      handlers[name] = module.handler;
    }
    return new LocalFunctions(handlers, account, region);
  }

  arn(name: FunctionName): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
  }

  /** Invokes by name or ARN. Payload and result cross a JSON boundary, as with Lambda. */
  async invoke(nameOrArn: string, payload: unknown): Promise<unknown> {
    const name = nameOrArn.split(':').pop()! as FunctionName;
    const handler = this.handlers[name];
    if (!handler) throw Object.assign(new Error(`Function not found: ${nameOrArn}`), { name: 'Lambda.ResourceNotFoundException' });
    this.invocations.set(name, (this.invocations.get(name) ?? 0) + 1);
    const result = await handler(JSON.parse(JSON.stringify(payload ?? null)), lambdaContext(this.arn(name), name));
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }
}

function lambdaContext(arn: string, name: string) {
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
