/**
 * The whole system on one machine: one loopback endpoint that routes each request by the
 * service in its SigV4 credential scope to S3 (s3rver + archive semantics), DynamoDB
 * (dynalite), Step Functions, SES v2 and EventBridge; the project's handlers run in process
 * against it through the ordinary AWS SDK clients.
 */
import { publishedPolicyOf } from '../functions/domain/rules/restore-policy.js';
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { DEFAULT_STACK_NAME } from '../infra/outputs.js';
import { SimulatedClock } from './clock.js';
import { localStackOutputs } from './cloudformation.js';
import { identityFor } from './cloudtrail.js';
import { ControlPlane } from './control-plane/router.js';
import { fixDynaliteLevelDb } from './dynamodb-leveldb.js';
import { cacheDynaliteTableDescriptions } from './dynamodb-table-cache.js';
import { repairStrandedTables } from './table-indexes.js';
import { localDeploymentConfig, localFunctionEnvironment, type LocalDeploymentOptions } from './deployment-config.js';
import {
  BATCH_STATE_MACHINE_ARN,
  createManifestBucket,
  createTables,
  deployBatchStateMachine,
  deployRules,
  deployStateMachine,
  LOCAL_ACCOUNT,
  MANIFEST_BUCKET,
  LOCAL_REGION,
  STATE_MACHINE_ARN,
  startSchedules,
  TABLE_NAMES,
  type Schedules,
} from './deployment.js';
import { EventBus } from './event-bus.js';
import { NO_FAULTS, RateLimiter, type Faults } from './faults.js';
import { LocalFunctions } from './functions.js';
import { localIntegrations } from './integrations.js';
import { dynamoRoute, jsonServices, startHttpFront, type HttpFront, type Listener } from './router.js';
import type { ArchiveLayer } from './s3/archive-layer.js';
import { startLocalS3 } from './s3/server.js';
import { BatchJobs } from './s3control/jobs.js';
import { batchFunctionEnvironment } from '../infra/constructs/batch-definition.js';
import { s3ControlListener } from './s3control/service.js';
import { SesService } from './ses.js';
import { StepFunctionsService } from './step-functions.js';
import { TaskTokens } from './task-tokens.js';

export { LOCAL_ACCOUNT, LOCAL_REGION, STATE_MACHINE_NAME, TABLE_NAMES } from './deployment.js';

export interface LocalCloudOptions extends LocalDeploymentOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** Start from an empty data folder. */
  fresh?: boolean;
  realMsPerSimulatedHour?: number;
  faults?: Partial<Faults>;
  /** Function log level (Powertools): WARN by default so the console stays readable. */
  functionLogLevel?: string;
  log?: (message: string) => void;
}

/** What a started local cloud is made of: what it shows, and what it stops. */
interface LocalCloudParts {
  endpoint: string;
  clock: SimulatedClock;
  stateMachineArn: string;
  bus: EventBus;
  ses: SesService;
  stepFunctions: StepFunctionsService;
  functions: LocalFunctions;
  s3: ArchiveLayer;
  restoresCompletedAt: ReadonlyMap<string, number>;
  dynamoCalls: Map<string, number>;
  faults: Faults;
  front: HttpFront;
  dynamo: Server;
  schedules: Schedules;
  integrations: { close(): void };
  batchJobs: BatchJobs;
}

export class LocalCloud {
  readonly endpoint: string;
  readonly clock: SimulatedClock;
  readonly stateMachineArn: string;
  readonly bus: EventBus;
  readonly ses: SesService;
  readonly stepFunctions: StepFunctionsService;
  readonly functions: LocalFunctions;
  readonly s3: ArchiveLayer;
  /** When each object's latest restore completed (real ms; key: `restoredObjectKey`), for latency figures. */
  readonly restoresCompletedAt: ReadonlyMap<string, number>;
  /** DynamoDB API calls by operation, for tests and benchmarks. */
  readonly dynamoCalls: Map<string, number>;
  readonly faults: Faults;
  private readonly front: HttpFront;
  private readonly dynamo: Server;
  private readonly schedules: Schedules;
  private readonly integrations: { close(): void };
  /** S3 Control's Batch Operations jobs. */
  readonly batchJobs: BatchJobs;

