/**
 * The local S3 Control: the Batch Operations job API on `/v20180820/jobs`, REST-XML as on AWS.
 * S3 Control clients put the account in the host name (`<account>.s3-control.<region>...`);
 * locally any host is taken and the account comes from the `x-amz-account-id` header, which
 * every S3 Control request carries. Point the AWS CLI at it with a hosts entry for
 * `000000000000.localhost` (see the README).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeXml, fromXml, MalformedXmlError, toXml, type XmlObject } from '../../functions/restore-batch/s3control-xml.js';
import { readBody, ServiceError } from '../wire.js';
import { badRequest, parseCreateJobRequest } from './create-job-request.js';
import type { BatchJobs, Job } from './jobs.js';

export const S3CONTROL_PATH_PREFIX = '/v20180820/';
const BODY_LIMIT = 1024 * 1024;

export function isS3ControlRequest(req: IncomingMessage): boolean {
  return (req.url ?? '').startsWith(S3CONTROL_PATH_PREFIX);
}

export function s3ControlListener(jobs: BatchJobs): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      await handle(jobs, req, res);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
      res.writeHead(err.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
    }
  };
}

async function handle(jobs: BatchJobs, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const account = String(req.headers['x-amz-account-id'] ?? '');
  const body = await readBody(req, BODY_LIMIT);
  if (!/^\d{12}$/.test(account)) throw badRequest('The x-amz-account-id header must hold a 12-digit account id');
  const path = url.pathname.slice(S3CONTROL_PATH_PREFIX.length).split('/').map(decodeURIComponent);
  const method = req.method ?? 'GET';
  if (path[0] !== 'jobs') throw new ServiceError(404, 'NotImplemented', `${method} ${url.pathname} is not served by the local S3 Control (Batch Operations jobs only)`);

  if (path.length === 1 && method === 'POST') {
    let parsed: ReturnType<typeof fromXml>;
    try {
      parsed = fromXml(body.toString('utf8'));
    } catch (err) {
      if (err instanceof MalformedXmlError) throw new ServiceError(400, 'MalformedXML', err.message);
      throw err;
    }
    const spec = parseCreateJobRequest(parsed.root, parsed.value);
    const job = jobs.create(account, spec, createHash('sha256').update(JSON.stringify(spec)).digest('hex'));
    return sendXml(res, 200, 'CreateJobResult', { JobId: job.id });
  }
  if (path.length === 1 && method === 'GET') {
    const statuses = url.searchParams.getAll('jobStatuses');
    const maxResults = Math.min(1000, Math.max(1, Number(url.searchParams.get('maxResults') ?? 1000) || 1000));
    const offset = Number(url.searchParams.get('nextToken') ?? 0) || 0;
    const all = jobs.list(account, statuses);
    const page = all.slice(offset, offset + maxResults);
    return sendXml(res, 200, 'ListJobsResult', {
      ...(offset + maxResults < all.length ? { NextToken: String(offset + maxResults) } : {}),
      Jobs: page.map((job) => ({
        JobId: job.id,
        ...(job.spec.description ? { Description: job.spec.description } : {}),
        Operation: 'S3InitiateRestoreObject',
        Priority: job.spec.priority,
        Status: job.status,
        CreationTime: job.createdAt,
        ...(job.terminatedAt ? { TerminationDate: job.terminatedAt } : {}),
        ProgressSummary: progress(job),
      })),
    });
  }
  if (path.length === 2 && method === 'GET') return sendXml(res, 200, 'DescribeJobResult', { Job: describe(jobs.get(account, path[1]!)) });
  if (path.length === 3 && path[2] === 'status' && method === 'POST') {
    const requested = url.searchParams.get('requestedJobStatus');
    if (!requested) throw badRequest('requestedJobStatus is required');
    const reason = url.searchParams.get('statusUpdateReason') ?? undefined;
    const job = jobs.update(account, path[1]!, requested, reason);
    return sendXml(res, 200, 'UpdateJobStatusResult', { JobId: job.id, Status: job.status, ...(job.statusUpdateReason ? { StatusUpdateReason: job.statusUpdateReason } : {}) });
  }
  throw new ServiceError(405, 'MethodNotAllowed', `${method} ${url.pathname} is not an S3 Control operation`);
}

function progress(job: Job): XmlObject {
  return { TotalNumberOfTasks: job.progress.total, NumberOfTasksSucceeded: job.progress.succeeded, NumberOfTasksFailed: job.progress.failed };
}

function describe(job: Job): XmlObject {
  const { spec } = job;
  return {
    ConfirmationRequired: spec.confirmationRequired,
    CreationTime: job.createdAt,
    ...(spec.description ? { Description: spec.description } : {}),
    ...(job.failureReasons.length ? { FailureReasons: job.failureReasons.map((f) => ({ FailureCode: f.code, FailureReason: f.reason })) } : {}),
    JobArn: job.arn,
    JobId: job.id,
    Manifest: {
      Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: spec.manifest.fields },
      Location: { ObjectArn: `arn:aws:s3:::${spec.manifest.bucket}/${spec.manifest.key}`, ETag: spec.manifest.etag, ...(spec.manifest.versionId ? { ObjectVersionId: spec.manifest.versionId } : {}) },
    },
    Operation: { S3InitiateRestoreObject: { ...(spec.expirationInDays !== undefined ? { ExpirationInDays: spec.expirationInDays } : {}), GlacierJobTier: spec.tier } },
    Priority: spec.priority,
    ProgressSummary: progress(job),
    Report: spec.report.enabled
      ? { Bucket: `arn:aws:s3:::${spec.report.bucket}`, Enabled: true, Format: 'Report_CSV_20180820', ...(spec.report.prefix ? { Prefix: spec.report.prefix } : {}), ReportScope: spec.report.scope }
      : { Enabled: false },
    RoleArn: spec.roleArn,
    Status: job.status,
    ...(job.statusUpdateReason ? { StatusUpdateReason: job.statusUpdateReason } : {}),
    ...(job.terminatedAt ? { TerminationDate: job.terminatedAt } : {}),
  };
}

function sendXml(res: ServerResponse, status: number, root: string, value: XmlObject): void {
  const xml = toXml(root, value);
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml), 'x-amz-request-id': randomUUID() });
  res.end(xml);
}
