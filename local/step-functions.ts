/**
 * Step Functions over its real JSON protocol (awsJson1_0, X-Amz-Target AWSStepFunctions.*),
 * executing ASL with aws-local-stepfunctions. Execution histories use the AWS event types,
 * so anything that reads GetExecutionHistory reads what AWS would give it.
 */
import { randomUUID } from 'node:crypto';
import { failureOf, runDefinition, validateDefinition, type Definition, type EventLog, type IntegrationCaller, type LambdaInvoker } from './asl-runner.js';
import type { RateLimiter } from './faults.js';
import { StateJournal } from './state-journal.js';
import { TaskTokenError, type TaskTokens } from './task-tokens.js';
import { ServiceError } from './wire.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

/** What the state file records: a machine or an execution as it now is, or one more history event. */
type JournalLine = { machine: StateMachineRecord } | { execution: Omit<ExecutionRecord, 'history'> } | { event: HistoryEvent & { executionArn: string } };

/** AWS execution names: 1-80 characters, none of whitespace, brackets, wildcards or these specials. */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

const seconds = (ms: number) => ms / 1000;

export class StepFunctionsService {
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, () => void>();
  /** Parsed definitions and their state types, by definition text. */
  private readonly parsed = new Map<string, { definition: Definition; types: Map<string, string> }>();
  private readonly journal?: StateJournal<JournalLine>;
  private closed = false;

  constructor(
    private readonly options: {
      account: string;
      region: string;
      invoke: LambdaInvoker;
      callIntegration?: IntegrationCaller;
      tokens: TaskTokens;
      startLimiter: RateLimiter;
      retryIntervalMs: number;
      /** Where machines and executions are kept between runs; undefined = memory only. */
      stateFile?: string;
      log: (message: string) => void;
    },
  ) {
    // Every change is on file before the request that made it is answered: an execution
    // StartExecution acknowledged exists after a crash, as on AWS. Task tokens are not kept: a
    // running execution restarts from its first state, which inspects the object and so
    // re-derives what SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat had told it.
    if (options.stateFile) this.journal = new StateJournal(options.stateFile, 'before-acknowledging');
  }