  private constructor(parts: LocalCloudParts) {
    this.endpoint = parts.endpoint;
    this.clock = parts.clock;
    this.stateMachineArn = parts.stateMachineArn;
    this.bus = parts.bus;
    this.ses = parts.ses;
    this.stepFunctions = parts.stepFunctions;
    this.functions = parts.functions;
    this.s3 = parts.s3;
    this.restoresCompletedAt = parts.restoresCompletedAt;
    this.dynamoCalls = parts.dynamoCalls;
    this.faults = parts.faults;
    this.front = parts.front;
    this.dynamo = parts.dynamo;
    this.schedules = parts.schedules;
    this.integrations = parts.integrations;
    this.batchJobs = parts.batchJobs;
  }

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
    // Checked first: invalid options leave the data folder as it was.
    const config = localDeploymentConfig(options);
    if (options.fresh) rmSync(options.dataDir, { recursive: true, force: true });
    const dirs = { s3: join(options.dataDir, 's3'), dynamodb: join(options.dataDir, 'dynamodb'), outbox: join(options.dataDir, 'outbox') };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    const clock = new SimulatedClock(options.realMsPerSimulatedHour ?? 1000);
    const startedAt = new Date();
    const faults: Faults = { ...NO_FAULTS, ...options.faults };
    const watched = config.watchedBuckets;
    const ses = new SesService(dirs.outbox, () => faults.sesFailureRate);

    // --- the HTTP front: bound to loopback only; each service's route is set as it comes up.
    const front = await startHttpFront(options.port, log, () => ses.list());
    const { endpoint, routes } = front;

