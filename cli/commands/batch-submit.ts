/**
 * The bulk path of `autorestore restore`: lists the prefix page by page, writes the objects to
 * restore as CSV manifests (Glacier/Deep Archive apart from Intelligent-Tiering: S3 refuses to
 * mix them) on disk as it goes, uploads them to the stack's manifest bucket, records the batch
 * and starts one restore-batch execution, which creates the S3 Batch Operations jobs. Memory
 * stays flat in the number of objects: no listing is ever held whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';
import { restoreDurationMs, type ArchiveKind } from '../../functions/domain/rules/archive.js';
import { restoreCost, UnpricedRestoreError, type RestorePrices } from '../../functions/domain/rules/restore-cost.js';
import type { Reader } from '../../functions/domain/rules/reader.js';
import { matchRule, type RestorePolicy } from '../../functions/domain/rules/restore-policy.js';
import type { BatchBook, BatchJob, BatchJobKind, BatchRecord, BatchTier } from '../../functions/domain/stores/batches.js';

export interface BatchSubmitDeps {
  s3: S3Client;
  sfn: SFNClient;
  batches: BatchBook;
  manifestBucket: string;
  batchStateMachineArn: string;
  /** The deployment's restore policy: objects under a `restore: never` rule stay out of the manifests, as the per-object workflow refuses them. */
  policy?: RestorePolicy;
  /** The price table: the batch's cost goes into its "started" email. */
  prices?: RestorePrices;
  now: () => Date;
}

export interface BatchRequest {
  bucket: string;
  prefix: string;
  tier: BatchTier;
  /** Days the restored copies stay (Glacier and Deep Archive only). */
  days: number;
  recipients: Reader[];
}

export type BatchSubmission =
  | { outcome: 'submitted'; batchId: string; executionArn: string; objectCount: number; jobs: Pick<BatchJob, 'kind' | 'count' | 'deep'>[]; skipped: number; refused: number }
  | { outcome: 'joined'; batchId: string }
  | { outcome: 'nothing-to-restore'; skipped: number; refused: number };

/** The same request names the same batch while it runs. */
export function requestKeyOf(request: Pick<BatchRequest, 'bucket' | 'prefix' | 'tier' | 'days'>): string {
  return createHash('sha256')
    .update(JSON.stringify([request.bucket, request.prefix, request.tier, request.days]))
    .digest('hex')
    .slice(0, 32);
}

