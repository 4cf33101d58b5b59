/**
 * Reading a Batch Operations completion report: `<prefix>/job-<id>/manifest.json` names a CSV
 * per task status; each failed row says why. Failures are sorted into what the batch does
 * next: an object deleted since it was listed is reported as deleted (not a failure of the
 * restore); a restore already under way counts as restoring; throttling and server errors are
 * retried in a new job; anything else is reported with its reason.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface FailedTask {
  bucket: string;
  /** As the report spells it: URL-encoded, like the manifest. */
  encodedKey: string;
  versionId?: string;
  errorCode: string;
  httpStatus?: number;
  message: string;
}

export type FailureClass = 'deleted' | 'in-progress' | 'retryable' | 'failed';

const RETRYABLE_CODES = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout', 'TooManyRequests', 'TooManyRequestsException', 'ThrottlingException', 'RequestTimeTooSkewed']);

export function classifyFailure(task: Pick<FailedTask, 'errorCode' | 'httpStatus'>): FailureClass {
  if (task.errorCode === 'NoSuchKey' || task.errorCode === 'NoSuchVersion' || task.httpStatus === 404) return 'deleted';
  if (task.errorCode === 'RestoreAlreadyInProgress' || task.httpStatus === 409) return 'in-progress';
  if (RETRYABLE_CODES.has(task.errorCode) || (task.httpStatus !== undefined && task.httpStatus >= 500)) return 'retryable';
  return 'failed';
}

/** One CSV record (RFC 4180 quoting). */
export function parseCsvRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * A failed row: Bucket, Key, VersionId, TaskStatus, then the error code and the HTTP status
 * (AWS's own examples show these two in either order: the numeric one is the status), then the
 * message, which may itself hold commas.
 */
export function parseReportRow(line: string): FailedTask | undefined {
  const cells = parseCsvRow(line);
  if (cells.length < 6) return undefined;
  const [bucket, encodedKey, versionId, , first, second, ...rest] = cells as [string, string, string, string, string, string, ...string[]];
  const firstIsStatus = /^\d{3}$/.test(first.trim());
  const status = Number(firstIsStatus ? first : second);
  return {
    bucket,
    encodedKey,
    ...(versionId ? { versionId } : {}),
    errorCode: (firstIsStatus ? second : first).trim(),
    ...(Number.isInteger(status) && status > 0 ? { httpStatus: status } : {}),
    message: rest.join(','),
  };
}

/** The failed tasks of one job, streamed from its report (nothing when the job wrote none). */
export async function* failedTasks(s3: S3Client, reportBucket: string, reportPrefix: string, jobId: string): AsyncGenerator<FailedTask> {
  let manifest: { Results?: { TaskExecutionStatus?: string; Bucket?: string; Key?: string }[] };
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: reportBucket, Key: `${reportPrefix}/job-${jobId}/manifest.json` }));
    manifest = JSON.parse(await out.Body!.transformToString()) as typeof manifest;
  } catch (err) {
    // No task ran (S3 writes a report only once one did).
    if ((err as Error).name === 'NoSuchKey') return;
    throw err;
  }
  for (const result of manifest.Results ?? []) {
    if (result.TaskExecutionStatus !== 'failed' || !result.Bucket || !result.Key) continue;
    const out = await s3.send(new GetObjectCommand({ Bucket: result.Bucket, Key: result.Key }));
    for await (const line of createInterface({ input: out.Body as Readable, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      const task = parseReportRow(line);
      if (task) yield task;
    }
  }
}