    // --- DynamoDB: dynalite's request listener, on disk in the data folder.
    cacheDynaliteTableDescriptions();
    fixDynaliteLevelDb();
    for (const table of await repairStrandedTables(dirs.dynamodb)) log(`local cloud: table ${table} was left half created or deleted by a stop; repaired`);
    const dynamo = dynalite({ path: dirs.dynamodb, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoCalls = new Map<string, number>();
    routes.dynamodb = dynamoRoute(dynamo.listeners('request')[0] as Listener, dynamoCalls);

    // --- Lambda functions, configured like the CDK stack configures them.
    const stateMachineArn = STATE_MACHINE_ARN;
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'AKIALOCALFUNCTIONS00',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: options.functionLogLevel ?? 'WARN',
      // No CloudWatch here: the functions' EMF metric lines would only mix into this process's stdout.
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...localFunctionEnvironment(config, { tables: TABLE_NAMES, stateMachineArn, account: LOCAL_ACCOUNT }, clock),
      ...batchFunctionEnvironment({ objectsTable: TABLE_NAMES.objects, noticesTable: TABLE_NAMES.notices, manifestBucket: MANIFEST_BUCKET, account: LOCAL_ACCOUNT }, clock),
    };
    const functions = await LocalFunctions.load(env, LOCAL_ACCOUNT, LOCAL_REGION, log);

    // --- EventBridge: accepted events are journaled in the data folder and delivered after a restart.
    const bus = new EventBus(LOCAL_ACCOUNT, LOCAL_REGION, { attempts: 8, baseDelayMs: 200 }, log, undefined, join(options.dataDir, 'eventbridge.jsonl'));
    const { rules, trail, deadLetterQueue } = deployRules(bus, functions, endpoint, watched);

    // --- S3: s3rver with the archive layer in front of its router.
    const s3 = await startLocalS3({ directory: dirs.s3, dataDir: options.dataDir, account: LOCAL_ACCOUNT, region: LOCAL_REGION, clock, faults, bus, trail, watched, log });
    routes.s3 = s3.listener;
    s3.archive.resumeTimers();
    const batchJobs = new BatchJobs({ endpoint, region: LOCAL_REGION, clock, dataDir: options.dataDir, log });
    routes.s3control = s3ControlListener(batchJobs);

    // --- Step Functions, SES and the control plane, behind the JSON routes.
    const integrations = localIntegrations(endpoint, LOCAL_REGION);
    const stepFunctions = new StepFunctionsService({
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      invoke: (arn, payload) => functions.invoke(arn, payload),
      callIntegration: integrations.call,
      tokens: new TaskTokens(),
      startLimiter: new RateLimiter(() => faults.startExecutionPerSecond),
      retryIntervalMs: 100,
      stateFile: join(options.dataDir, 'stepfunctions.jsonl'),
      log,
    });
    routes.handleJson = jsonServices({
      endpoint,
      controlPlane: new ControlPlane(rules, trail, deadLetterQueue, ses),
      stepFunctions,
      bus,
      ses,
      stack: {
        name: DEFAULT_STACK_NAME,
        id: `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${DEFAULT_STACK_NAME}/local`,
        createdAt: startedAt,
        outputs: localStackOutputs({
          stateMachineArn,
          tables: TABLE_NAMES,
          watched,
          senderAddress: config.senderAddress,
          trailArn: trail.arn,
          deadLetterQueueUrl: deadLetterQueue.url,
          restorePolicy: publishedPolicyOf(config),
          batch: { stateMachineArn: BATCH_STATE_MACHINE_ARN, manifestBucket: MANIFEST_BUCKET },
        }),
      },
    });

    // Tables and the state machine, as `cdk deploy` would create them.
    await createTables(endpoint, options.dataDir, log);
    deployStateMachine(stepFunctions, functions, clock, config.waitTimeoutSeconds, config.restorePolicy.approvalTimeoutSeconds);
    deployBatchStateMachine(stepFunctions, functions, clock);
    await createManifestBucket(endpoint);
    stepFunctions.restore();
    // Events accepted before a stop or a crash, once their targets (and what they call) are up.
    bus.resume();
    batchJobs.resume();

    const schedules = startSchedules(functions, clock, { aggregatorEveryMinutes: config.aggregatorScheduleMinutes, reconcileEveryMinutes: options.reconcileEveryMinutes ?? 15 }, log);
    return new LocalCloud({
      endpoint,
      clock,
      stateMachineArn,
      bus,
      ses,
      stepFunctions,
      functions,
      s3: s3.archive,
      restoresCompletedAt: s3.restoresCompletedAt,
      dynamoCalls,
      faults,
      front,
      dynamo,
      schedules,
      integrations,
      batchJobs,
    });
  }

  /** Every delivery started so far (events, and what they set off) has finished. */
  async settle(): Promise<void> {
    await this.bus.drain();
  }

  /** Every counter at once: S3 and DynamoDB calls, Lambda invocations, emails sent. */
  counters(): { s3: Record<string, number>; dynamodb: Record<string, number>; lambda: Record<string, number>; sesSent: number; ticks: number } {
    return {
      ticks: this.schedules.ticks,
      s3: Object.fromEntries(this.s3.calls),
      dynamodb: Object.fromEntries(this.dynamoCalls),
      lambda: Object.fromEntries(this.functions.invocations),
      sesSent: this.ses.sent,
    };
  }

  identityFor(accessKeyId: string) {
    return identityFor(accessKeyId, LOCAL_ACCOUNT);
  }

  async stop(): Promise<void> {
    await this.schedules.stop();
    await this.batchJobs.stop();
    this.s3.stop();
    // Deliveries finish while Step Functions still journals the executions they start: an
    // event marked delivered must not have started an execution that is then forgotten.
    await this.bus.drain();
    this.stepFunctions.shutdown();
    this.bus.close();
    this.integrations.close();
    await this.front.close();
    await this.functions.close();
    await new Promise<void>((resolve) => this.dynamo.close(() => resolve()));
  }
}
