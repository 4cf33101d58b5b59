/**
 * Routes the control-plane calls of the local cloud (the ones `autorestore doctor` and an
 * operator make) to their services, and answers in each service's wire protocol:
 * EventBridge and CloudTrail speak AWS JSON 1.1, SQS AWS JSON 1.0 with query-compatible error
 * codes (`x-amzn-query-error`), SES v2 REST JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SesService } from '../ses.js';
import { parseJsonBody, sendJson, sendJsonError, ServiceError } from '../wire.js';
import type { LocalTrail } from './cloudtrail.js';
import type { EventBridgeRules } from './eventbridge.js';
import { queryErrorXml, queryInput, queryResponseXml, SqsError, type DeadLetterQueue } from './sqs.js';

export class ControlPlane {
  constructor(
    private readonly rules: EventBridgeRules,
    private readonly trail: LocalTrail,
    private readonly queue: DeadLetterQueue,
    private readonly ses: SesService,
  ) {}

  /** Whether this request is one of the control-plane calls (PutEvents and SendEmail are not). */
  handles(service: string, req: IncomingMessage): boolean {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (service === 'events') return target !== 'AWSEvents.PutEvents';
    if (service === 'cloudtrail' || service === 'sqs') return true;
    if (service === 'ses' || service === 'email') return /^\/v2\/email\/(account|identities)(\/|$)/.test(pathOf(req));
    return false;
  }

  handle(service: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (service === 'sqs' && !req.headers['x-amz-target']) return this.sqsQuery(body, res);
    const json = service === 'sqs' ? 'application/x-amz-json-1.0' : service === 'ses' || service === 'email' ? 'application/json' : 'application/x-amz-json-1.1';
    try {
      if (service === 'ses' || service === 'email') return sendJson(res, 200, this.ses.control(req.method ?? 'GET', pathOf(req), parseJsonBody(body)), json);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const input = parseJsonBody(body);
      const service_ = { events: this.rules, cloudtrail: this.trail, sqs: this.queue }[service]!;
      return sendJson(res, 200, service_.handle(operation, input), json);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      if (err instanceof SqsError) {
        const text = JSON.stringify({ __type: `com.amazonaws.sqs#${err.code}`, message: err.message });
        res.writeHead(err.status, { 'content-type': json, 'content-length': Buffer.byteLength(text), 'x-amzn-query-error': `${err.queryCode};Sender`, 'x-amzn-requestid': crypto.randomUUID() });
        res.end(text);
        return;
      }
      sendJsonError(res, err, json);
    }
  }

  private sqsQuery(body: Buffer, res: ServerResponse): void {
    const { operation, input } = queryInput(body.toString('utf8'));
    try {
      const xml = queryResponseXml(operation, this.queue.handle(operation, input) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
    } catch (err) {
      if (!(err instanceof SqsError)) throw err;
      res.writeHead(err.status, { 'content-type': 'text/xml' }).end(queryErrorXml(err));
    }
  }
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://local').pathname;
}
