/**
 * The local S3's multipart uploads and part copies through the real AWS CLI: `aws s3 cp` splits
 * files over 8 MiB into parts (UploadPart, then CompleteMultipartUpload) and copies objects over
 * 8 MiB with UploadPartCopy; every byte must come back, with S3's multipart ETag.
 */
import { HeadObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const BUCKET = 'multipart-cli';
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'multipart-cli-'));

beforeAll(async () => {
  // A simulated hour of 40 ms: the restore takes ~2 s, and its 200 days last ~3 minutes, longer than the test.
  h = await startHarness({ realMsPerSimulatedHour: 40 });
  await h.createBucket(BUCKET);
});
afterAll(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();

/** S3's ETag of `bytes` uploaded in parts of `partSize`. */
function multipartETag(bytes: Buffer, partSize: number): string {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += partSize) parts.push(md5(bytes.subarray(at, at + partSize)));
  return `"${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}"`;
}

describe.runIf(cli)('multipart through the AWS CLI', () => {
  it('aws s3 cp of a 20 MiB file uploads it in 8 MiB parts; the download is byte for byte the same', async () => {
    const body = randomBytes(20 * MiB + 123);
    writeFileSync(join(dir, 'upload.bin'), body);
    const parts = h.cloud.s3.calls.get('UploadPart') ?? 0;
    const up = await h.cli(['s3', 'cp', join(dir, 'upload.bin'), `s3://${BUCKET}/big/upload.bin`]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect((h.cloud.s3.calls.get('UploadPart') ?? 0) - parts).toBe(3);
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/upload.bin' }));
    expect({ length: head.ContentLength, etag: head.ETag }).toEqual({ length: body.length, etag: multipartETag(body, 8 * MiB) });
    const down = await h.cli(['s3', 'cp', `s3://${BUCKET}/big/upload.bin`, join(dir, 'download.bin')]);
    expect(down.code).toBe(0);
    expect(readFileSync(join(dir, 'download.bin')).equals(body)).toBe(true);
  });

  it('aws s3 cp of a restored 12 MiB Glacier object onto itself into STANDARD copies it in part copies and keeps every byte', async () => {
    const body = randomBytes(12 * MiB + 5);
    writeFileSync(join(dir, 'cold.bin'), body);
    expect((await h.cli(['s3', 'cp', join(dir, 'cold.bin'), `s3://${BUCKET}/cold/cold.bin`, '--storage-class', 'GLACIER'])).code).toBe(0);
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'cold/cold.bin', RestoreRequest: { Days: 200, GlacierJobParameters: { Tier: 'Expedited' } } }));
    await eventually(async () => /ongoing-request="false"/.test((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cold/cold.bin' }))).Restore ?? ''), 'restored');
    const copies = h.cloud.s3.calls.get('UploadPartCopy') ?? 0;
    const kept = await h.cli(['s3', 'cp', `s3://${BUCKET}/cold/cold.bin`, `s3://${BUCKET}/cold/cold.bin`, '--storage-class', 'STANDARD', '--force-glacier-transfer']);
    expect(kept.stderr).toBe('');
    expect(kept.code).toBe(0);
    expect((h.cloud.s3.calls.get('UploadPartCopy') ?? 0) - copies).toBe(2);
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cold/cold.bin' }));
    expect({ storageClass: head.StorageClass ?? 'STANDARD', length: head.ContentLength, etag: head.ETag }).toEqual({
      storageClass: 'STANDARD',
      length: body.length,
      etag: multipartETag(body, 8 * MiB),
    });
    expect((await h.cli(['s3', 'cp', `s3://${BUCKET}/cold/cold.bin`, join(dir, 'cold-back.bin')])).code).toBe(0);
    expect(readFileSync(join(dir, 'cold-back.bin')).equals(body)).toBe(true);
  });
});
