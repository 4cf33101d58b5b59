/** Helpers for the AWS wire protocols: reading bodies, JSON protocol answers and errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ServiceError(413, 'RequestEntityTooLarge', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An error in the service's own shape (`__type` + message for the JSON protocols). */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.0'): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': crypto.randomUUID() });
  res.end(text);
}

export function sendJsonError(res: ServerResponse, err: ServiceError, contentType = 'application/x-amz-json-1.0'): void {
  const body = JSON.stringify({ __type: err.code, message: err.message });
  res.writeHead(err.status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-errortype': err.code, 'x-amzn-requestid': crypto.randomUUID() });
  res.end(body);
}

/** Parses a JSON protocol request body; a malformed one is the service's SerializationException. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new ServiceError(400, 'SerializationException', 'The request body is not a valid JSON object');
  }
}

/** Access key id and signing service from a SigV4 Authorization header or presigned query. */
export function sigV4Scope(req: IncomingMessage): { accessKeyId: string; service: string; region: string } | undefined {
  const header = req.headers.authorization;
  const credential = header ? /Credential=([^,\s]+)/.exec(header)?.[1] : new URL(req.url ?? '/', 'http://x').searchParams.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(credential);
  } catch {
    return undefined; // not a credential scope: the service's own authentication refuses it
  }
  const [accessKeyId, , region, service] = decoded.split('/');
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, service, region };
}
