/**
 * The whole system on one machine: one loopback endpoint that routes each request by the
 * service in its SigV4 credential scope to S3 (s3rver + archive semantics), DynamoDB
 * (dynalite), Step Functions, SES v2 and EventBridge; the project's handlers run in process
 * against it through the ordinary AWS SDK clients.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';
import bucketController from 's3rver/lib/controllers/bucket.js';
import S3Object from 's3rver/lib/models/object.js';
import { OPEN_CYCLES_INDEX } from '../functions/shared/records.js';
import { archivedReadPattern, restoreLifecyclePattern } from '../infra/event-patterns.js';
import { DEFAULT_STACK_NAME } from '../infra/outputs.js';
import { createTableInput, TABLES, type TableRole } from '../infra/table-definitions.js';
import { renderDefinition } from '../statemachines/definition.js';
import { SimulatedClock } from './clock.js';
import { cloudFormationErrorXml, describeStacks, localStackOutputs } from './cloudformation.js';
import { LocalTrail } from './control-plane/cloudtrail.js';
import { EventBridgeRules, LOCAL_RULE_NAMES } from './control-plane/eventbridge.js';
import { ControlPlane } from './control-plane/router.js';
import { DeadLetterQueue } from './control-plane/sqs.js';
import { BucketNotifications } from './s3/bucket-notifications.js';
import { identityFor, refusedReadEvent, restoreLifecycleEvent } from './cloudtrail.js';
import { EventBus, type BusEvent } from './event-bus.js';
import { happens, NO_FAULTS, RateLimiter, type Faults } from './faults.js';
import { localDeploymentConfig, localFunctionEnvironment, type LocalDeploymentOptions } from './deployment-config.js';
import { LocalFunctions } from './functions.js';
import { localIntegrations } from './integrations.js';
import { ArchiveIndex } from './s3/archive-index.js';
import { ArchiveLayer } from './s3/archive-layer.js';
import { listObjectsController } from './s3/list-objects.js';
import { OpaqueKeyStore } from './s3/opaque-key-store.js';
import { SesService } from './ses.js';
import { StepFunctionsService } from './step-functions.js';
import { TaskTokens } from './task-tokens.js';
import { discardBody, MalformedCredentialError, parseJsonBody, readBody, sendJson, sendJsonError, ServiceError, sigV4Scope } from './wire.js';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
export const STATE_MACHINE_NAME = 'autorestore-restore-object';

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

export const TABLE_NAMES: Record<TableRole, string> = { objects: 'autorestore-objects', principals: 'autorestore-principals', notices: 'autorestore-notices', audit: 'autorestore-audit' };

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export class LocalCloud {
  readonly faults: Faults;
  private constructor(
    readonly endpoint: string,
    readonly clock: SimulatedClock,
    readonly stateMachineArn: string,
    readonly bus: EventBus,
    readonly ses: SesService,
    readonly stepFunctions: StepFunctionsService,
    readonly functions: LocalFunctions,
    readonly s3: ArchiveLayer,
    /** DynamoDB API calls by operation, for tests and benchmarks. */
    readonly dynamoCalls: Map<string, number>,
    private readonly tickCount: { value: number },
    private readonly stopParts: () => Promise<void>,
    faults: Faults,
  ) {
    this.faults = faults;
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

    // --- the HTTP front: bound to loopback only.
    const routes: { s3?: Listener; dynamodb?: Listener; handleJson?: (service: string, req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const server = createServer((req, res) => {
      const handled = req.url?.startsWith('/_console') ? serveConsole(req, res, () => ses.list()) : route(req, res, routes);
      handled.catch((err: unknown) => {
        log(`local cloud: unhandled error on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendJsonError(res, new ServiceError(500, 'InternalFailure', 'The local cloud failed to handle the request'));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => resolve());
    });
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // --- DynamoDB: dynalite's request listener, on disk in the data folder.
    const dynamo = dynalite({ path: dirs.dynamodb, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoListener = dynamo.listeners('request')[0] as Listener;
    const dynamoCalls = new Map<string, number>();
    routes.dynamodb = (req, res) => {
      // dynalite reads whatever it is sent: refuse what DynamoDB would never take before it does.
      if (Number(req.headers['content-length']) > BODY_LIMITS.dynamodb!) {
        discardBody(req);
        throw new ServiceError(413, 'RequestEntityTooLarge', `Request body too large: DynamoDB takes at most ${BODY_LIMITS.dynamodb} bytes`);
      }
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? 'unknown';
      dynamoCalls.set(operation, (dynamoCalls.get(operation) ?? 0) + 1);
      dynamoListener(req, res);
    };

    // --- Lambda functions, configured like the CDK stack configures them.
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'AKIALOCALFUNCTIONS00',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: options.functionLogLevel ?? 'WARN',
      ...localFunctionEnvironment(config, { tables: TABLE_NAMES, stateMachineArn, account: LOCAL_ACCOUNT }, clock),
    };
    const functions = await LocalFunctions.load(env, LOCAL_ACCOUNT, LOCAL_REGION);

    // --- EventBridge: the stack's own patterns route to the handlers.
    // Accepted events are journaled in the data folder and delivered after a restart.
    const bus = new EventBus(LOCAL_ACCOUNT, LOCAL_REGION, { attempts: 8, baseDelayMs: 200 }, log, undefined, join(options.dataDir, 'eventbridge.jsonl'));
    const archivedRead = { name: 'ArchivedRead', pattern: archivedReadPattern(watched, 'aws'), target: (e: BusEvent) => functions.invoke('detect-access', e) };
    const restoreLifecycle = { name: 'RestoreLifecycle', pattern: restoreLifecyclePattern(watched), target: (e: BusEvent) => functions.invoke('restore-completed', e) };
    bus.addRule(archivedRead);
    bus.addRule(restoreLifecycle);
    // The control plane of the deployment: rule names as the stack names them, its trail, its dead-letter queue.
    const deadLetterQueue = new DeadLetterQueue(endpoint, LOCAL_ACCOUNT, LOCAL_REGION, bus.deadLetters);
    const deployedRules = new EventBridgeRules(
      [
        { name: LOCAL_RULE_NAMES.archivedRead, rule: archivedRead, targetArn: functions.arn('detect-access'), deadLetterArn: deadLetterQueue.arn },
        { name: LOCAL_RULE_NAMES.restoreLifecycle, rule: restoreLifecycle, targetArn: functions.arn('restore-completed'), deadLetterArn: deadLetterQueue.arn },
      ],
      LOCAL_ACCOUNT,
      LOCAL_REGION,
    );
    const trail = new LocalTrail(LOCAL_ACCOUNT, LOCAL_REGION, watched);

    // --- S3: s3rver with the archive layer in front of its router.
    if (!S3Object.STORAGE_CLASSES.includes('GLACIER_IR')) S3Object.STORAGE_CLASSES.push('GLACIER_IR');
    const s3 = new S3rver({ directory: dirs.s3, silent: true, allowMismatchedSignatures: true, vhostBuckets: false });
    const index = new ArchiveIndex(join(options.dataDir, 's3-archive.jsonl'), join(options.dataDir, 's3-archive.json'));
    // Objects are stored under the hash of their key, so no key can name a file of its own choosing.
    const store = new OpaqueKeyStore(dirs.s3, index, (bucket, key) => archive.forget(bucket, key));
    await store.migrateLegacyLayout(log);
    Object.assign(s3, { store });
    Object.assign((s3 as unknown as { context: object }).context, { store });
    const publishS3Event = (event: BusEvent, dropShare: number) => {
      if (happens(dropShare)) return;
      for (let copy = 0; copy <= faults.duplicateS3Events; copy++) bus.publish(event);
    };
    const archive = new ArchiveLayer({
      index,
      clock,
      store,
      onReadRefused: (read) => trail.records(read.bucket, read.key) && publishS3Event(refusedReadEvent(bus, read, LOCAL_ACCOUNT, LOCAL_REGION), faults.dropReadEvents),
      onRestoreCompleted: (bucket, key, entry) =>
        notifications.sendsToEventBridge(bucket) && publishS3Event(restoreLifecycleEvent(bus, 'Object Restore Completed', bucket, key, entry), faults.dropRestoreEvents),
      onRestoreExpired: (bucket, key, entry) =>
        notifications.sendsToEventBridge(bucket) && publishS3Event(restoreLifecycleEvent(bus, 'Object Restore Expired', bucket, key, entry), faults.dropRestoreEvents),
    });
    s3.middleware.splice(2, 0, archive.middleware() as never);
    const watches = (bucket: string) => watched.includes('*') || watched.includes(bucket);
    const notifications = new BucketNotifications(join(options.dataDir, 's3-notifications.json'), watches, async (bucket) => Boolean(await s3.store.getBucket(bucket)));
    for (const bucket of await s3.store.listBuckets()) if (watches(bucket.name)) notifications.deploy(bucket.name);
    s3.middleware.splice(2, 0, notifications.middleware() as never);
    bucketController.getBucket = listObjectsController(index);
    s3.middleware.splice(2, 0, (async (ctx: { state: Record<string, unknown>; req: IncomingMessage }, next: () => Promise<void>) => {
      ctx.state.accessKeyId = sigV4Scope(ctx.req)?.accessKeyId;
      await next();
    }) as never);
    // Internal failures (not S3 errors) are logged before s3rver turns them into InternalError.
    s3.middleware.splice(1, 0, (async (ctx: { method: string; path: string }, next: () => Promise<void>) => {
      try {
        await next();
      } catch (err) {
        const status = (err as { status?: number }).status ?? 500;
        if (status >= 500) log(`local S3: ${ctx.method} ${ctx.path} failed: ${(err as Error).stack ?? String(err)}`);
        throw err;
      }
    }) as never);
    // Composed only now: Koa fixes the middleware chain when the callback is made.
    const s3Listener = s3.callback();
    routes.s3 = (req, res) => {
      const scope = sigV4Scope(req);
      // s3rver only knows its own keys; every local key is a valid one (signatures are not checked).
      if (scope) DUMMY_ACCOUNT.createKeyPair(scope.accessKeyId, 'local');
      s3Listener(req, res);
    };
    archive.resumeTimers();

    // --- Step Functions and SES.
    const tokens = new TaskTokens();
    const integrations = localIntegrations(endpoint, LOCAL_REGION);
    const stepFunctions = new StepFunctionsService({
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      invoke: (arn, payload) => functions.invoke(arn, payload),
      callIntegration: integrations.call,
      tokens,
      startLimiter: new RateLimiter(() => faults.startExecutionPerSecond),
      retryIntervalMs: 100,
      stateFile: join(options.dataDir, 'stepfunctions.jsonl'),
      log,
    });
    const ses = new SesService(dirs.outbox, () => faults.sesFailureRate);
    const controlPlane = new ControlPlane(deployedRules, trail, deadLetterQueue, ses);
    routes.handleJson = async (service, req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = await readBody(req, BODY_LIMITS[service] ?? BODY_LIMITS.default!);
      if (controlPlane.handles(service, req)) return controlPlane.handle(service, req, body, res);
      if (service === 'states') {
        const operation = target.replace(/^AWSStepFunctions\./, '');
        return sendJson(res, 200, await stepFunctions.handle(operation, parseJsonBody(body)));
      }
      if (service === 'events') {
        if (target !== 'AWSEvents.PutEvents') throw new ServiceError(400, 'UnknownOperationException', `Operation ${target} is not supported by the local EventBridge`);
        return sendJson(res, 200, putEvents(bus, parseJsonBody(body)), 'application/x-amz-json-1.1');
      }
      if (service === 'cloudformation') {
        try {
          const xml = describeStacks(body.toString('utf8'), {
            name: DEFAULT_STACK_NAME,
            id: `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${DEFAULT_STACK_NAME}/local`,
            createdAt: startedAt,
            outputs: localStackOutputs({ stateMachineArn, tables: TABLE_NAMES, watched, senderAddress: config.senderAddress, trailArn: trail.arn, deadLetterQueueUrl: deadLetterQueue.url }),
          });
          res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
        } catch (err) {
          if (!(err instanceof ServiceError)) throw err;
          res.writeHead(err.status, { 'content-type': 'text/xml' }).end(cloudFormationErrorXml(err));
        }
        return;
      }
      if (service === 'ses' || service === 'email') {
        if (req.method !== 'POST' || !/^\/v2\/email\/outbound-emails\/?$/.test(new URL(req.url ?? '/', endpoint).pathname)) {
          throw new ServiceError(404, 'NotFoundException', `${req.method} ${req.url} is not supported by the local SES (SendEmail only)`);
        }
        return sendJson(res, 200, ses.send(parseJsonBody(body)), 'application/json');
      }
      throw new ServiceError(400, 'UnknownServiceException', `The local cloud does not serve '${service}'`);
    };

    // Tables and the state machine, as `cdk deploy` would create them.
    const ddb = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'AKIALOCALSETUP000000', secretAccessKey: 'local' } });
    for (const role of Object.keys(TABLES) as TableRole[]) {
      try {
        await ddb.send(new CreateTableCommand(createTableInput(role, TABLE_NAMES[role])));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
    }
    // A data folder from before the open-cycles index has an objects table without it (the local
    // DynamoDB cannot add an index to a table): the reconciler stays off there, said once.
    const objectsTable = await ddb.send(new DescribeTableCommand({ TableName: TABLE_NAMES.objects }));
    const hasOpenCyclesIndex = Boolean(objectsTable.Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === OPEN_CYCLES_INDEX));
    if (!hasOpenCyclesIndex)
      log(`local cloud: the objects table in ${options.dataDir} predates the ${OPEN_CYCLES_INDEX} index; the reconciler of stuck cycles is off (start with a fresh data folder to turn it on)`);
    ddb.destroy();
    stepFunctions.upsertStateMachine(
      STATE_MACHINE_NAME,
      renderDefinition({
        RestoreStepsFunctionArn: functions.arn('restore-steps'),
        NotifyAggregatorFunctionArn: functions.arn('notify-aggregator'),
        // TimeoutSeconds must be a whole number of seconds.
        WaitTimeoutSeconds: String(Math.max(1, Math.ceil(clock.realSeconds(config.waitTimeoutSeconds)))),
        ObjectsTableName: TABLE_NAMES.objects,
      }),
    );
    stepFunctions.restore();
    // Events accepted before a stop or a crash, once their targets (and what they call) are up.
    bus.resume();

    // The aggregator's schedule (rate 1 minute on AWS), on the simulated clock.
    const tickCount = { value: 0 };
    let ticking: Promise<unknown> | undefined;
    const ticker = setInterval(
      () => {
        if (ticking) return;
        tickCount.value++;
        ticking = functions
          .invoke('notify-aggregator', { action: 'tick' })
          .catch((err: unknown) => log(`aggregator tick failed: ${(err as Error).message}`))
          .finally(() => (ticking = undefined));
      },
      Math.max(50, clock.real(60_000)),
    );

    // The reconciler of stuck cycles (rate 15 minutes on AWS), on the simulated clock; at
    // least a second apart in real time, since each run describes every open cycle's execution.
    let reconciling: Promise<unknown> | undefined;
    const reconcileEvery = hasOpenCyclesIndex ? (options.reconcileEveryMinutes ?? 15) : 0;
    const reconciler =
      reconcileEvery > 0
        ? setInterval(
            () => {
              reconciling ??= functions
                .invoke('reconcile-cycles', { action: 'reconcile' })
                .catch((err: unknown) => log(`reconciler run failed: ${(err as Error).message}`))
                .finally(() => (reconciling = undefined));
            },
            Math.max(1000, clock.real(reconcileEvery * 60_000)),
          )
        : undefined;

    const stop = async () => {
      clearInterval(ticker);
      clearInterval(reconciler);
      await reconciling;
      await ticking; // a tick cut off half way would log a failed send
      archive.stop();
      // Deliveries finish while Step Functions still journals the executions they start: an
      // event marked delivered must not have started an execution that is then forgotten.
      await bus.drain();
      stepFunctions.shutdown();
      bus.close();
      integrations.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    };
    return new LocalCloud(endpoint, clock, stateMachineArn, bus, ses, stepFunctions, functions, archive, dynamoCalls, tickCount, stop, faults);
  }

  /** Every delivery started so far (events, and what they set off) has finished. */
  async settle(): Promise<void> {
    await this.bus.drain();
  }

  /** Every counter at once: S3 and DynamoDB calls, Lambda invocations, emails sent. */
  counters(): { s3: Record<string, number>; dynamodb: Record<string, number>; lambda: Record<string, number>; sesSent: number; ticks: number } {
    return {
      ticks: this.tickCount.value,
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
    await this.stopParts();
  }
}

const CONSOLE_DIST = fileURLToPath(new URL('../console/dist/', import.meta.url));
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The console: its bundled files, and the outbox (a folder, the one thing no AWS API reads). */
async function serveConsole(req: IncomingMessage, res: ServerResponse, outbox: () => unknown[]): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  if (path === '/_console/api/outbox') return sendJson(res, 200, outbox(), 'application/json');
  const relative = path.replace(/^\/_console\/?/, '') || 'index.html';
  const file = normalize(join(CONSOLE_DIST, relative));
  const target = file.startsWith(CONSOLE_DIST) && existsSync(file) && statSync(file).isFile() ? file : join(CONSOLE_DIST, 'index.html');
  if (!existsSync(target)) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('The console is not built: run `npm run build:console`.\n');
    return;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  res.end(await readFile(target));
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  routes: { s3?: Listener; dynamodb?: Listener; handleJson?: (service: string, req: IncomingMessage, res: ServerResponse) => Promise<void> },
): Promise<void> {
  let scope: ReturnType<typeof sigV4Scope>;
  try {
    scope = sigV4Scope(req);
  } catch (err) {
    if (err instanceof MalformedCredentialError) return refuseMalformedCredential(req, res, err);
    throw err;
  }
  const service = scope?.service ?? 's3';
  try {
    if (service === 's3') return routes.s3!(req, res);
    if (service === 'dynamodb') return routes.dynamodb!(req, res);
    await routes.handleJson!(service, req, res);
  } catch (err) {
    if (err instanceof ServiceError) return sendJsonError(res, err, service === 'events' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0');
    throw err;
  }
}

/**
 * The largest request body each service reads (bytes). Above it the request is refused with
 * 413 before it is read; below it, each service checks its own documented limits. Twice the
 * 256 KB of a PutEvents request or an execution input leaves room for JSON escaping; SES v2
 * takes messages up to 40 MB; DynamoDB requests up to 16 MB (BatchWriteItem).
 */
const BODY_LIMITS: Record<string, number> = {
  events: 2 * 1024 * 1024,
  states: 2 * 1024 * 1024,
  ses: 48 * 1024 * 1024,
  email: 48 * 1024 * 1024,
  dynamodb: 16 * 1024 * 1024 + 64 * 1024,
  default: 1024 * 1024,
};

/**
 * A signature whose credential cannot be read: the service cannot be told, so the answer takes
 * the shape of the protocol the request speaks. JSON protocols (an X-Amz-Target) answer 400
 * IncompleteSignatureException; S3 answers 400 AuthorizationHeaderMalformed (or
 * AuthorizationQueryParametersError for a presigned URL) in its XML.
 */
function refuseMalformedCredential(req: IncomingMessage, res: ServerResponse, err: MalformedCredentialError): void {
  if (req.headers['x-amz-target']) return sendJsonError(res, new ServiceError(400, 'IncompleteSignatureException', `Authorization header is malformed; ${err.message}`));
  const code = err.location === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError';
  const message = err.location === 'header' ? `The authorization header is malformed; ${err.message}` : `Error parsing the X-Amz-Credential parameter; ${err.message}`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(400, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** What PutEvents counts against its 256 KB: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html */
const PUT_EVENTS_MAX_BYTES = 256 * 1024;

function entrySize(entry: Record<string, unknown>): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  return (
    (entry.Time !== undefined && entry.Time !== null ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (Array.isArray(entry.Resources) ? entry.Resources.reduce((sum: number, r) => sum + bytes(r), 0) : 0)
  );
}

/** EventBridge PutEvents: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html */
function putEvents(bus: EventBus, input: Record<string, unknown>) {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) throw new ServiceError(400, 'ValidationException', 'Entries must hold 1 to 10 events');
  if (!entries.every((e): e is Record<string, unknown> => Boolean(e) && typeof e === 'object' && !Array.isArray(e))) {
    throw new ServiceError(400, 'ValidationException', "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must not contain null or non-object elements");
  }
  // The whole request is refused, not one entry: AWS answers this ValidationException.
  if (entries.reduce((sum, e) => sum + entrySize(e), 0) > PUT_EVENTS_MAX_BYTES) throw new ServiceError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
  const results = entries.map((raw) => {
    if (typeof raw.Source !== 'string' || typeof raw.DetailType !== 'string' || typeof raw.Detail !== 'string') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required' };
    }
    const busName = typeof raw.EventBusName === 'string' ? raw.EventBusName : JSON.stringify(raw.EventBusName);
    if (raw.EventBusName !== undefined && busName !== 'default' && !busName.endsWith(':event-bus/default')) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${busName} does not exist.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(raw.Detail);
      if (!detail || typeof detail !== 'object' || Array.isArray(detail)) throw new Error('not an object');
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const time = raw.Time === undefined ? undefined : new Date(typeof raw.Time === 'number' ? raw.Time * 1000 : typeof raw.Time === 'string' ? raw.Time : NaN);
    const event = bus.event(raw.Source, raw.DetailType, detail, {
      time: time && !Number.isNaN(time.getTime()) ? time : undefined,
      resources: Array.isArray(raw.Resources) ? raw.Resources.map(String) : [],
    });
    bus.publish(event);
    return { EventId: event.id };
  });
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
}