/** A batch id a person recognises (the prefix), unique (time and a random tail), short enough for job tokens and execution names. */
export function batchIdOf(prefix: string, now: Date): string {
  const slug =
    prefix
      .split('/')
      .filter(Boolean)
      .pop()
      ?.replace(/[^0-9A-Za-z]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 16) || 'bucket';
  return `${slug}-${now.toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

/** S3 Batch Operations manifests name keys URL-encoded (BO19); a version id, when given, is the third column. */
export function manifestLine(bucket: string, key: string, versionId?: string): string {
  return `${bucket},${encodeURIComponent(key)}${versionId === undefined ? '' : `,${versionId}`}\n`;
}

/** A bucket whose versioning is Enabled or Suspended keeps versions: its manifests name the version listed. */
export async function isVersioned(s3: S3Client, bucket: string): Promise<boolean> {
  const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return Status === 'Enabled' || Status === 'Suspended';
}

interface ManifestFile {
  kind: BatchJobKind;
  path: string;
  stream: WriteStream;
  count: number;
  deep: boolean;
  versioned: boolean;
}

export async function submitBatch(deps: BatchSubmitDeps, request: BatchRequest, onListed?: (listed: number) => void): Promise<BatchSubmission> {
  const now = deps.now();
  const requestKey = requestKeyOf(request);
  const batchId = batchIdOf(request.prefix, now);
  const claim = await deps.batches.claimRequest(requestKey, batchId, now);
  if (!claim.claimed) return { outcome: 'joined', batchId: claim.batchId };

  const dir = mkdtempSync(join(tmpdir(), 'autorestore-manifest-'));
  try {
    const versioned = await isVersioned(deps.s3, request.bucket);
    const open = (kind: BatchJobKind): ManifestFile => {
      const path = join(dir, `${kind}.csv`);
      return { kind, path, stream: createWriteStream(path), count: 0, deep: false, versioned };
    };
    const files: Record<BatchJobKind, ManifestFile> = { archive: open('archive'), 'intelligent-tiering': open('intelligent-tiering') };
    const cost: { microUsd: number | undefined } = { microUsd: deps.prices ? 0 : undefined };
    const price = (kind: ArchiveKind, size: number) => {
      if (!deps.prices || cost.microUsd === undefined) return;
      try {
        cost.microUsd += restoreCost(deps.prices, kind, request.tier === 'BULK' ? 'Bulk' : 'Standard', size).microUsd;
      } catch (err) {
        // A price missing from the table: the email says the cost is unknown rather than too low.
        if (!(err instanceof UnpricedRestoreError)) throw err;
        cost.microUsd = undefined;
      }
    };
    const { skipped, refused } = await listInto(deps.s3, request, files, deps.policy, price, onListed);
    await Promise.all(Object.values(files).map((f) => new Promise((resolve) => f.stream.end(resolve))));
    const objectCount = files.archive.count + files['intelligent-tiering'].count;
    if (objectCount === 0) {
      await deps.batches.releaseRequest(requestKey, batchId);
      return { outcome: 'nothing-to-restore', skipped, refused };
    }
    const jobs: BatchJob[] = [];
    for (const file of Object.values(files)) {
      if (file.count === 0) continue;
      const manifestKey = `batches/${batchId}/manifest-${file.kind}.csv`;
      const etag = await uploadFile(deps.s3, deps.manifestBucket, manifestKey, file.path);
      jobs.push({ kind: file.kind, manifestKey, manifestEtag: etag, count: file.count, deep: file.deep, attempt: 0, ...(file.versioned ? { versioned: true } : {}) });
    }
    const deep = jobs.some((j) => j.deep);
    const readyMs = restoreDurationMs(deep ? 'DEEP_ARCHIVE' : 'GLACIER', request.tier === 'BULK' ? 'Bulk' : 'Standard');
    const batch: BatchRecord = {
      objectId: `#batch#${batchId}`,
      batchId,
      bucket: request.bucket,
      prefix: request.prefix,
      requestKey,
      status: 'SUBMITTING',
      tier: request.tier,
      days: request.days,
      jobs,
      objectCount,
      ...(cost.microUsd !== undefined ? { costMicroUsd: cost.microUsd } : {}),
      recipients: request.recipients,
      createdAt: now.toISOString(),
      // Estimates until the jobs are submitted, when the workflow sets them.
      expectedReadyAt: new Date(now.getTime() + readyMs).toISOString(),
      deadline: new Date(now.getTime() + 2 * readyMs).toISOString(),
      updatedAt: now.toISOString(),
    };
    await deps.batches.create(batch);
    let executionArn: string;
    try {
      const started = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.batchStateMachineArn, name: batchId, input: JSON.stringify({ batchId }) }));
      executionArn = started.executionArn!;
    } catch (err) {
      // No workflow, no batch: it leaves the running ones with the reason, and the request is free again.
      await deps.batches.update(batchId, { failures: [{ reason: `the workflow could not start: ${(err as Error).name}: ${(err as Error).message}`, count: objectCount, sample: [] }] }, deps.now());
      await deps.batches.end(batch, 'FAILED', deps.now());
      throw err;
    }
    await deps.batches.update(batchId, { executionArn }, deps.now());
    return { outcome: 'submitted', batchId, executionArn, objectCount, jobs: jobs.map(({ kind, count, deep: d }) => ({ kind, count, deep: d })), skipped, refused };
  } catch (err) {
    await deps.batches.releaseRequest(requestKey, batchId).catch(() => undefined);
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Lists the prefix one page (1,000 objects) at a time with RestoreStatus, writing each archived
 * object not already restored or restoring to its manifest. Intelligent-Tiering objects are
 * looked up (the listing does not say whether they sit in an archive tier), and so is every
 * archived object of a versioned bucket (ListObjectsV2 names no version id: `listedVersion` finds
 * the one listed, which the manifest then pins: a version written later is not restored).
 * Returns how many
 * objects were skipped, and how many archived ones the restore policy refuses.
 */
async function listInto(
  s3: S3Client,
  request: BatchRequest,
  files: Record<BatchJobKind, ManifestFile>,
  policy: RestorePolicy | undefined,
  price: (kind: ArchiveKind, size: number) => void,
  onListed?: (listed: number) => void,
): Promise<{ skipped: number; refused: number }> {
  const limit = pLimit(16);
  let token: string | undefined;
  let skipped = 0;
  let refused = 0;
  let listed = 0;
  const write = async (file: ManifestFile, key: string, kind: ArchiveKind, size: number, versionId: string | undefined) => {
    if (policy && matchRule(policy, request.bucket, key).restore === 'never') {
      refused++;
      return;
    }
    const deep = kind === 'DEEP_ARCHIVE' || kind === 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS';
    price(kind, size);
    file.count++;
    file.deep ||= deep;
    if (!file.stream.write(manifestLine(request.bucket, key, file.versioned ? (versionId ?? 'null') : undefined))) await new Promise<void>((resolve) => file.stream.once('drain', () => resolve()));
  };
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: request.bucket, Prefix: request.prefix || undefined, ContinuationToken: token, OptionalObjectAttributes: ['RestoreStatus'] }));
    const archived: { key: string; size: number; storageClass: 'GLACIER' | 'DEEP_ARCHIVE'; etag: string }[] = [];
    const tiering: { key: string; size: number }[] = [];
    for (const item of page.Contents ?? []) {
      const storageClass = item.StorageClass ?? 'STANDARD';
      const restoring = item.RestoreStatus?.IsRestoreInProgress === true || (item.RestoreStatus?.RestoreExpiryDate !== undefined && item.RestoreStatus.RestoreExpiryDate.getTime() > Date.now());
      if (restoring) skipped++;
      else if (storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE') archived.push({ key: item.Key!, size: item.Size ?? 0, storageClass, etag: item.ETag ?? '' });
      else if (storageClass === 'INTELLIGENT_TIERING') tiering.push({ key: item.Key!, size: item.Size ?? 0 });
      else skipped++;
    }
    const head = (key: string) => limit(() => s3.send(new HeadObjectCommand({ Bucket: request.bucket, Key: key })));
    const versions = files.archive.versioned ? await Promise.all(archived.map(({ key, etag }) => limit(() => listedVersion(s3, request.bucket, key, etag)))) : [];
    for (const [i, { key, size, storageClass }] of archived.entries()) {
      // The version listed is gone (deleted since): nothing of what was listed is left to restore.
      if (files.archive.versioned && versions[i] === undefined) skipped++;
      else await write(files.archive, key, storageClass, size, versions[i]);
    }
    const tiers = await Promise.all(tiering.map(async ({ key, size }) => ({ key, size, head: await head(key) })));
    for (const {
      key,
      size,
      head: { ArchiveStatus: status, VersionId: versionId },
    } of tiers) {
      if (status === 'ARCHIVE_ACCESS' || status === 'DEEP_ARCHIVE_ACCESS')
        await write(files['intelligent-tiering'], key, status === 'DEEP_ARCHIVE_ACCESS' ? 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS' : 'INTELLIGENT_TIERING_ARCHIVE_ACCESS', size, versionId);
      else skipped++;
    }
    listed += page.Contents?.length ?? 0;
    onListed?.(listed);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { skipped, refused };
}

/**
 * The id of the version ListObjectsV2 listed (it names none): the current one when its ETag is
 * the one listed, else (a version written between the listing and now) the version with that
 * ETag among the key's versions; undefined when no version has it any more.
 */
export async function listedVersion(s3: S3Client, bucket: string, key: string, etag: string): Promise<string | undefined> {
  const current = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (current.ETag === etag) return current.VersionId ?? 'null';
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    const found = page.Versions?.find((v) => v.Key === key && v.ETag === etag);
    if (found) return found.VersionId ?? 'null';
    // Versions come key by key in order: once past the key, it has no other.
    if ((page.Versions ?? []).some((v) => v.Key! > key) || (page.DeleteMarkers ?? []).some((m) => m.Key! > key)) return undefined;
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.NextVersionIdMarker;
  } while (keyMarker);
  return undefined;
}

const PART_BYTES = 8 * 1024 * 1024;

/** Uploads a file a part at a time (one part in memory), answering its ETag. */
export async function uploadFile(s3: S3Client, bucket: string, key: string, path: string): Promise<string> {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const read = (position: number, length: number) => {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, position);
    return buffer;
  };
  try {
    if (size <= PART_BYTES) {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: read(0, size), ContentType: 'text/csv' }));
      return (put.ETag ?? '').replace(/"/g, '');
    }
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/csv' }));
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let offset = 0, part = 1; offset < size; offset += PART_BYTES, part++) {
      const body = read(offset, Math.min(PART_BYTES, size - offset));
      const uploaded = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: part, Body: body }));
      parts.push({ ETag: uploaded.ETag!, PartNumber: part });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    return (done.ETag ?? '').replace(/"/g, '');
  } finally {
    closeSync(fd);
  }
}
