/**
 * Object keys are opaque strings, as on S3: whatever a key holds (`..`, `.`, slash runs, NUL,
 * long segments, another normalization form of the same text), it names its own object and
 * nothing else, through the SDK and the AWS CLI alike. Nothing is written, read or deleted
 * outside the key's own object: not in the other bucket, not outside the data folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../local/cloud.js';
import { LAYOUT_MARKER } from '../../local/s3/opaque-key-store.js';
import { MANIFEST_BUCKET } from '../../local/deployment.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
const HOME = 'keys-home';
const OTHER = 'keys-other';
let h: Harness;
let parent: string;
let dataDir: string;

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

async function body(bucket: string, key: string): Promise<string> {
  const out = await h.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString();
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await promise;
    return { name: 'OK' };
  } catch (err) {
    return { name: (err as Error).name, status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode };
  }
}

/** Every key, a few per page; URL-encoded on the wire, as XML 1.0 cannot carry a NUL. */
async function listKeys(bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await h.s3().send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 3, EncodingType: 'url' }));
    keys.push(...(page.Contents ?? []).map((c) => decodeURIComponent(c.Key!)));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** The data folder's neighbourhood holds the data folder only, and the other bucket is untouched. */
async function expectNothingOutside(): Promise<void> {
  expect(readdirSync(parent)).toEqual(['data']);
  expect(existsSync('/tmp/escaped._S3rver_object')).toBe(false);
  // The stack's own bucket (bulk restore manifests and reports) is the only other one.
  expect(readdirSync(join(dataDir, 's3')).sort()).toEqual([LAYOUT_MARKER, MANIFEST_BUCKET, HOME, OTHER].sort());
  expect(await body(OTHER, 'plain.txt')).toBe('other bucket, plain');
  expect((await h.s3().send(new HeadObjectCommand({ Bucket: OTHER, Key: 'secret.bin' }))).StorageClass).toBe('GLACIER');
  expect(await listKeys(OTHER)).toEqual(['plain.txt', 'secret.bin']);
}

const HOSTILE_KEYS = [
  `../${OTHER}/plain.txt`,
  `../${OTHER}/secret.bin`,
  '../../../escaped',
  '../../../../../../../../tmp/escaped',
  '..',
  '.',
  './dot',
  'a/../b',
  'a//b',
  '//lead',
  'trail/',
  'trail',
  'nul\u0000byte',
  'x'.repeat(300),
  `${'y'.repeat(300)}/${'z'.repeat(300)}`,
  'caf\u00e9', // NFC
  'cafe\u0301', // NFD: the same text, other bytes, another key
  'Case',
  'case',
];

beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'autorestore-keys-'));
  dataDir = join(parent, 'data');
  mkdirSync(dataDir);
  h = await startHarness({ dataDir });
  await h.createBucket(HOME);
  await h.createBucket(OTHER);
  await h.s3().send(new PutObjectCommand({ Bucket: OTHER, Key: 'plain.txt', Body: 'other bucket, plain' }));
  await h.s3().send(new PutObjectCommand({ Bucket: OTHER, Key: 'secret.bin', Body: 'other bucket, archived', StorageClass: 'GLACIER' }));
});
afterAll(async () => {
  await h.stop();
  rmSync(parent, { recursive: true, force: true });
});

