/**
 * What `cdk deploy` creates, created locally: the stack's EventBridge rules with their dead-letter
 * queue and its trail, the tables, the state machine, and the schedules of the aggregator and of
 * the reconciler of stuck cycles (on the simulated clock).
 */
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { archivedReadPattern, restoreLifecyclePattern } from '../infra/event-patterns.js';
import { createTableInput, TABLES, type TableRole } from '../infra/table-definitions.js';
import { addMissingIndexes } from './table-indexes.js';
import { renderDefinition } from '../statemachines/definition.js';
import { DEFAULT_RESTORE_POLICY } from '../functions/domain/rules/restore-policy.js';
import { JOB_POLL_SECONDS, READY_POLL_SECONDS, renderBatchDefinition } from '../infra/constructs/batch-definition.js';
import type { SimulatedClock } from './clock.js';
import { LocalTrail } from './control-plane/cloudtrail.js';
import { EventBridgeRules, LOCAL_RULE_NAMES } from './control-plane/eventbridge.js';
import { DeadLetterQueue } from './control-plane/sqs.js';
import type { BusEvent, EventBus } from './event-bus.js';
import type { LocalFunctions } from './functions.js';
import type { StepFunctionsService } from './step-functions.js';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
export const STATE_MACHINE_NAME = 'autorestore-restore-object';
export const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
export const BATCH_STATE_MACHINE_NAME = 'autorestore-restore-batch';
export const BATCH_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${BATCH_STATE_MACHINE_NAME}`;
/** The stack's bucket of bulk-restore manifests and completion reports. */
export const MANIFEST_BUCKET = 'autorestore-manifests';
export const BATCH_OPERATIONS_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/autorestore-batch-operations`;
export const TABLE_NAMES: Record<TableRole, string> = { objects: 'autorestore-objects', principals: 'autorestore-principals', notices: 'autorestore-notices', audit: 'autorestore-audit' };

export interface DeployedRules {
  rules: EventBridgeRules;
  trail: LocalTrail;
  deadLetterQueue: DeadLetterQueue;
}

/** The stack's own patterns route to the handlers; rule names as the stack names them, its trail, its dead-letter queue. */
export function deployRules(bus: EventBus, functions: LocalFunctions, endpoint: string, watched: string[]): DeployedRules {
  const archivedRead = { name: 'ArchivedRead', pattern: archivedReadPattern(watched, 'aws'), target: (e: BusEvent) => functions.invoke('detect-access', e) };
  const restoreLifecycle = { name: 'RestoreLifecycle', pattern: restoreLifecyclePattern(watched), target: (e: BusEvent) => functions.invoke('restore-completed', e) };
  bus.addRule(archivedRead);
  bus.addRule(restoreLifecycle);
  const deadLetterQueue = new DeadLetterQueue(endpoint, LOCAL_ACCOUNT, LOCAL_REGION, bus.deadLetters);
  const rules = new EventBridgeRules(
    [
      { name: LOCAL_RULE_NAMES.archivedRead, rule: archivedRead, targetArn: functions.arn('detect-access'), deadLetterArn: deadLetterQueue.arn },
      { name: LOCAL_RULE_NAMES.restoreLifecycle, rule: restoreLifecycle, targetArn: functions.arn('restore-completed'), deadLetterArn: deadLetterQueue.arn },
    ],
    LOCAL_ACCOUNT,
    LOCAL_REGION,
  );
  const trail = new LocalTrail(LOCAL_ACCOUNT, LOCAL_REGION, watched);
  return { rules, trail, deadLetterQueue };
}

/**
 * The tables, through the DynamoDB API at `endpoint` (those already there are kept, and given
 * the indexes added since they were made: table-indexes.ts).
 */
export async function createTables(endpoint: string, dataDir: string, log: (message: string) => void): Promise<void> {
  const ddb = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'AKIALOCALSETUP000000', secretAccessKey: 'local' } });
  for (const role of Object.keys(TABLES) as TableRole[]) {
    try {
      await ddb.send(new CreateTableCommand(createTableInput(role, TABLE_NAMES[role])));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    // Also for a table just created: a rebuild stopped after deleting the table left its items in a file to put back.
    await addMissingIndexes(ddb, createTableInput(role, TABLE_NAMES[role]), dataDir, log);
  }
  ddb.destroy();
}