  /** Loads saved state; executions that were running when the cloud stopped start again from the top. */
  restore(): void {
    if (!this.journal) return;
    for (const line of this.journal.read()) {
      if ('machine' in line) this.machines.set(line.machine.stateMachineArn, line.machine);
      else if ('execution' in line) this.executions.set(line.execution.executionArn, { ...line.execution, history: this.executions.get(line.execution.executionArn)?.history ?? [] });
      else {
        const { executionArn, ...event } = line.event;
        this.executions.get(executionArn)?.history.push(event);
      }
    }
    const resumed = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const e of resumed) e.history = [];
    this.journal.compact([
      ...[...this.machines.values()].map((machine) => ({ machine })),
      ...[...this.executions.values()].flatMap(({ history, ...execution }) => [{ execution }, ...history.map((event) => ({ event: { ...event, executionArn: execution.executionArn } }))]),
    ]);
    for (const e of resumed) {
      this.options.log(`resuming execution ${e.name} from its first state (it was running when the local cloud stopped)`);
      this.launch(e);
    }
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'CreateStateMachine':
        return this.createStateMachine(input);
      case 'DescribeStateMachine':
        return this.describeStateMachine(str(input, 'stateMachineArn'));
      case 'ListStateMachines':
        return { stateMachines: [...this.machines.values()].map((m) => ({ stateMachineArn: m.stateMachineArn, name: m.name, type: m.type, creationDate: seconds(m.creationDate) })) };
      case 'StartExecution':
        return this.startExecution(input);
      case 'DescribeExecution':
        return this.describeExecution(str(input, 'executionArn'));
      case 'ListExecutions':
        return this.listExecutions(input);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(input);
      case 'StopExecution':
        return this.stopExecution(input);
      case 'SendTaskSuccess':
        return this.tokenCall(() => this.options.tokens.succeed(str(input, 'taskToken'), parseJson(withinPayloadLimit(str(input, 'output'), 'output'), 'output')));
      case 'SendTaskFailure':
        return this.tokenCall(() => this.options.tokens.fail(str(input, 'taskToken'), optStr(input, 'error') ?? '', optStr(input, 'cause') ?? ''));
      case 'SendTaskHeartbeat':
        return this.tokenCall(() => this.options.tokens.heartbeat(str(input, 'taskToken')));
      default:
        throw new ServiceError(400, 'UnknownOperationException', `Operation ${operation} is not supported by the local Step Functions`);
    }
  }

  private createStateMachine(input: Record<string, unknown>) {
    const name = str(input, 'name');
    validateName(name, 'InvalidName');
    const definition = str(input, 'definition');
    const type = (optStr(input, 'type') ?? 'STANDARD') as 'STANDARD' | 'EXPRESS';
    const arn = `arn:aws:states:${this.options.region}:${this.options.account}:stateMachine:${name}`;
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.definition !== definition) throw new ServiceError(400, 'StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      return { stateMachineArn: arn, creationDate: seconds(existing.creationDate) };
    }
    this.parse(definition);
    const record: StateMachineRecord = {
      stateMachineArn: arn,
      name,
      definition,
      roleArn: optStr(input, 'roleArn') ?? `arn:aws:iam::${this.options.account}:role/local`,
      type,
      creationDate: Date.now(),
    };
    this.machines.set(arn, record);
    this.record({ machine: record });
    return { stateMachineArn: arn, creationDate: seconds(record.creationDate) };
  }

  /** Replaces a machine's definition (the local cloud redeploys its own machine at every start). */
  upsertStateMachine(name: string, definition: string): string {
    const arn = `arn:aws:states:${this.options.region}:${this.options.account}:stateMachine:${name}`;
    this.parse(definition);
    const existing = this.machines.get(arn);
    const record: StateMachineRecord = existing
      ? { ...existing, definition }
      : { stateMachineArn: arn, name, definition, roleArn: `arn:aws:iam::${this.options.account}:role/local`, type: 'STANDARD', creationDate: Date.now() };
    this.machines.set(arn, record);
    this.record({ machine: record });
    return arn;
  }

  /** Parses and validates a definition once; CreateStateMachine answers InvalidDefinition for one that cannot run. */
  private parse(text: string): { definition: Definition; types: Map<string, string> } {
    const known = this.parsed.get(text);
    if (known) return known;
    try {
      const given = JSON.parse(text) as Partial<Definition>;
      if (!given.StartAt || !given.States) throw new Error('StartAt and States are required');
      const definition = given as Definition;
      validateDefinition(definition);
      const entry = { definition, types: new Map(Object.entries(definition.States).map(([n, s]) => [n, s.Type])) };
      this.parsed.set(text, entry);
      return entry;
    } catch (err) {
      throw new ServiceError(400, 'InvalidDefinition', `Invalid State Machine Definition: ${(err as Error).message}`);
    }
  }

  private machine(arn: string): StateMachineRecord {
    const machine = this.machines.get(arn);
    if (!machine) throw new ServiceError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private describeStateMachine(arn: string) {
    const m = this.machine(arn);
    return { stateMachineArn: m.stateMachineArn, name: m.name, status: 'ACTIVE', definition: m.definition, roleArn: m.roleArn, type: m.type, creationDate: seconds(m.creationDate) };
  }

  private startExecution(input: Record<string, unknown>) {
    const machine = this.machine(str(input, 'stateMachineArn'));
    const name = optStr(input, 'name') ?? randomUUID();
    validateName(name, 'InvalidName');
    const executionInput = withinPayloadLimit(optStr(input, 'input') ?? '{}', 'input');
    parseJson(executionInput, 'input', 'InvalidExecutionInput');
    const executionArn = `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Same name and input while running: the running execution. Otherwise the name is taken.
      if (existing.status === 'RUNNING' && existing.input === executionInput) return { executionArn, startDate: seconds(existing.startDate) };
      throw new ServiceError(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    if (!this.options.startLimiter.tryTake()) throw new ServiceError(400, 'ThrottlingException', 'Rate exceeded');
    const record: ExecutionRecord = { executionArn, stateMachineArn: machine.stateMachineArn, name, input: executionInput, status: 'RUNNING', startDate: Date.now(), history: [] };
    this.executions.set(executionArn, record);
    this.recordExecution(record);
    this.launch(record);
    return { executionArn, startDate: seconds(record.startDate) };
  }

  private launch(record: ExecutionRecord): void {
    const machine = this.machine(record.stateMachineArn);
    const input = JSON.parse(record.input) as unknown;
    this.addEvent(record, 'ExecutionStarted', { executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false }, roleArn: machine.roleArn } });
    const { definition, types } = this.parse(machine.definition);
    const run = runDefinition(definition, input, {
      executionArn: record.executionArn,
      executionName: record.name,
      startTime: new Date(record.startDate),
      invoke: this.options.invoke,
      callIntegration: this.options.callIntegration,
      tokens: this.options.tokens,
      retryIntervalMs: this.options.retryIntervalMs,
    });
    this.running.set(record.executionArn, run.abort);
    const recording = (async () => {
      for await (const event of run.events) this.recordEvent(record, event, types);
    })();
    run.result.then(
      async (output) => {
        await recording;
        this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
      },
      async (err: unknown) => {
        await recording.catch(() => undefined);
        if (record.status !== 'RUNNING') return; // stopped
        const failure = failureOf(err);
        this.finish(record, 'FAILED', { error: failure.error, cause: failure.cause });
      },
    );
  }

  private recordEvent(record: ExecutionRecord, event: EventLog, types: Map<string, string>): void {
    const state = event.state;
    if (!state) return;
    const type = types.get(state.name) ?? state.type;
    switch (event.type) {
      case 'StateEntered':
        this.addEvent(record, `${type}StateEntered`, { stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input ?? null), inputDetails: { truncated: false } } });
        if (type === 'Task')
          this.addEvent(record, 'TaskScheduled', {
            taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: this.options.region, parameters: JSON.stringify(state.input ?? null) },
          });
        break;
      case 'StateExited':
        if (type === 'Task') this.addEvent(record, 'TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: JSON.stringify(state.output ?? null) } });
        this.addEvent(record, `${type}StateExited`, { stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output ?? null), outputDetails: { truncated: false } } });
        break;
      case 'StateFailed':
      case 'StateCaught':
        if (type === 'Task') this.addEvent(record, 'TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: event.Error, cause: stringify(event.Cause) } });
        break;
      case 'StateRetried':
        break;
    }
  }

  private finish(record: ExecutionRecord, status: ExecutionStatus, result: { output?: string; error?: string; cause?: string }): void {
    if (record.status !== 'RUNNING') return;
    Object.assign(record, result, { status, stopDate: Date.now() });
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted', RUNNING: '' }[status];
    const details =
      status === 'SUCCEEDED'
        ? { executionSucceededEventDetails: { output: result.output, outputDetails: { truncated: false } } }
        : status === 'FAILED'
          ? { executionFailedEventDetails: { error: result.error, cause: result.cause } }
          : { executionAbortedEventDetails: { error: result.error, cause: result.cause } };
    this.addEvent(record, type, details);
    this.running.delete(record.executionArn);
    this.options.tokens.closeExecution(record.executionArn);
    this.recordExecution(record);
  }

  private addEvent(record: ExecutionRecord, type: string, details: Record<string, unknown>): void {
    const id = record.history.length + 1;
    const event: HistoryEvent = { timestamp: seconds(Date.now()), type, id, previousEventId: id - 1, ...details };
    record.history.push(event);
    this.record({ event: { ...event, executionArn: record.executionArn } });
  }

  private execution(arn: string): ExecutionRecord {
    const execution = this.executions.get(arn);
    if (!execution) throw new ServiceError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private describeExecution(arn: string) {
    const e = this.execution(arn);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: seconds(e.startDate),
      ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error ? { error: e.error, cause: e.cause } : {}),
    };
  }

  private listExecutions(input: Record<string, unknown>) {
    const machineArn = str(input, 'stateMachineArn');
    this.machine(machineArn);
    const filter = optStr(input, 'statusFilter');
    // Newest first: the map holds executions in the order they started.
    const all = [...this.executions.values()].reverse().filter((e) => e.stateMachineArn === machineArn && (!filter || e.status === filter));
    const { page, nextToken } = paginate(all, input, 1000);
    return {
      executions: page.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startDate),
        ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private getExecutionHistory(input: Record<string, unknown>) {
    const e = this.execution(str(input, 'executionArn'));
    const events = input.reverseOrder === true ? [...e.history].reverse() : e.history;
    const { page, nextToken } = paginate(events, input, 1000);
    return { events: page, ...(nextToken ? { nextToken } : {}) };
  }

  private stopExecution(input: Record<string, unknown>) {
    const e = this.execution(str(input, 'executionArn'));
    if (e.status === 'RUNNING') {
      // Taken before finish() forgets it: a stopped execution must not run on.
      const abort = this.running.get(e.executionArn);
      this.finish(e, 'ABORTED', { error: optStr(input, 'error'), cause: optStr(input, 'cause') });
      abort?.();
    }
    return { stopDate: seconds(e.stopDate ?? Date.now()) };
  }

  private tokenCall(call: () => void) {
    try {
      call();
      return {};
    } catch (err) {
      if (err instanceof TaskTokenError) throw new ServiceError(400, err.name, err.message);
      throw err;
    }
  }

  /** How many executions are in each status: the benchmarks wait on this rather than list thousands through the API. */
  statusCounts(): { total: number; running: number } {
    let running = 0;
    for (const e of this.executions.values()) if (e.status === 'RUNNING') running++;
    return { total: this.executions.size, running };
  }

  /** Stops every running execution without marking it (they resume at the next start). */
  shutdown(): void {
    this.journal?.close();
    this.closed = true;
    for (const abort of this.running.values()) {
      try {
        abort();
      } catch {
        // an aborted run rejects its own promise; nothing to do
      }
    }
  }

  private recordExecution({ history: _history, ...execution }: ExecutionRecord): void {
    this.record({ execution });
  }

  private record(line: JournalLine): void {
    if (!this.closed) this.journal?.append(line);
  }
}

function validateName(name: string, code: string): void {
  if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) {
    throw new ServiceError(400, code, `Invalid Name: '${name}' (1-80 characters, no whitespace, brackets, wildcards or special characters)`);
  }
}

function str(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value.length === 0)
    throw new ServiceError(400, 'ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function optStr(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError(400, 'ValidationException', `Value at '${field}' must be a string`);
  return value;
}

/** Inputs and outputs: at most 256 KiB as UTF-8 (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). */
const PAYLOAD_MAX_BYTES = 262_144;

function withinPayloadLimit(text: string, field: string): string {
  if (Buffer.byteLength(text) > PAYLOAD_MAX_BYTES) {
    throw new ServiceError(
      400,
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_MAX_BYTES}`,
    );
  }
  return text;
}

function parseJson(text: string, field: string, code = 'InvalidOutput'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError(400, code, `Invalid JSON in '${field}'`);
  }
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

function paginate<T>(items: T[], input: Record<string, unknown>, defaultMax: number): { page: T[]; nextToken?: string } {
  const max = typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : defaultMax;
  const start = typeof input.nextToken === 'string' ? Number.parseInt(Buffer.from(input.nextToken, 'base64url').toString(), 10) || 0 : 0;
  const page = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { page, nextToken: next };
}