describe('hostile keys through the SDK', () => {
  it('a read through ../ does not reach the other bucket, and a delete through ../ removes nothing there', async () => {
    expect(await errorOf(h.s3().send(new GetObjectCommand({ Bucket: HOME, Key: `../${OTHER}/secret.bin` })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(await errorOf(h.s3().send(new GetObjectCommand({ Bucket: HOME, Key: `../${OTHER}/plain.txt` })))).toMatchObject({ name: 'NoSuchKey' });
    await h.s3().send(new DeleteObjectCommand({ Bucket: HOME, Key: `../${OTHER}/plain.txt` }));
    await h.s3().send(new DeleteObjectCommand({ Bucket: HOME, Key: `../${OTHER}` }));
    await h.s3().send(new DeleteObjectsCommand({ Bucket: HOME, Delete: { Objects: [{ Key: `../${OTHER}/plain.txt` }, { Key: `../${OTHER}/secret.bin` }] } }));
    await expectNothingOutside();
  });

  it('each hostile key is its own object: written, read back, listed, copied and deleted without touching anything else', async () => {
    for (const key of HOSTILE_KEYS) await h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: key, Body: `own bytes of ${JSON.stringify(key)}` }));
    for (const key of HOSTILE_KEYS) expect(await body(HOME, key)).toBe(`own bytes of ${JSON.stringify(key)}`);
    expect(await listKeys(HOME)).toEqual([...HOSTILE_KEYS].sort());
    await expectNothingOutside();

    await h.s3().send(new CopyObjectCommand({ Bucket: HOME, Key: `../${OTHER}/plain.txt`, CopySource: `${HOME}/${encodeURIComponent('..')}` }));
    expect(await body(HOME, `../${OTHER}/plain.txt`)).toBe(`own bytes of ${JSON.stringify('..')}`);
    await expectNothingOutside();

    for (const key of HOSTILE_KEYS) await h.s3().send(new DeleteObjectCommand({ Bucket: HOME, Key: key }));
    expect(await listKeys(HOME)).toEqual([]);
    await expectNothingOutside();
  });

  it('a copy names its source exactly, whatever the source key holds (`?`, `#`, `%`)', async () => {
    const keys = ['q?versionId=x', 'hash#tag', 'per%25cent', 'per%cent', 'plus+sign'];
    for (const key of keys) await h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: key, Body: `source ${key}` }));
    for (const key of keys) {
      await h.s3().send(new CopyObjectCommand({ Bucket: HOME, Key: `copy of ${key}`, CopySource: `${HOME}/${encodeURIComponent(key)}` }));
      expect(await body(HOME, `copy of ${key}`)).toBe(`source ${key}`);
    }
    await h.s3().send(new DeleteObjectsCommand({ Bucket: HOME, Delete: { Objects: keys.flatMap((key) => [{ Key: key }, { Key: `copy of ${key}` }]) } }));
    expect(await listKeys(HOME)).toEqual([]);
  });

  it('a listing with a delimiter groups hostile prefixes as S3 does', async () => {
    for (const key of ['../p/1', '../p/2', '..x', 'a//b', 'a/c']) await h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: key, Body: key }));
    const page = await h.s3().send(new ListObjectsV2Command({ Bucket: HOME, Delimiter: '/' }));
    expect((page.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['../', 'a/']);
    expect((page.Contents ?? []).map((c) => c.Key)).toEqual(['..x']);
    const inA = await h.s3().send(new ListObjectsV2Command({ Bucket: HOME, Prefix: 'a/', Delimiter: '/' }));
    expect((inA.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['a//']);
    expect((inA.Contents ?? []).map((c) => c.Key)).toEqual(['a/c']);
    await h.s3().send(new DeleteObjectsCommand({ Bucket: HOME, Delete: { Objects: ['../p/1', '../p/2', '..x', 'a//b', 'a/c'].map((Key) => ({ Key })) } }));
    expect(await listKeys(HOME)).toEqual([]);
  });

  it('pages of a delimited listing end where S3 ends them, so nothing repeats', async () => {
    const keys = ['a', 'b/1', 'b/2', 'c', 'd/1'];
    for (const key of keys) await h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: key, Body: key }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await h.s3().send(new ListObjectsV2Command({ Bucket: HOME, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      token = page.NextContinuationToken;
    } while (token);
    expect(seen.sort()).toEqual(['a', 'b/', 'c', 'd/']);
    await h.s3().send(new DeleteObjectsCommand({ Bucket: HOME, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  });

  it('the 1,024-byte key limit counts UTF-8 bytes, slashes or not: KeyTooLongError (400) beyond it', async () => {
    const longest = 'k'.repeat(1024);
    const longestWide = '\u00e9'.repeat(512); // 1,024 bytes
    await h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: longest, Body: 'a' }));
    await h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: longestWide, Body: 'b' }));
    expect(await body(HOME, longest)).toBe('a');
    expect(await body(HOME, longestWide)).toBe('b');
    expect(await errorOf(h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: 'k'.repeat(1025), Body: 'c' })))).toEqual({ name: 'KeyTooLongError', status: 400 });
    expect(await errorOf(h.s3().send(new PutObjectCommand({ Bucket: HOME, Key: '\u00e9'.repeat(513), Body: 'c' })))).toEqual({ name: 'KeyTooLongError', status: 400 });
    expect(await errorOf(h.s3().send(new CopyObjectCommand({ Bucket: HOME, Key: 'k'.repeat(1025), CopySource: `${HOME}/${longest}` })))).toEqual({ name: 'KeyTooLongError', status: 400 });
    expect(await listKeys(HOME)).toEqual([longest, longestWide].sort());
    await h.s3().send(new DeleteObjectsCommand({ Bucket: HOME, Delete: { Objects: [{ Key: longest }, { Key: longestWide }] } }));
  });

  it('a bucket name that is no bucket name (`..`) is refused, not resolved against the data folder', async () => {
    // node:http sends the path as it is (fetch would resolve the dot segments first).
    const today = new Date().toISOString();
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const { hostname, port } = new URL(h.cloud.endpoint);
      const req = request(
        {
          hostname,
          port,
          path: `/%2E%2E/data/s3/${OTHER}`,
          method: 'DELETE',
          headers: {
            authorization: `AWS4-HMAC-SHA256 Credential=AKIARAW/${today.slice(0, 10).replace(/-/g, '')}/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00`,
            'x-amz-date': today.replace(/[-:]|\.\d{3}/g, ''),
            'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<Code>InvalidBucketName</Code>');
    await expectNothingOutside();
  });
});

