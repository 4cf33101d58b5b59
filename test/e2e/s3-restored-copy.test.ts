/**
 * The local S3 after a restore, through the AWS SDK: a second RestoreObject moves the expiry,
 * one in progress is refused, an archived object cannot be copied until restored, and a copy
 * onto itself into another storage class (CopyObject or UploadPartCopy) leaves the archive
 * with its metadata, content type, tags and encryption.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepObject } from '../../functions/domain/restores/expiry-keep.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'restored-copies';
const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/0b7d3c52-8a4e-4c3e-9d1f-7e3c2b1a0f99';

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 40 });
  await h.createBucket(BUCKET);
});
afterAll(() => h.stop());

async function putArchived(key: string, body = `bytes of ${key}`): Promise<void> {
  await h.s3().send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: body,
      StorageClass: 'GLACIER',
      ContentType: 'video/mp4',
      Metadata: { project: 'atlas', take: '3' },
      Tagging: 'team=media&retention=long',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
    }),
  );
}

async function restored(key: string, days = 1): Promise<Date> {
  await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: key, RestoreRequest: { Days: days, GlacierJobParameters: { Tier: 'Expedited' } } }));
  return eventually(async () => {
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const expiry = /expiry-date="([^"]+)"/.exec(head.Restore ?? '')?.[1];
    return expiry ? new Date(expiry) : undefined;
  }, `${key} restored`);
}

const errorOf = async (send: () => Promise<unknown>) => {
  try {
    await send();
    return 'OK';
  } catch (err) {
    return `${(err as Error).name} ${(err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode}`;
  }
};

const describeObject = async (key: string) => {
  const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  const tags = await h.s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
  return {
    storageClass: head.StorageClass ?? 'STANDARD',
    contentType: head.ContentType,
    metadata: head.Metadata,
    sse: head.ServerSideEncryption,
    kmsKey: head.SSEKMSKeyId,
    tags: (tags.TagSet ?? []).map((t) => `${t.Key}=${t.Value}`).sort(),
  };
};

describe('local S3: a restored copy', () => {
  it('RestoreObject on a restored object answers 200 and moves the expiry; one in progress is refused with 409', async () => {
    await putArchived('extend/a.bin');
    const first = await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'extend/a.bin', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Standard' } } }));
    expect(first.$metadata.httpStatusCode).toBe(202);
    expect(await errorOf(() => h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'extend/a.bin', RestoreRequest: { Days: 2 } })))).toBe('RestoreAlreadyInProgress 409');

    await putArchived('extend/b.bin');
    const before = await restored('extend/b.bin', 1);
    const again = await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'extend/b.bin', RestoreRequest: { Days: 5 } }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'extend/b.bin' }));
    const after = new Date(/expiry-date="([^"]+)"/.exec(head.Restore ?? '')![1]!);
    expect(head.Restore).toMatch(/^ongoing-request="false"/);
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });

  it('CopyObject of an archived object that is not restored: 403 InvalidObjectState, nothing changes', async () => {
    await putArchived('keep/cold.bin');
    const copy = () => h.s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'keep/cold.bin', CopySource: `${BUCKET}/keep/cold.bin`, StorageClass: 'STANDARD' }));
    expect(await errorOf(copy)).toBe('InvalidObjectState 403');
    expect((await describeObject('keep/cold.bin')).storageClass).toBe('GLACIER');
  });

  it('CopyObject onto itself without a change is refused (InvalidRequest 400)', async () => {
    await putArchived('keep/same.bin');
    await restored('keep/same.bin');
    const copy = () => h.s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'keep/same.bin', CopySource: `${BUCKET}/keep/same.bin`, StorageClass: 'GLACIER' }));
    expect(await errorOf(copy)).toBe('InvalidRequest 400');
  });

  it('CopyObject onto itself into STANDARD: out of the archive, readable after the restore expired, metadata, type, tags and KMS key kept', async () => {
    await putArchived('keep/warm.bin');
    await putArchived('keep/control.bin');
    await Promise.all([restored('keep/warm.bin', 1), restored('keep/control.bin', 1)]);
    const before = await describeObject('keep/warm.bin');
    expect(before).toMatchObject({ storageClass: 'GLACIER', sse: 'aws:kms', kmsKey: KMS_KEY });

    await h
      .s3()
      .send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'keep/warm.bin', CopySource: `${BUCKET}/keep/warm.bin`, StorageClass: 'STANDARD_IA', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY }));
    const after = await describeObject('keep/warm.bin');
    expect(after).toEqual({ ...before, storageClass: 'STANDARD_IA' });
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'keep/warm.bin' }));
    expect(head.Restore).toBeUndefined();
    // Restored at the same time for as long, the control's copy expires: the kept object's would have too.
    await eventually(async () => (await h.read(BUCKET, 'keep/control.bin', 'AKIATESTADMIN0000001')) === 'InvalidObjectState', 'the control copy expired', 30_000);
    const body = await (await h.s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'keep/warm.bin' }))).Body!.transformToString();
    expect(body).toBe('bytes of keep/warm.bin');
  });

  it('a copy with no storage class is STANDARD, and the REPLACE tagging directive replaces the tags', async () => {
    await putArchived('keep/replace.bin');
    await restored('keep/replace.bin');
    await h.s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'keep/replace-copy.bin', CopySource: `${BUCKET}/keep/replace.bin`, TaggingDirective: 'REPLACE', Tagging: 'state=kept' }));
    const copy = await describeObject('keep/replace-copy.bin');
    expect(copy).toMatchObject({ storageClass: 'STANDARD', contentType: 'video/mp4', metadata: { project: 'atlas', take: '3' }, tags: ['state=kept'] });
    // Without encryption headers the copy is not encrypted with the source's key (S3 uses the bucket default).
    expect(copy.kmsKey).toBeUndefined();
  });

  it('UploadPartCopy onto itself in ranges: the parts stream from the source and the object leaves the archive', async () => {
    const body = 'x'.repeat(6 * 1024 * 1024) + 'tail';
    await putArchived('keep/parts.bin', body);
    const cold = await errorOf(async () => {
      const upload = await h.s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'keep/parts.bin', StorageClass: 'STANDARD' }));
      await h.s3().send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'keep/parts.bin', UploadId: upload.UploadId, PartNumber: 1, CopySource: `${BUCKET}/keep/parts.bin` }));
    });
    expect(cold).toBe('InvalidObjectState 403');
    await restored('keep/parts.bin');
    const before = await describeObject('keep/parts.bin');
    const upload = await h.s3().send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'keep/parts.bin',
        StorageClass: 'STANDARD',
        ContentType: before.contentType,
        Metadata: before.metadata,
        Tagging: 'team=media&retention=long',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
      }),
    );
    const split = 5 * 1024 * 1024;
    const parts = [];
    for (const [n, range] of [
      [1, `bytes=0-${split - 1}`],
      [2, `bytes=${split}-${body.length - 1}`],
    ] as const) {
      const out = await h
        .s3()
        .send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'keep/parts.bin', UploadId: upload.UploadId, PartNumber: n, CopySource: `${BUCKET}/keep/parts.bin`, CopySourceRange: range }));
      parts.push({ PartNumber: n, ETag: out.CopyPartResult!.ETag });
    }
    await h.s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'keep/parts.bin', UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }));
    expect(await describeObject('keep/parts.bin')).toEqual({ ...before, storageClass: 'STANDARD' });
    const copied = await (await h.s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'keep/parts.bin' }))).Body!.transformToString();
    expect(copied.length).toBe(body.length);
    expect(copied.endsWith('tail')).toBe(true);
  });

  it("CompleteMultipartUpload: a part named with another ETag is refused (InvalidPart 400); the object's ETag is S3's multipart one", async () => {
    const key = 'keep/etag.bin';
    const bodies = ['a'.repeat(5 * 1024 * 1024), 'b'.repeat(1024)];
    const upload = await h.s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    for (const [i, body] of bodies.entries()) {
      const out = await h.s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, PartNumber: i + 1, Body: body }));
      parts.push({ PartNumber: i + 1, ETag: out.ETag });
    }
    const md5s = bodies.map((body) => createHash('md5').update(body).digest());
    const complete = (named: typeof parts) => h.s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: named } }));
    expect(await errorOf(() => complete([parts[0]!, { PartNumber: 2, ETag: parts[0]!.ETag }]))).toBe('InvalidPart 400');
    expect(await errorOf(() => h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toBe('NotFound 404');
    const done = await complete(parts);
    const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-2"`;
    expect(done.ETag).toBe(etag);
    expect((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag).toBe(etag);
    expect(await (await h.s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString()).toBe(bodies.join(''));
  });

  it('CompleteMultipartUpload refuses parts out of order (InvalidPartOrder), a part under 5 MiB but the last (EntityTooSmall) and an unknown upload (NoSuchUpload); a refused completion leaves the upload open', async () => {
    const key = 'multipart/rules.bin';
    const bodies = ['c'.repeat(5 * 1024 * 1024), 'd'.repeat(1024), 'e'.repeat(10)];
    const upload = await h.s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    for (const [i, body] of bodies.entries()) {
      const out = await h.s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, PartNumber: i + 1, Body: body }));
      parts.push({ PartNumber: i + 1, ETag: out.ETag });
    }
    const complete = (named: typeof parts, uploadId = upload.UploadId) =>
      errorOf(() => h.s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: named } })));
    expect(await complete([parts[1]!, parts[0]!])).toBe('InvalidPartOrder 400');
    expect(await complete([parts[0]!, parts[0]!])).toBe('InvalidPartOrder 400');
    expect(await complete([parts[0]!, parts[1]!, parts[2]!])).toBe('EntityTooSmall 400');
    expect(await complete([parts[0]!], 'f'.repeat(32))).toBe('NoSuchUpload 404');
    expect(await errorOf(() => h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toBe('NotFound 404');
    // The small part last is allowed, and the refusals above changed nothing.
    expect(await complete([parts[0]!, parts[1]!])).toBe('OK');
    const read = await (await h.s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
    expect(read).toBe(bodies[0]! + bodies[1]!);
  });

  it('AbortMultipartUpload removes the upload and its parts (204); afterwards its parts and its completion are NoSuchUpload, and so is a second abort', async () => {
    const key = 'multipart/aborted.bin';
    await h.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'the bytes before' }));
    const upload = await h.s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, Tagging: 'from=upload' }));
    const part = await h.s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, PartNumber: 1, Body: 'never kept' }));
    const abort = await h.s3().send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId }));
    expect(abort.$metadata.httpStatusCode).toBe(204);
    expect(await errorOf(() => h.s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, PartNumber: 2, Body: 'late' })))).toBe('NoSuchUpload 404');
    expect(
      await errorOf(() => h.s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }))),
    ).toBe('NoSuchUpload 404');
    expect(await errorOf(() => h.s3().send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId })))).toBe('NoSuchUpload 404');
    expect(await (await h.s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString()).toBe('the bytes before');
    expect((await h.s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet).toEqual([]);
  });

  it('CopyObject and UploadPartCopy honour x-amz-copy-source-if-match: another ETag is 412 PreconditionFailed and copies nothing', async () => {
    const key = 'conditional/source.bin';
    await putArchived(key, 'z'.repeat(6 * 1024 * 1024));
    await restored(key, 200); // 200 simulated days: ~3 real minutes, longer than the test
    const { ETag: etag } = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const source = { CopySource: `${BUCKET}/${key}` };
    const stale = '"0123456789abcdef0123456789abcdef"';
    expect(await errorOf(() => h.s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: key, ...source, CopySourceIfMatch: stale, StorageClass: 'STANDARD' })))).toBe('PreconditionFailed 412');
    expect(await errorOf(() => h.s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: key, ...source, CopySourceIfNoneMatch: etag, StorageClass: 'STANDARD' })))).toBe('PreconditionFailed 412');
    expect((await describeObject(key)).storageClass).toBe('GLACIER');
    const upload = await h.s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, StorageClass: 'STANDARD' }));
    const partCopy = (ifMatch: string | undefined) =>
      errorOf(() => h.s3().send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, PartNumber: 1, ...source, CopySourceIfMatch: ifMatch })));
    expect(await partCopy(stale)).toBe('PreconditionFailed 412');
    expect(await partCopy(etag)).toBe('OK');
    await h.s3().send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId }));
    expect(await errorOf(() => h.s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: key, ...source, CopySourceIfMatch: etag, StorageClass: 'STANDARD' })))).toBe('OK');
    expect((await describeObject(key)).storageClass).toBe('STANDARD');
  });

  it('a multipart keep whose source changes between two part copies fails (412), aborts its upload and leaves the new bytes as they are', async () => {
    const key = 'conditional/changed-mid-keep.bin';
    await putArchived(key, 'o'.repeat(11 * 1024 * 1024));
    await restored(key, 200); // 200 simulated days: ~3 real minutes, longer than the test
    const real = h.s3();
    let uploadId: string | undefined;
    let partCopies = 0;
    // The object is overwritten by someone else right after the first part was copied.
    const racing = {
      send: async (command: Parameters<S3Client['send']>[0]) => {
        if (command instanceof UploadPartCopyCommand) partCopies++;
        const out = (await real.send(command as never)) as { UploadId?: string };
        if (command instanceof CreateMultipartUploadCommand) uploadId = out.UploadId;
        if (command instanceof UploadPartCopyCommand && partCopies === 1) await real.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'written meanwhile' }));
        return out;
      },
    } as unknown as S3Client;
    const ranges = [
      { partNumber: 1, range: `bytes=0-${5 * 1024 * 1024 - 1}` },
      { partNumber: 2, range: `bytes=${5 * 1024 * 1024}-${11 * 1024 * 1024 - 1}` },
    ];
    expect(await errorOf(() => keepObject(racing, BUCKET, key, 'STANDARD', ranges))).toBe('PreconditionFailed 412');
    expect(partCopies).toBe(2);
    expect(uploadId).toMatch(/^[0-9a-f]{32}$/);
    expect(await errorOf(() => real.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 3, Body: 'x' })))).toBe('NoSuchUpload 404');
    expect(await (await real.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString()).toBe('written meanwhile');
  });

  it('a multipart keep of an odd key carries over everything a HEAD shows (but the class and ETag) and all ten tags, odd characters included', async () => {
    const key = 'keep//every header + ünï %2F?#=&.bin';
    const tags = [
      ['team', 'media & sound'],
      ['a+b', '1+1=2'],
      ['space key', 'with spaces'],
      ['ünï', 'çødé'],
      ['path', 'a/b?c#d'],
      ['percent', '100%'],
      ['empty', ''],
      ['t8', 'v8'],
      ['t9', 'v9'],
      ['t10', 'v10'],
    ];
    await h.s3().send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: 'h'.repeat(6 * 1024 * 1024),
        StorageClass: 'DEEP_ARCHIVE',
        ContentType: 'application/x-custom; charset=utf-8',
        CacheControl: 'max-age=3600',
        ContentDisposition: 'attachment; filename="report.bin"',
        ContentEncoding: 'identity',
        ContentLanguage: 'fr-CA',
        Expires: new Date('2031-01-02T03:04:05Z'),
        WebsiteRedirectLocation: '/elsewhere.html',
        Metadata: { project: 'atlas', 'camel-case': 'Mixed Value', empty: '' },
        Tagging: tags.map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`).join('&'),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
      }),
    );
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: key, RestoreRequest: { Days: 200, GlacierJobParameters: { Tier: 'Standard' } } }));
    await eventually(async () => /ongoing-request="false"/.test((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Restore ?? ''), `${key} restored`);
    const headers = async () => {
      const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      const tagSet = (await h.s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet ?? [];
      return {
        ContentType: head.ContentType,
        CacheControl: head.CacheControl,
        ContentDisposition: head.ContentDisposition,
        ContentEncoding: head.ContentEncoding,
        ContentLanguage: head.ContentLanguage,
        Expires: head.ExpiresString,
        WebsiteRedirectLocation: head.WebsiteRedirectLocation,
        Metadata: head.Metadata,
        ServerSideEncryption: head.ServerSideEncryption,
        SSEKMSKeyId: head.SSEKMSKeyId,
        ContentLength: head.ContentLength,
        tags: tagSet.map((t) => [t.Key, t.Value]).sort(),
      };
    };
    const before = await headers();
    expect(before.tags).toEqual([...tags].sort());
    const ranges = [
      { partNumber: 1, range: `bytes=0-${5 * 1024 * 1024 - 1}` },
      { partNumber: 2, range: `bytes=${5 * 1024 * 1024}-${6 * 1024 * 1024 - 1}` },
    ];
    expect(await keepObject(h.s3(), BUCKET, key, 'STANDARD_IA', ranges)).toMatchObject({ outcome: 'kept', method: 'multipart', parts: 2 });
    expect(await headers()).toEqual(before);
    expect((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).StorageClass).toBe('STANDARD_IA');
  });

  it('an upload id used with another key than its own is NoSuchUpload (404) for its parts, its completion and its abort, and changes neither key', async () => {
    const upload = await h.s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'uploads/own-key.bin' }));
    const part = await h.s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: 'uploads/own-key.bin', UploadId: upload.UploadId, PartNumber: 1, Body: 'own bytes' }));
    const other = 'uploads/other-key.bin';
    expect(await errorOf(() => h.s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: other, UploadId: upload.UploadId, PartNumber: 2, Body: 'x' })))).toBe('NoSuchUpload 404');
    expect(
      await errorOf(() => h.s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: other, UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }))),
    ).toBe('NoSuchUpload 404');
    expect(await errorOf(() => h.s3().send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: other, UploadId: upload.UploadId })))).toBe('NoSuchUpload 404');
    for (const key of [other, 'uploads/own-key.bin']) expect(await errorOf(() => h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toBe('NotFound 404');
    await h.s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'uploads/own-key.bin', UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(await (await h.s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/own-key.bin' }))).Body!.transformToString()).toBe('own bytes');
  });

  it('in a versioned bucket a keep (CopyObject and multipart) makes a new current version; the archived one stays, noncurrent, with its bytes', async () => {
    const bucket = 'versioned-keeps';
    await h.createBucket(bucket);
    await h.s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const bodies = { 'small.bin': 'small archived bytes', 'large.bin': 'L'.repeat(6 * 1024 * 1024) };
    for (const [key, body] of Object.entries(bodies)) {
      await h.s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, StorageClass: 'GLACIER' }));
      await h.s3().send(new RestoreObjectCommand({ Bucket: bucket, Key: key, RestoreRequest: { Days: 200, GlacierJobParameters: { Tier: 'Expedited' } } }));
      await eventually(async () => /ongoing-request="false"/.test((await h.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Restore ?? ''), `${key} restored`);
    }
    const small = await keepObject(h.s3(), bucket, 'small.bin', 'STANDARD');
    const large = await keepObject(h.s3(), bucket, 'large.bin', 'STANDARD', [
      { partNumber: 1, range: `bytes=0-${5 * 1024 * 1024 - 1}` },
      { partNumber: 2, range: `bytes=${5 * 1024 * 1024}-${6 * 1024 * 1024 - 1}` },
    ]);
    const versions = (await h.s3().send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions ?? [];
    for (const [key, kept] of [
      ['small.bin', small],
      ['large.bin', large],
    ] as const) {
      const mine = versions.filter((v) => v.Key === key);
      expect(mine.map((v) => ({ latest: v.IsLatest, storageClass: v.StorageClass }))).toEqual([
        { latest: true, storageClass: 'STANDARD' },
        { latest: false, storageClass: 'GLACIER' },
      ]);
      expect(kept.versionId).toBe(mine[0]!.VersionId);
      const older = await h.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: mine[1]!.VersionId }));
      expect(await older.Body!.transformToString()).toBe(bodies[key]);
      expect(await (await h.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).toBe(bodies[key]);
    }
  });
});
