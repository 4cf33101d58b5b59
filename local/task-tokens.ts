/**
 * Task tokens for `.waitForTaskToken` states: minted when the state's Parameters are
 * resolved, settled by SendTaskSuccess / SendTaskFailure. Errors carry the names Step
 * Functions uses, so callers handle them as they would on AWS.
 */
import { randomBytes } from 'node:crypto';

export class TaskTokenError extends Error {
  constructor(
    override readonly name: 'TaskDoesNotExist' | 'TaskTimedOut' | 'InvalidToken',
    message: string,
  ) {
    super(message);
  }
}

/** Rejects a waiting task the way a SendTaskFailure does: routed to Catch by `name`. */
export class TaskFailure extends Error {
  constructor(
    override readonly name: string,
    override readonly cause: string,
  ) {
    super(cause);
  }
}

interface Waiter {
  deadline: number;
  resolve(output: unknown): void;
  reject(error: Error): void;
  settled: boolean;
}

const PREFIX = 'AQB';

export class TaskTokens {
  private readonly minted = new Map<string, { executionArn: string }>();
  private readonly waiters = new Map<string, Waiter>();
  /** The waiters of each execution, so closing one does not walk every waiter ever made. */
  private readonly waitersByExecution = new Map<string, Waiter[]>();

  mint(executionArn: string): string {
    const token = `${PREFIX}${randomBytes(48).toString('base64url')}`;
    this.minted.set(token, { executionArn });
    return token;
  }

  /** The token a state's resolved Parameters carry, wherever the definition put it. */
  findIn(value: unknown): string | undefined {
    if (typeof value === 'string') return this.minted.has(value) ? value : undefined;
    if (value && typeof value === 'object') {
      for (const v of Object.values(value)) {
        const found = this.findIn(v);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Resolves with SendTaskSuccess's output. The caller's own TimeoutSeconds ends the wait. */
  wait(token: string, timeoutMs: number): Promise<unknown> {
    const owner = this.minted.get(token);
    if (!owner) return Promise.reject(new TaskTokenError('InvalidToken', 'Invalid Token'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { deadline: Date.now() + timeoutMs, resolve, reject, settled: false };
      this.waiters.set(token, waiter);
      this.waitersByExecution.set(owner.executionArn, [...(this.waitersByExecution.get(owner.executionArn) ?? []), waiter]);
    });
  }

  succeed(token: string, output: unknown): void {
    this.settle(token).resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    this.settle(token).reject(new TaskFailure(error || 'States.TaskFailed', cause));
  }

  /** A heartbeat only proves the task is alive. */
  heartbeat(token: string): void {
    this.live(token);
  }

  /** Forgets an execution's tokens (stopped or finished): later calls get TaskTimedOut. */
  closeExecution(executionArn: string): void {
    for (const waiter of this.waitersByExecution.get(executionArn) ?? []) waiter.settled = true;
    this.waitersByExecution.delete(executionArn);
  }

  private live(token: string): Waiter {
    if (!token.startsWith(PREFIX) || !this.minted.has(token)) throw new TaskTokenError('InvalidToken', 'Invalid Token');
    const waiter = this.waiters.get(token);
    if (!waiter) throw new TaskTokenError('TaskDoesNotExist', 'Task does not exist anymore');
    if (waiter.settled || Date.now() > waiter.deadline) throw new TaskTokenError('TaskTimedOut', 'Task Timed Out');
    return waiter;
  }

  private settle(token: string): Waiter {
    const waiter = this.live(token);
    waiter.settled = true;
    return waiter;
  }
}
