/**
 * `autorestore keep` on an object of 6 GiB (6 * 1024^3 = 6,442,450,944 bytes, over S3's
 * 5 GiB = 5,368,709,120-byte CopyObject limit), as a user runs it, against the local cloud: a
 * multipart upload of part copies, never CopyObject. The body is zeros with a random block at
 * the end of each part: the local S3 stores zero runs as holes, so the object
 * takes kilobytes of disk, and every byte still streams through the local S3's part copy and
 * assembly. No body is held in memory: the upload streams from a generator, the checks read ranges.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  RestoreObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli, type CliRun } from '../support/cli.js';

const GIB = 1024 ** 3;
const SIZE = 6 * GIB;
/** The part size `keep` picks for 6 GiB (copyPartSize: 512 MiB), so the source and the copy have the same parts. */
const PART = 512 * 1024 ** 2;
const PARTS = SIZE / PART;
const CHUNK = 1024 * 1024;
const BUCKET = 'big-archive';
const KEY = 'scans/volume 1.tar';
const ADMIN = 'AKIATESTADMIN0000001';

/** The body is zeros but for a random block that ends each part (the last one ends the object). */
const BLOCK = 64 * 1024;
const blocks = Array.from({ length: PARTS }, () => randomBytes(BLOCK));
const ZEROS = Buffer.alloc(CHUNK);

/** Part `n` (1-based) of the body, in 1 MiB chunks. */
function* partBody(n: number): Generator<Buffer> {
  for (let at = 0; at < PART - CHUNK; at += CHUNK) yield ZEROS;
  yield Buffer.concat([ZEROS.subarray(0, CHUNK - BLOCK), blocks[n - 1]!]);
}

/**
 * Each part's MD5, as S3 computes a part's ETag. The parts share their zero prefix, so its MD5
 * state is computed once and continued with each part's block (one pass over 512 MiB, not 6 GiB).
 */
function partMd5s(): Buffer[] {
  const zeroPrefix = createHash('md5');
  for (let at = 0; at < PART - BLOCK; at += CHUNK) zeroPrefix.update(ZEROS.subarray(0, Math.min(CHUNK, PART - BLOCK - at)));
  return blocks.map((block) => zeroPrefix.copy().update(block).digest());
}

let h: Harness;
const dataDir = mkdtempSync(join(tmpdir(), 'autorestore-6gib-'));
const home = mkdtempSync(join(tmpdir(), 'autorestore-6gib-home-'));
let s3: S3Client;
/** `<md5 of the part md5s>-<parts>`, computed here from the bytes sent. */
let expectedETag: string;