describe("a data folder written by s3rver's own layout", () => {
  it('is migrated at start: every object readable under its key, listed, archive state kept, old files gone', async () => {
    const legacyDir = mkdtempSync(join(tmpdir(), 'autorestore-legacy-'));
    const bucketDir = join(legacyDir, 's3', 'legacy-bucket');
    mkdirSync(join(bucketDir, 'docs', 'deep'), { recursive: true });
    const legacyObject = (path: string, content: string, metadata: Record<string, string>) => {
      writeFileSync(join(bucketDir, `${path}._S3rver_object`), content);
      writeFileSync(join(bucketDir, `${path}._S3rver_metadata.json`), JSON.stringify(metadata));
    };
    legacyObject('docs/a.txt', 'plain legacy', { 'content-type': 'text/plain' });
    legacyObject('docs/deep/cold.bin', 'cold legacy', { 'content-type': 'application/octet-stream', 'x-amz-storage-class': 'GLACIER' });
    const logs: string[] = [];
    const cloud = await LocalCloud.start({ port: 0, dataDir: legacyDir, log: (m) => logs.push(m), functionLogLevel: 'ERROR' });
    try {
      const s3 = new S3Client({ endpoint: cloud.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIAMIGRATE000000001', secretAccessKey: 'local' } });
      expect(await (await s3.send(new GetObjectCommand({ Bucket: 'legacy-bucket', Key: 'docs/a.txt' }))).Body!.transformToString()).toBe('plain legacy');
      expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'legacy-bucket', Key: 'docs/deep/cold.bin' })))).toMatchObject({ name: 'InvalidObjectState' });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'legacy-bucket' }));
      expect((listed.Contents ?? []).map((c) => [c.Key, c.StorageClass])).toEqual([
        ['docs/a.txt', 'STANDARD'],
        ['docs/deep/cold.bin', 'GLACIER'],
      ]);
      s3.destroy();
      expect(existsSync(join(bucketDir, 'docs'))).toBe(false);
      expect(existsSync(join(legacyDir, 's3', LAYOUT_MARKER))).toBe(true);
      expect(logs).toContain('local S3: moved 2 object(s) of bucket legacy-bucket to key-hash storage');
    } finally {
      await cloud.stop();
      rmSync(legacyDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(cli)('hostile keys through the AWS CLI', () => {
  const s3api = (...args: string[]) => h.cli(['s3api', ...args]);

  it('put, get, copy, list and delete with ../ keys stay inside the key’s own object', async () => {
    const file = join(parent, 'upload.txt');
    const out = join(parent, 'download.txt');
    writeFileSync(file, 'written by the CLI');
    const cliKeys = [`../${OTHER}/plain.txt`, '../../../escaped', 'a//b', '..'];
    for (const key of cliKeys) expect((await s3api('put-object', '--bucket', HOME, '--key', key, '--body', file)).code).toBe(0);
    rmSync(file);
    await expectNothingOutside();

    expect((await s3api('get-object', '--bucket', HOME, '--key', `../${OTHER}/plain.txt`, out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('written by the CLI');
    rmSync(out);
    const secret = await s3api('get-object', '--bucket', HOME, '--key', `../${OTHER}/secret.bin`, out);
    expect(secret.stderr).toContain('NoSuchKey');

    expect((await s3api('copy-object', '--bucket', HOME, '--key', `../${OTHER}/secret.bin`, '--copy-source', `${HOME}/../${OTHER}/plain.txt`)).code).toBe(0);
    const listed = JSON.parse((await s3api('list-objects-v2', '--bucket', HOME)).stdout) as { Contents: { Key: string }[] };
    expect(listed.Contents.map((c) => c.Key).sort()).toEqual([...cliKeys, `../${OTHER}/secret.bin`].sort());
    await expectNothingOutside();

    for (const key of [...cliKeys, `../${OTHER}/secret.bin`]) expect((await s3api('delete-object', '--bucket', HOME, '--key', key)).code).toBe(0);
    expect(JSON.parse((await s3api('list-objects-v2', '--bucket', HOME)).stdout || '{}')).not.toHaveProperty('Contents');
    await expectNothingOutside();
    expect(filesUnder(join(dataDir, 's3', HOME)).filter((f) => !f.startsWith('._S3rver_'))).toEqual([]);
  }, 180_000);

  it('a key over 1,024 bytes is KeyTooLongError', async () => {
    const tooLong = await s3api('put-object', '--bucket', HOME, '--key', 'q'.repeat(1025));
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toContain('KeyTooLongError');
  });
});
