/**
 * Runs the real restore-object.asl.json with the real step and aggregator logic behind its
 * Task states, a local DynamoDB, and a scripted S3 (aws-sdk-client-mock) whose objects
 * change state as a test says.
 */
import { HeadObjectCommand, NotFound, RestoreObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handleAggregatorEvent, type AggregatorDeps } from '../../functions/notify-aggregator/aggregator.js';
import { runStep, type StepDeps } from '../../functions/restore-steps/steps.js';
import { executionNameOf, objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { failureOf, runDefinition, type Definition, type EventLog } from '../../local/asl-runner.js';
import { TaskTokens, TaskTokenError } from '../../local/task-tokens.js';
import { renderDefinition } from '../../statemachines/definition.js';
import type { TestState } from './dynamo.js';
import { aggregatorDepsFor, stepDepsFor } from './deps.js';

export const STEPS_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:restore-steps';
export const AGGREGATOR_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:notify-aggregator';

export interface ScriptedObject {
  StorageClass?: string;
  ArchiveStatus?: string;
  restore?: 'ongoing' | 'done';
  deleted?: boolean;
  /** Bytes (HeadObject's Content-Length); 0 when not given. */
  size?: number;
}

export class ScriptedS3 {
  readonly objects = new Map<string, ScriptedObject>();
  readonly mock = mockClient(S3Client);

  constructor() {
    this.mock.on(HeadObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const object = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!object || object.deleted) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
      const restore = object.restore === 'ongoing' ? 'ongoing-request="true"' : object.restore === 'done' ? 'ongoing-request="false", expiry-date="Sun, 29 Nov 2026 00:00:00 GMT"' : undefined;
      return { StorageClass: object.StorageClass, ArchiveStatus: object.ArchiveStatus, Restore: restore, ContentLength: object.size ?? 0 };
    });
    this.mock.on(RestoreObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const object = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!object || object.deleted) throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'NoSuchKey' });
      if (object.restore === 'ongoing') throw new S3ServiceException({ name: 'RestoreAlreadyInProgress', $fault: 'client', $metadata: { httpStatusCode: 409 }, message: 'busy' });
      const already = object.restore === 'done';
      object.restore = already ? 'done' : 'ongoing';
      return { $metadata: { httpStatusCode: already ? 200 : 202 } };
    });
  }
}

/** Step Functions' task-token API, answered by the interpreter's token registry. */
export function taskTokenApi(tokens: TaskTokens) {
  const mock = mockClient(SFNClient);
  const answer = (settle: () => void) => {
    try {
      settle();
      return {};
    } catch (err) {
      if (!(err instanceof TaskTokenError)) throw err;
      const Sdk = { TaskTimedOut, TaskDoesNotExist, InvalidToken }[err.name];
      throw new Sdk({ message: err.message, $metadata: { httpStatusCode: 400 } });
    }
  };
  mock.on(SendTaskSuccessCommand).callsFake((input: { taskToken: string; output: string }) => answer(() => tokens.succeed(input.taskToken, JSON.parse(input.output))));
  mock.on(SendTaskFailureCommand).callsFake((input: { taskToken: string; error?: string; cause?: string }) => answer(() => tokens.fail(input.taskToken, input.error ?? '', input.cause ?? '')));
  return mock;
}

export interface WorkflowWorld {
  s3: ScriptedS3;
  tokens: TaskTokens;
  stepDeps: StepDeps;
  aggregatorDeps: AggregatorDeps;
  /** Called before each function invocation; a test throws here to make that invocation fail. */
  beforeInvoke?: (arn: string, payload: unknown) => void | Promise<void>;
  run(ref: ObjectRef, cycle?: number): { path: string[]; events: EventLog[]; result: Promise<unknown>; done: Promise<{ path: string[]; status: 'SUCCEEDED' | 'FAILED'; error?: string }> };
}

/** Lambda's contract: JSON in, JSON out, errors by name. */
async function asLambda(handler: (payload: unknown) => Promise<unknown>, payload: unknown): Promise<unknown> {
  const result = await handler(JSON.parse(JSON.stringify(payload)));
  return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

export function workflowWorld(state: TestState, options: { waitTimeoutSeconds?: number; maxWaitCycles?: number; approvalTimeoutSeconds?: number; stepDeps?: Partial<StepDeps> } = {}): WorkflowWorld {
  const s3 = new ScriptedS3();
  const tokens = new TaskTokens();
  taskTokenApi(tokens);
  mockClient(SESv2Client).on(SendEmailCommand).resolves({ MessageId: 'm' });
  const stepDeps = stepDepsFor(state, { maxWaitCycles: options.maxWaitCycles ?? 3, ...options.stepDeps });
  const aggregatorDeps = aggregatorDepsFor(state, { unresolvedRetentionMs: 3600_000 });
  const definition = JSON.parse(
    renderDefinition({
      RestoreStepsFunctionArn: STEPS_ARN,
      NotifyAggregatorFunctionArn: AGGREGATOR_ARN,
      WaitTimeoutSeconds: String(options.waitTimeoutSeconds ?? 3600),
      ObjectsTableName: state.tableNames.objects,
      ApprovalTimeoutSeconds: String(options.approvalTimeoutSeconds ?? 3600),
    }),
  ) as Definition;
  const functions: Record<string, (payload: unknown) => Promise<unknown>> = {
    [STEPS_ARN]: (p) => runStep(p, stepDeps),
    [AGGREGATOR_ARN]: (p) => handleAggregatorEvent(p, aggregatorDeps),
  };
  /** The optimized DynamoDB integration, against the test's DynamoDB, with Step Functions' error names. */
  const callIntegration = async (resource: string, parameters: unknown) => {
    if (resource !== 'arn:aws:states:::dynamodb:updateItem') throw Object.assign(new Error(`${resource} is not supported here`), { name: 'States.Runtime' });
    try {
      const { $metadata: _metadata, ...output } = await state.ddb.send(new UpdateItemCommand(parameters as UpdateItemCommandInput));
      return output;
    } catch (err) {
      throw Object.assign(new Error((err as Error).message), { name: `DynamoDB.${(err as Error).name}` });
    }
  };

  const world: WorkflowWorld = {
    s3,
    tokens,
    stepDeps,
    aggregatorDeps,
    run(ref, cycle = 1) {
      const name = executionNameOf(ref, cycle);
      const executionArn = `arn:aws:states:us-east-1:111122223333:execution:restore-object:${name}`;
      const run = runDefinition(
        definition,
        { object: ref, objectId: objectIdOf(ref), cycle, options: {} },
        {
          executionArn,
          executionName: name,
          startTime: new Date(),
          tokens,
          retryIntervalMs: 0,
          invoke: async (arn, payload) => {
            await world.beforeInvoke?.(arn, payload);
            return asLambda(functions[arn]!, payload);
          },
          callIntegration,
        },
      );
      const path: string[] = [];
      const events: EventLog[] = [];
      const collecting = (async () => {
        for await (const event of run.events) {
          events.push(event);
          if (event.type === 'StateEntered') path.push(event.state!.name);
        }
      })();
      const done = run.result.then(
        async () => {
          await collecting;
          return { path, status: 'SUCCEEDED' as const };
        },
        async (err: unknown) => {
          await collecting;
          tokens.closeExecution(executionArn);
          return { path, status: 'FAILED' as const, error: failureOf(err).error };
        },
      );
      return { path, events, result: run.result, done };
    },
  };
  return world;
}
