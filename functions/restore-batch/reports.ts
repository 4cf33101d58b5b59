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
  /** As the report spells it: URL-encoded like the manifest, or raw (BO16): see `resolveReportKeys`. */
  reportKey: string;
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
  const [bucket, reportKey, versionId, , first, second, ...rest] = cells as [string, string, string, string, string, string, ...string[]];
  const firstIsStatus = /^\d{3}$/.test(first.trim());
  const status = Number(firstIsStatus ? first : second);
  return {
    bucket,
    reportKey,
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

/** A report key read as URL-encoded (the manifest's spelling; a `+` read as a space, as S3 may write it). */
export function decodeReportKey(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
}

/**
 * The keys a report's text can name (BO16: AWS does not say whether the report spells keys
 * URL-encoded, as in the manifest, or raw): the decoded reading and the text itself. Text
 * without `%` or `+` reads the same both ways and names one key.
 */
export function keyReadings(text: string): string[] {
  const decoded = decodeReportKey(text);
  return decoded === text ? [text] : [decoded, text];
}

/** Which of `candidates` a manifest (lines `bucket,key` or `bucket,key,versionId` with the key URL-encoded, as written for the job) submitted. */
export async function submittedAmong(manifestLines: AsyncIterable<string>, candidates: ReadonlySet<string>): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const line of manifestLines) {
    const encoded = line.split(',')[1];
    if (!encoded) continue;
    const key = decodeReportKey(encoded);
    if (candidates.has(key)) found.add(key);
  }
  return found;
}

/**
 * The key each report text names, given the keys the job submitted: a text whose decoded
 * reading was submitted is that key; else the text itself if it was submitted. When both
 * readings were submitted (`a%20b` and `a b` in one job), the spelling the other rows of the
 * same report show settles it; with no such row, or rows showing both, or neither reading
 * submitted, the text is left unresolved (`undefined`) rather than guessed.
 */
export function resolveReportKeys(texts: readonly string[], submitted: ReadonlySet<string>): (string | undefined)[] {
  const readings = texts.map((text) => keyReadings(text).filter((key) => submitted.has(key)));
  const spellings = new Set<'encoded' | 'raw'>();
  texts.forEach((text, i) => {
    const keys = readings[i]!;
    if (keys.length === 1 && keys[0] !== decodeReportKey(text)) spellings.add('raw');
    else if (keys.length === 1 && keys[0] !== text) spellings.add('encoded');
  });
  const spelling = spellings.size === 1 ? [...spellings][0] : undefined;
  return texts.map((text, i) => {
    const keys = readings[i]!;
    if (keys.length === 1) return keys[0];
    if (keys.length === 2 && spelling) return spelling === 'raw' ? text : decodeReportKey(text);
    return undefined;
  });
}
