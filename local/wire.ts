/** Helpers for the AWS wire protocols: reading bodies, JSON protocol answers and errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The request body, refused with 413 once it passes `limit`: a declared Content-Length over the
 * limit before a byte is kept, a streamed body as soon as it crosses it. What follows is read
 * and dropped, never held, so that the client (which sends its whole body before it reads the
 * answer, as the SDKs and fetch do) gets the 413 rather than a broken connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new ServiceError(413, 'RequestEntityTooLarge', `Request body too large: this service takes at most ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardBody(req);
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      refused = true;
      chunks.length = 0;
      reject(tooLarge());
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Reads a request's body to its end and drops it (the answer does not need it). */
export function discardBody(req: IncomingMessage): void {
  req.resume();
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
  res.writeHead(err.status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': err.code,
    'x-amzn-requestid': crypto.randomUUID(),
  });
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

/** A SigV4 credential that does not have the five parts `AKID/YYYYMMDD/region/service/aws4_request`. */
export class MalformedCredentialError extends Error {
  override readonly name = 'MalformedCredentialError';
  constructor(
    /** Where the credential came from: the Authorization header or a presigned URL's query. */
    readonly location: 'header' | 'query',
    readonly credential: string,
  ) {
    super(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request": ${credential.slice(0, 200)}`);
  }
}

/**
 * Access key id and signing service from a SigV4 Authorization header or presigned query;
 * undefined for an unsigned request; MalformedCredentialError for a credential that cannot be read.
 */
export function sigV4Scope(req: IncomingMessage): { accessKeyId: string; service: string; region: string } | undefined {
  const header = req.headers.authorization;
  let location: 'header' | 'query' = 'header';
  let credential: string | undefined;
  if (header) credential = /Credential=([^,\s]*)/.exec(header)?.[1];
  else {
    location = 'query';
    // A query that cannot be parsed is not a signed one; the service answers it as it would.
    try {
      credential = new URL(req.url ?? '/', 'http://x').searchParams.get('X-Amz-Credential') ?? undefined;
    } catch {
      return undefined;
    }
  }
  if (credential === undefined) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(credential);
  } catch {
    throw new MalformedCredentialError(location, credential);
  }
  const [accessKeyId, date, region, service, terminator, ...rest] = decoded.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || rest.length > 0) throw new MalformedCredentialError(location, decoded);
  return { accessKeyId, service, region };
}
