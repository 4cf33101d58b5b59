/**
 * Runs an ASL definition with aws-local-stepfunctions, with Task states served locally:
 * Lambda resources (a function ARN, or `lambda:invoke` with FunctionName) call the project's
 * handlers in the local Lambda runtime, and `.waitForTaskToken` states really wait for their token.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { TaskTokens } from './task-tokens.js';

export type LambdaInvoker = (functionArn: string, payload: unknown) => Promise<unknown>;
/** Calls an `aws-sdk:*` or optimized (`dynamodb:*`) service integration with the state's Parameters. */
export type IntegrationCaller = (resource: string, parameters: unknown) => Promise<unknown>;

interface TaskState {
  Type: 'Task';
  Resource: string;
  Parameters?: { FunctionName?: string; Payload?: unknown };
  TimeoutSeconds?: number;
}
export interface Definition {
  StartAt: string;
  States: Record<string, { Type: string } & Partial<Omit<TaskState, 'Type'>>>;
}

/** What the interpreter reports as it runs (its own type is not exported). */
export interface EventLog {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  input?: unknown;
  output?: unknown;
}

export interface RunOptions {
  executionArn: string;
  executionName: string;
  startTime: Date;
  invoke: LambdaInvoker;
  /** For resources other than Lambda; without it such a state fails as AWS would fail an unknown resource. */
  callIntegration?: IntegrationCaller;
  tokens: TaskTokens;
  /** Retry intervals are scaled like every other duration of the simulated clock. */
  retryIntervalMs?: number;
}

export interface Run {
  result: Promise<unknown>;
  abort: () => void;
  events: AsyncGenerator<EventLog>;
}

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;

export function runDefinition(definition: Definition, input: unknown, options: RunOptions): Run {
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    if (options.retryIntervalMs !== undefined) retryIntervalOverrides[name] = options.retryIntervalMs;
    const integration = LAMBDA_INVOKE.exec(state.Resource);
    if (integration?.[1]) {
      const timeoutMs = (state.TimeoutSeconds ?? 99_999_999) * 1000;
      handlers[name] = async (parameters) => {
        const { FunctionName, Payload } = parameters as { FunctionName: string; Payload: unknown };
        const token = options.tokens.findIn(Payload);
        if (!token) throw Object.assign(new Error(`${name}: no $$.Task.Token in the payload`), { name: 'States.Runtime' });
        const waiting = options.tokens.wait(token, timeoutMs);
        // A function may settle its own token before it returns (it failed, or found its wait already over): awaited below.
        waiting.catch(() => undefined);
        await options.invoke(FunctionName, Payload);
        return waiting;
      };
    } else if (integration) {
      // lambda:invoke wraps the function's answer as Step Functions does.
      handlers[name] = async (parameters) => {
        const { FunctionName, Payload } = parameters as { FunctionName: string; Payload: unknown };
        return { StatusCode: 200, Payload: await options.invoke(FunctionName, Payload) };
      };
    } else if (state.Resource.startsWith('arn:aws:states:::')) {
      const resource = state.Resource;
      handlers[name] = async (parameters) => {
        if (!options.callIntegration) throw Object.assign(new Error(`${resource} is not supported`), { name: 'States.Runtime' });
        return options.callIntegration(resource, parameters);
      };
    } else {
      handlers[name] = (payload) => options.invoke(state.Resource!, payload);
    }
  }

  // Validated once, when the machine was created (as AWS does), not at every execution.
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const tokens = options.tokens;
  const context = {
    Execution: { Id: options.executionArn, Name: options.executionName, Input: input, StartTime: options.startTime.toISOString() },
    // A fresh token each time a state resolves `$$.Task.Token`.
    Task: {
      get Token() {
        return tokens.mint(options.executionArn);
      },
    },
  };
  const execution = machine.run(
    input as never,
    {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      context,
    } as never,
  );
  return { result: execution.result, abort: execution.abort, events: execution.eventLogs as AsyncGenerator<EventLog> };
}

/** Throws the interpreter's validation error for a definition it cannot run. */
export function validateDefinition(definition: Definition): void {
  new StateMachine(definition as never, { validationOptions: { checkPaths: false, checkArn: false } });
}

/** The error and cause of a failed execution, as Step Functions reports them. */
export function failureOf(err: unknown): { error: string; cause: string } {
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (inner instanceof Error) return { error: inner.name, cause: inner.message };
  return { error: 'States.Runtime', cause: String(inner) };
}
