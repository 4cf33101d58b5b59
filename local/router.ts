/**
 * The HTTP front of the local cloud: one loopback listener that serves the console and routes
 * every other request by the service in its SigV4 credential scope, with each service's body
 * limit, the answer to a credential that cannot be read, and the JSON services (Step Functions,
 * EventBridge PutEvents, CloudFormation DescribeStacks, SES v2 SendEmail, the control plane).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudFormationErrorXml, describeStacks } from './cloudformation.js';
import type { ControlPlane } from './control-plane/router.js';
import type { EventBus } from './event-bus.js';
import { isS3ControlRequest } from './s3control/service.js';
import type { SesService } from './ses.js';
import type { StepFunctionsService } from './step-functions.js';
import { discardBody, MalformedCredentialError, parseJsonBody, readBody, sendJson, sendJsonError, ServiceError, sigV4Scope } from './wire.js';

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;
export type JsonHandler = (service: string, req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Filled in as each service comes up; the front listens before them, so they know its endpoint. */
export interface Routes {
  s3?: Listener;
  dynamodb?: Listener;
  handleJson?: JsonHandler;
  /** S3 Control's Batch Operations jobs, told apart from S3 (the same signing name) by their path. */
  s3control?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface HttpFront {
  endpoint: string;
  routes: Routes;
  close(): Promise<void>;
}

/** Listens on loopback only; `outbox` feeds the console's outbox view. */
export async function startHttpFront(port: number, log: (message: string) => void, outbox: () => unknown[]): Promise<HttpFront> {
  const routes: Routes = {};
  const server: Server = createServer((req, res) => {
    const handled = req.url?.startsWith('/_console') ? serveConsole(req, res, outbox) : route(req, res, routes);
    handled.catch((err: unknown) => {
      log(`local cloud: unhandled error on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendJsonError(res, new ServiceError(500, 'InternalFailure', 'The local cloud failed to handle the request'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routes,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** DynamoDB's route: dynalite's listener behind DynamoDB's own body limit, counting calls by operation. */
export function dynamoRoute(dynamoListener: Listener, dynamoCalls: Map<string, number>): Listener {
  return (req, res) => {
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
}

export interface JsonServices {
  endpoint: string;
  controlPlane: ControlPlane;
  stepFunctions: StepFunctionsService;
  bus: EventBus;
  ses: SesService;
  /** What DescribeStacks answers for the deployed stack. */
  stack: Parameters<typeof describeStacks>[1];
}

/** The services that speak JSON (and CloudFormation's query protocol), behind their body limits. */
export function jsonServices({ endpoint, controlPlane, stepFunctions, bus, ses, stack }: JsonServices): JsonHandler {
  return async (service, req, res) => {
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
        const xml = describeStacks(body.toString('utf8'), stack);
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

async function route(req: IncomingMessage, res: ServerResponse, routes: Routes): Promise<void> {
  let scope: ReturnType<typeof sigV4Scope>;
  try {
    scope = sigV4Scope(req);
  } catch (err) {
    if (err instanceof MalformedCredentialError) return refuseMalformedCredential(req, res, err);
    throw err;
  }
  const service = scope?.service ?? 's3';
  try {
    if (service === 's3' && routes.s3control && isS3ControlRequest(req)) return await routes.s3control(req, res);
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