beforeAll(async () => {
  // One simulated hour = 1 s: the restored copy (30 days, 12 real minutes) outlives a copy on a busy machine.
  h = await startHarness({ dataDir, realMsPerSimulatedHour: 1000 });
  // Bodies of known length, sent as they are: no aws-chunked encoding, no client checksum pass over 6 GiB.
  s3 = new S3Client({
    endpoint: h.cloud.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ADMIN, secretAccessKey: 'local' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await h.createBucket(BUCKET);
  const upload = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: BUCKET,
      Key: KEY,
      StorageClass: 'GLACIER',
      ContentType: 'application/x-tar',
      Metadata: { owner: 'lab-7', scanner: 'v2' },
      Tagging: 'project=atlas&size=large',
    }),
  );
  const md5s = partMd5s();
  const parts = [];
  for (let n = 1; n <= PARTS; n++) {
    const out = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEY, UploadId: upload.UploadId, PartNumber: n, ContentLength: PART, Body: Readable.from(partBody(n)) }));
    expect(out.ETag).toBe(`"${md5s[n - 1]!.toString('hex')}"`);
    parts.push({ PartNumber: n, ETag: out.ETag });
  }
  expectedETag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${PARTS}"`;
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }));
  expect(done.ETag).toBe(expectedETag);
  await s3.send(new RestoreObjectCommand({ Bucket: BUCKET, Key: KEY, RestoreRequest: { Days: 30, GlacierJobParameters: { Tier: 'Expedited' } } }));
  await eventually(async () => (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }))).Restore?.includes('ongoing-request="false"') === true, 'the 6 GiB object restored', 60_000);
}, 300_000);
afterAll(async () => {
  s3.destroy();
  await h.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

const autorestore = (args: string[]): Promise<CliRun> => runCli({ endpoint: h.cloud.endpoint, accessKeyId: ADMIN, home }, args);

const calls = (op: string) => h.cloud.s3.calls.get(op) ?? 0;

async function bytesAt(offset: number, length: number): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, Range: `bytes=${offset}-${offset + length - 1}` }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Disk blocks in use under a folder (a sparse file counts only the blocks written). */
function diskBytes(folder: string): number {
  return readdirSync(folder, { withFileTypes: true }).reduce((sum, entry) => {
    const path = join(folder, entry.name);
    return sum + (entry.isDirectory() ? diskBytes(path) : statSync(path).blocks * 512);
  }, 0);
}

describe('autorestore keep on a 6 GiB object', () => {
  it('CopyObject refuses a source over 5 GiB, as S3 does', async () => {
    await expect(s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: KEY, CopySource: `${BUCKET}/${encodeURIComponent(KEY)}`, StorageClass: 'STANDARD' }))).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120',
    });
  });

  it("copies it in 512 MiB part copies: the ETag, size, metadata and tags are S3's, and every byte reads back", async () => {
    const before = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    const tagsBefore = (await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: KEY }))).TagSet;
    expect({ length: before.ContentLength, etag: before.ETag, class: before.StorageClass, type: before.ContentType, metadata: before.Metadata, tags: tagsBefore }).toEqual({
      length: SIZE,
      etag: expectedETag,
      class: 'GLACIER',
      type: 'application/x-tar',
      metadata: { owner: 'lab-7', scanner: 'v2' },
      tags: [
        { Key: 'project', Value: 'atlas' },
        { Key: 'size', Value: 'large' },
      ],
    });
    const calledBefore = { partCopies: calls('UploadPartCopy'), copies: calls('CopyObject') };

    const run = await autorestore(['--json', 'keep', `s3://${BUCKET}/${KEY}`]);

    expect({ code: run.code, stderr: run.stderr, stdout: run.code ? run.stdout : '' }).toEqual({ code: 0, stderr: '', stdout: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ results: [{ key: KEY, outcome: 'kept', storageClass: 'STANDARD', method: 'multipart', parts: PARTS }] });
    expect(calls('UploadPartCopy') - calledBefore.partCopies).toBe(PARTS);
    expect(calls('CopyObject')).toBe(calledBefore.copies);
    const after = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    // The multipart ETag is made of the MD5 of each 512 MiB range of the body: the parts were exactly those ranges (each <= 5 GiB).
    expect({ length: after.ContentLength, etag: after.ETag, class: after.StorageClass ?? 'STANDARD', restore: after.Restore }).toEqual({
      length: 6 * 1024 ** 3,
      etag: expectedETag,
      class: 'STANDARD',
      restore: undefined,
    });
    expect({ type: after.ContentType, metadata: after.Metadata }).toEqual({ type: before.ContentType, metadata: before.Metadata });
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: KEY }))).TagSet).toEqual(tagsBefore);
    for (const [i, block] of blocks.entries()) expect((await bytesAt((i + 1) * PART - BLOCK, BLOCK)).equals(block)).toBe(true);
    // Across the boundary of the 5 GiB CopyObject limit (the end of part 10, the start of part 11).
    const boundary = await bytesAt(5 * GIB - 8, 16);
    expect(boundary.equals(Buffer.concat([blocks[9]!.subarray(BLOCK - 8), Buffer.alloc(8)]))).toBe(true);
    // The original, its parts and the copy are stored sparse: well under 100 MiB of disk for 12 GiB of bytes.
    expect(diskBytes(dataDir)).toBeLessThan(100 * 1024 ** 2);
    // This process ran the local S3 through the upload, the part copies and the assembly: no body (nor a part) was held in memory.
    expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(1024 ** 3);
  }, 300_000);
});
