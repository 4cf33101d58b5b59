/**
 * The S3 Control calls of Batch Operations (CreateJob, DescribeJob, ListJobs, UpdateJobStatus)
 * as SigV4-signed REST-XML requests: there is no `@aws-sdk/client-s3control` to use here. On
 * AWS the host carries the account (`<account>.s3-control.<region>.amazonaws.com`); against a
 * custom endpoint (the local cloud) the request goes to that endpoint as is, and the account
 * travels in the `x-amz-account-id` header, which S3 Control requires in both cases.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromXml, toXml, type XmlObject } from './s3control-xml.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ControlOptions {
  accountId: string;
  region: string;
  /** A custom endpoint (the local cloud); AWS's own otherwise. */
  endpoint?: string;
  credentials: AwsCredentials | (() => Promise<AwsCredentials>);
}

export type JobStatus = 'Active' | 'Cancelled' | 'Cancelling' | 'Complete' | 'Completing' | 'Failed' | 'Failing' | 'New' | 'Paused' | 'Pausing' | 'Preparing' | 'Ready' | 'Suspended';
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['Complete', 'Failed', 'Cancelled'];

export interface RestoreJobRequest {
  ClientRequestToken: string;
  ConfirmationRequired?: boolean;
  Description?: string;
  Priority: number;
  RoleArn: string;
  Operation: { S3InitiateRestoreObject: { ExpirationInDays?: number; GlacierJobTier: 'STANDARD' | 'BULK' } };
  Manifest: {
    Spec: { Format: 'S3BatchOperations_CSV_20180820'; Fields: ('Bucket' | 'Key' | 'VersionId' | 'Ignore')[] };
    Location: { ObjectArn: string; ETag: string; ObjectVersionId?: string };
  };
  Report: { Enabled: boolean; Bucket?: string; Format?: 'Report_CSV_20180820'; Prefix?: string; ReportScope?: 'AllTasks' | 'FailedTasksOnly' };
}

export interface JobProgress {
  TotalNumberOfTasks?: number;
  NumberOfTasksSucceeded?: number;
  NumberOfTasksFailed?: number;
}

export interface JobDescriptor {
  JobId: string;
  JobArn?: string;
  Status: JobStatus;
  Description?: string;
  Priority?: number;
  CreationTime?: string;
  TerminationDate?: string;
  StatusUpdateReason?: string;
  FailureReasons?: { FailureCode?: string; FailureReason?: string }[];
  ProgressSummary?: JobProgress;
  Report?: RestoreJobRequest['Report'];
  Manifest?: RestoreJobRequest['Manifest'];
  Operation?: Partial<RestoreJobRequest['Operation']>;
  RoleArn?: string;
}

export type JobListItem = Pick<JobDescriptor, 'JobId' | 'Status' | 'Description' | 'Priority' | 'CreationTime' | 'TerminationDate' | 'ProgressSummary'> & { Operation?: string };

/** An S3 Control error answer, named by its code (`NotFoundException`, `BadRequestException`, ...). */
export class S3ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** SHA-256 (and HMAC-SHA-256 with a secret) in the shape SignatureV4 takes. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

export class S3ControlClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;

  constructor(private readonly options: S3ControlOptions) {
    if (!/^\d{12}$/.test(options.accountId)) throw new S3ControlError('InvalidAccountId', `An account id is 12 digits: ${options.accountId}`, 400);
    this.base = new URL(options.endpoint ?? `https://${options.accountId}.s3-control.${options.region}.amazonaws.com`);
    const credentials = options.credentials;
    this.signer = new SignatureV4({
      service: 's3',
      region: options.region,
      sha256: Sha256,
      credentials: typeof credentials === 'function' ? credentials : () => Promise.resolve(credentials),
    });
  }

  /** The same client for another account. */
  forAccount(accountId: string): S3ControlClient {
    return new S3ControlClient({ ...this.options, accountId });
  }

  async createJob(request: RestoreJobRequest): Promise<{ JobId: string }> {
    const body = toXml('CreateJobRequest', request as unknown as XmlObject);
    const result = await this.send('POST', '/v20180820/jobs', {}, body);
    return { JobId: typeof result.JobId === 'string' ? result.JobId : '' };
  }

  async describeJob(jobId: string): Promise<JobDescriptor> {
    const result = await this.send('GET', `/v20180820/jobs/${encodeURIComponent(jobId)}`, {});
    return result.Job as unknown as JobDescriptor;
  }

  async listJobs(input: { JobStatuses?: JobStatus[]; NextToken?: string; MaxResults?: number } = {}): Promise<{ Jobs: JobListItem[]; NextToken?: string }> {
    const query: Record<string, string | string[]> = {};
    if (input.JobStatuses?.length) query.jobStatuses = input.JobStatuses;
    if (input.NextToken) query.nextToken = input.NextToken;
    if (input.MaxResults) query.maxResults = String(input.MaxResults);
    const result = await this.send('GET', '/v20180820/jobs', query);
    return { Jobs: (result.Jobs ?? []) as unknown as JobListItem[], ...(typeof result.NextToken === 'string' && result.NextToken ? { NextToken: result.NextToken } : {}) };
  }

  async updateJobStatus(jobId: string, requestedJobStatus: 'Cancelled' | 'Ready', reason?: string): Promise<{ JobId: string; Status: JobStatus; StatusUpdateReason?: string }> {
    const query: Record<string, string> = { requestedJobStatus, ...(reason ? { statusUpdateReason: reason } : {}) };
    const result = await this.send('POST', `/v20180820/jobs/${encodeURIComponent(jobId)}/status`, query);
    return result as unknown as { JobId: string; Status: JobStatus; StatusUpdateReason?: string };
  }

  private async send(method: string, path: string, query: Record<string, string | string[]>, body?: string): Promise<XmlObject> {
    const basePath = this.base.pathname.replace(/\/$/, '');
    const headers: Record<string, string> = { host: this.base.host, 'x-amz-account-id': this.options.accountId };
    if (body !== undefined) headers['content-type'] = 'application/xml';
    const signed = await this.signer.sign({
      method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      port: Number(this.base.port) || undefined,
      path: `${basePath}${path}`,
      query,
      headers,
      body,
    });
    const url = new URL(`${basePath}${path}`, this.base);
    for (const [name, value] of Object.entries(query)) for (const v of [value].flat()) url.searchParams.append(name, v);
    const response = await fetch(url, { method, headers: signed.headers, body });
    const text = await response.text();
    if (!response.ok) {
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `Http${response.status}`;
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
      throw new S3ControlError(code, message, response.status);
    }
    return text.trim() ? fromXml(text).value : {};
  }
}