/** The restore state machine, its wait timeout in real seconds. */
export function deployStateMachine(
  stepFunctions: StepFunctionsService,
  functions: LocalFunctions,
  clock: SimulatedClock,
  waitTimeoutSeconds: number,
  approvalTimeoutSeconds: number = DEFAULT_RESTORE_POLICY.approvalTimeoutSeconds,
): void {
  stepFunctions.upsertStateMachine(
    STATE_MACHINE_NAME,
    renderDefinition({
      RestoreStepsFunctionArn: functions.arn('restore-steps'),
      NotifyAggregatorFunctionArn: functions.arn('notify-aggregator'),
      // TimeoutSeconds must be a whole number of seconds.
      WaitTimeoutSeconds: String(Math.max(1, Math.ceil(clock.realSeconds(waitTimeoutSeconds)))),
      ObjectsTableName: TABLE_NAMES.objects,
      ApprovalTimeoutSeconds: String(Math.max(1, Math.ceil(clock.realSeconds(approvalTimeoutSeconds)))),
    }),
  );
}

/** The manifest bucket (kept when it is there already). */
export async function createManifestBucket(endpoint: string): Promise<void> {
  const s3 = new S3Client({ endpoint, region: LOCAL_REGION, forcePathStyle: true, credentials: { accessKeyId: 'AKIALOCALSETUP000000', secretAccessKey: 'local' } });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: MANIFEST_BUCKET }));
  } catch (err) {
    if (!(err instanceof BucketAlreadyOwnedByYou) && !(err instanceof BucketAlreadyExists)) throw err;
  } finally {
    s3.destroy();
  }
}

/** The bulk-restore state machine, its polls in real seconds (whole ones, as Wait states take). */
export function deployBatchStateMachine(stepFunctions: StepFunctionsService, functions: LocalFunctions, clock: SimulatedClock): void {
  const seconds = (s: number) => String(Math.max(1, Math.ceil(clock.realSeconds(s))));
  stepFunctions.upsertStateMachine(
    BATCH_STATE_MACHINE_NAME,
    renderBatchDefinition({
      RestoreBatchFunctionArn: functions.arn('restore-batch'),
      AccountId: LOCAL_ACCOUNT,
      BatchOperationsRoleArn: BATCH_OPERATIONS_ROLE_ARN,
      ManifestBucketArn: `arn:aws:s3:::${MANIFEST_BUCKET}`,
      JobPollSeconds: seconds(JOB_POLL_SECONDS),
      ReadyPollSeconds: seconds(READY_POLL_SECONDS),
    }),
  );
}

export interface Schedules {
  /** Aggregator ticks started so far. */
  readonly ticks: number;
  /** No run starts after this; the runs under way finish first. */
  stop(): Promise<void>;
}

/**
 * The aggregator's schedule (every `aggregatorEveryMinutes`, the stack's rate) and the reconciler's
 * (every `reconcileEveryMinutes`, 0 for none), on the simulated clock. A run never overlaps the last.
 */
export function startSchedules(
  functions: LocalFunctions,
  clock: SimulatedClock,
  { aggregatorEveryMinutes, reconcileEveryMinutes }: { aggregatorEveryMinutes: number; reconcileEveryMinutes: number },
  log: (message: string) => void,
): Schedules {
  let ticks = 0;
  let ticking: Promise<unknown> | undefined;
  const ticker = setInterval(
    () => {
      if (ticking) return;
      ticks++;
      ticking = functions
        .invoke('notify-aggregator', { action: 'tick' })
        .catch((err: unknown) => log(`aggregator tick failed: ${(err as Error).message}`))
        .finally(() => (ticking = undefined));
    },
    Math.max(50, clock.real(aggregatorEveryMinutes * 60_000)),
  );

  // At least a second apart in real time, since each run describes every open cycle's execution.
  let reconciling: Promise<unknown> | undefined;
  const reconciler =
    reconcileEveryMinutes > 0
      ? setInterval(
          () => {
            reconciling ??= functions
              .invoke('reconcile-cycles', { action: 'reconcile' })
              .catch((err: unknown) => log(`reconciler run failed: ${(err as Error).message}`))
              .finally(() => (reconciling = undefined));
          },
          Math.max(1000, clock.real(reconcileEveryMinutes * 60_000)),
        )
      : undefined;

  return {
    get ticks() {
      return ticks;
    },
    stop: async () => {
      clearInterval(ticker);
      clearInterval(reconciler);
      await reconciling;
      await ticking; // a tick cut off half way would log a failed send
    },
  };
}
