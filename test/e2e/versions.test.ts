/**
 * S3 versioning in the local S3, and the system on a versioned bucket: a reader of an archived
 * non-current version (read by version id) gets that version restored and is emailed about it.
 */
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { SimulatedClock } from '../../local/clock.js';
import type { BusEvent } from '../../local/event-bus.js';
import { ArchiveIndex, type ArchiveEntry } from '../../local/s3/archive-index.js';
import { ArchiveLayer } from '../../local/s3/archive-layer.js';
import { OpaqueKeyStore } from '../../local/s3/opaque-key-store.js';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const READER = 'AKIAREADERVERSIONS01';
/** The only watched bucket: refused reads in the API tests must not start restores. */
const WATCHED = 'versioned-restores';

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 50, watchedBuckets: [WATCHED] });
  await h.principals.put(READER, 'versions@example.com', new Date());
});
afterAll(() => h.stop());

async function put(bucket: string, key: string, body: string, storageClass = 'STANDARD'): Promise<string> {
  const out = await h.s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, StorageClass: storageClass as never }));
  return out.VersionId!;
}

async function text(bucket: string, key: string, versionId?: string): Promise<{ body: string; versionId?: string }> {
  const out = await h.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return { body: await out.Body!.transformToString(), versionId: out.VersionId };
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await promise;
    return { name: 'OK' };
  } catch (err) {
    return { name: (err as Error).name, status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode };
  }
}

describe('the S3 versioning API', () => {
  const BUCKET = 'versioned-api';

  it('PutBucketVersioning / GetBucketVersioning: no Status until configured, then Enabled or Suspended', async () => {
    await h.createBucket(BUCKET);
    expect((await h.s3().send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBeUndefined();
    await h.s3().send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await h.s3().send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    expect(await failure(h.s3().send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket-here' })))).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('versioned PUT, GET and HEAD by version id, delete markers, DELETE by version id, ListObjectVersions', async () => {
    const v1 = await put(BUCKET, 'doc.txt', 'first', 'GLACIER');
    const v2 = await put(BUCKET, 'doc.txt', 'second');
    expect(v1).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v2).not.toBe(v1);

    expect(await text(BUCKET, 'doc.txt')).toEqual({ body: 'second', versionId: v2 });
    expect(await text(BUCKET, 'doc.txt', v2)).toEqual({ body: 'second', versionId: v2 });
    // The older version is archived: refused, as S3 refuses any archived version.
    expect(await failure(text(BUCKET, 'doc.txt', v1))).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    const head = await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', VersionId: v1 }));
    expect(head).toMatchObject({ StorageClass: 'GLACIER', VersionId: v1, ContentLength: 5 });
    expect(await failure(h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', VersionId: 'not-a-version' })))).toMatchObject({ status: 404 });

    const deleted = await h.s3().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doc.txt' }));
    expect(deleted.DeleteMarker).toBe(true);
    const marker = deleted.VersionId!;
    expect(await failure(text(BUCKET, 'doc.txt'))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(await failure(text(BUCKET, 'doc.txt', marker))).toMatchObject({ status: 405 });
    const markerRead = await fetch(`${h.cloud.endpoint}/${BUCKET}/doc.txt`, {
      method: 'HEAD',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=AKIARAW/${new Date().toISOString().slice(0, 10).replace(/-/g, '')}/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00`,
        'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
    });
    expect([markerRead.status, markerRead.headers.get('x-amz-delete-marker'), markerRead.headers.get('x-amz-version-id')]).toEqual([404, 'true', marker]);
    expect(await text(BUCKET, 'doc.txt', v2)).toEqual({ body: 'second', versionId: v2 });
    expect((await h.s3().send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).toEqual([]);

    const listed = await h.s3().send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
    expect(listed.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([['doc.txt', marker, true]]);
    expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.StorageClass, v.Size])).toEqual([
      ['doc.txt', v2, false, 'STANDARD', 6],
      ['doc.txt', v1, false, 'GLACIER', 5],
    ]);

    // Removing the delete marker brings v2 back; removing v2 makes the archived v1 current.
    expect((await h.s3().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', VersionId: marker }))).DeleteMarker).toBe(true);
    expect(await text(BUCKET, 'doc.txt')).toEqual({ body: 'second', versionId: v2 });
    await h.s3().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', VersionId: v2 }));
    expect(await failure(text(BUCKET, 'doc.txt'))).toMatchObject({ name: 'InvalidObjectState' });
    expect((await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc.txt' }))).VersionId).toBe(v1);
    const after = await h.s3().send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
    expect(after.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[v1, true]]);
    expect(after.DeleteMarkers ?? []).toEqual([]);
  });

  it('DeleteObjects on a versioned bucket: delete markers for keys, permanent deletes for versions', async () => {
    const a1 = await put(BUCKET, 'many/a & b', 'a1');
    const b1 = await put(BUCKET, 'many/b', 'b1');
    const b2 = await put(BUCKET, 'many/b', 'b2');
    const out = await h.s3().send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'many/a & b' }, { Key: 'many/b', VersionId: b2 }] } }));
    expect(out.Deleted?.find((d) => d.Key === 'many/a & b')).toMatchObject({ DeleteMarker: true, DeleteMarkerVersionId: expect.any(String) });
    expect(out.Deleted?.find((d) => d.Key === 'many/b')).toMatchObject({ VersionId: b2 });
    expect(await failure(text(BUCKET, 'many/a & b'))).toMatchObject({ name: 'NoSuchKey' });
    expect(await text(BUCKET, 'many/a & b', a1)).toEqual({ body: 'a1', versionId: a1 });
    expect(await text(BUCKET, 'many/b')).toEqual({ body: 'b1', versionId: b1 });
    const listed = await h.s3().send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'many/' }));
    expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
      ['many/a & b', a1, false],
      ['many/b', b1, true],
    ]);
    expect(listed.DeleteMarkers?.map((m) => [m.Key, m.IsLatest])).toEqual([['many/a & b', true]]);
  });

  it('ListObjectVersions pages with key and version-id markers', async () => {
    const ids = [await put(BUCKET, 'paged', 'a'), await put(BUCKET, 'paged', 'b'), await put(BUCKET, 'paged', 'c')].reverse();
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await h.s3().send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged', MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      seen.push(...(out.Versions ?? []).map((v) => v.VersionId!));
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionMarker = out.NextVersionIdMarker;
    }
    expect(seen).toEqual(ids);
  });

  it('with versioning suspended, writes and deletes use the null version', async () => {
    const bucket = 'versioned-suspended';
    await h.createBucket(bucket);
    await h.s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const kept = await put(bucket, 'k', 'kept');
    await h.s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    expect(await put(bucket, 'k', 'null one')).toBe('null');
    expect(await put(bucket, 'k', 'null two')).toBe('null');
    const out = await h.s3().send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(out.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      ['null', true],
      [kept, false],
    ]);
    expect(await text(bucket, 'k', kept)).toEqual({ body: 'kept', versionId: kept });

    // A delete marker hides the key; the bucket still holds a version, so it cannot be deleted.
    expect((await h.s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }))).VersionId).toBe('null');
    expect((await h.s3().send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).toEqual([]);
    expect(await failure(h.s3().send(new DeleteBucketCommand({ Bucket: bucket })))).toMatchObject({ name: 'BucketNotEmpty', status: 409 });
  });
});

describe.runIf(cli)('the AWS CLI on a versioned bucket', () => {
  it('put-bucket-versioning, put-object, list-object-versions, get-object --version-id', async () => {
    const bucket = 'versioned-cli';
    await h.createBucket(bucket);
    expect((await h.cli(['s3api', 'put-bucket-versioning', '--bucket', bucket, '--versioning-configuration', 'Status=Enabled'])).code).toBe(0);
    const first = JSON.parse((await h.cli(['s3api', 'put-object', '--bucket', bucket, '--key', 'a/b.txt'])).stdout) as { VersionId: string };
    await h.cli(['s3api', 'put-object', '--bucket', bucket, '--key', 'a/b.txt']);
    const listed = JSON.parse((await h.cli(['s3api', 'list-object-versions', '--bucket', bucket])).stdout) as { Versions: { VersionId: string; IsLatest: boolean }[] };
    expect(listed.Versions).toHaveLength(2);
    expect(listed.Versions[1]).toMatchObject({ VersionId: first.VersionId, IsLatest: false });
    const got = await h.cli(['s3api', 'head-object', '--bucket', bucket, '--key', 'a/b.txt', '--version-id', first.VersionId]);
    expect(JSON.parse(got.stdout)).toMatchObject({ VersionId: first.VersionId });
  });
});

describe('restores of older versions across a restart', () => {
  it('a restore pending on an older version when the local S3 stopped completes after the restart, with its version id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorestore-versions-restart-'));
    try {
      const journal = join(dir, 's3-archive.jsonl');
      const before = new ArchiveIndex(journal);
      const now = Date.now();
      before.setVersioning('restart-bucket', 'Enabled');
      before.set('restart-bucket', 'k', { versionId: 'current-version', storageClass: 'STANDARD' });
      before.setOlderVersions('restart-bucket', 'k', [
        {
          versionId: 'older-version',
          lastModified: now,
          entry: { versionId: 'older-version', storageClass: 'GLACIER', restore: { ongoing: true, tier: 'Standard', days: 1, requestedAt: now, completesAt: now + 200 } },
        },
      ]);
      before.flush();

      // The restart: a fresh index replays the journal, a fresh layer re-derives the timers.
      const after = new ArchiveIndex(journal);
      const completed: ArchiveEntry[] = [];
      const layer = new ArchiveLayer({
        index: after,
        clock: new SimulatedClock(50),
        store: new OpaqueKeyStore(join(dir, 's3'), after, () => undefined),
        onReadRefused: () => undefined,
        onRestoreCompleted: (_bucket, _key, entry) => completed.push(entry),
        onRestoreExpired: () => undefined,
      });
      layer.resumeTimers();
      await eventually(() => completed.length > 0, 'the completion of the older version');
      layer.stop();
      expect(completed).toEqual([expect.objectContaining({ versionId: 'older-version', restore: expect.objectContaining({ ongoing: false }) })]);
      expect(new ArchiveIndex(journal).version('restart-bucket', 'k', 'older-version').entry?.restore?.ongoing).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a reader of an archived non-current version', () => {
  it('is refused, that version is restored (RestoreObject with its VersionId), and the reader is emailed about that version', async () => {
    const bucket = WATCHED;
    const key = 'reports/q1.csv';
    await h.createBucket(bucket);
    await h.s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const old = await put(bucket, key, 'the archived first draft', 'GLACIER');
    const current = await put(bucket, key, 'the current text');
    const events: BusEvent[] = [];
    h.cloud.bus.addRule({ name: 'test-s3-events', pattern: { source: ['aws.s3'] }, target: async (event) => events.push(event) });

    expect(await h.read(bucket, key, READER, old)).toBe('InvalidObjectState');
    const emails = await h.waitForEmails(2);
    expect(emails.map((e) => [e.to, e.subject])).toEqual([
      [['versions@example.com'], 'Restoring 1 file from archive'],
      [['versions@example.com'], '1 file restored and ready to download'],
    ]);
    // The email tells the reader how to fetch that version, not the current one.
    expect(emails[1]!.text).toContain(key);
    expect(emails[1]!.text).toContain(`--version-id '${old}'`);

    // The restore was of that version: the old version is restored, the current one untouched.
    const oldHead = await h.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: old }));
    expect(oldHead.Restore).toMatch(/^ongoing-request="false", expiry-date=/);
    const currentHead = await h.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(currentHead.VersionId).toBe(current);
    expect(currentHead.Restore).toBeUndefined();
    expect(h.cloud.s3.calls.get('RestoreObject')).toBe(1);
    expect(await h.read(bucket, key, READER, old)).toBe('OK');
    expect(await text(bucket, key, old)).toEqual({ body: 'the archived first draft', versionId: old });

    // The CloudTrail-shaped refused read names the version asked for; the restore event names the version restored.
    const refused = events.find((e) => e['detail-type'] === 'AWS API Call via CloudTrail');
    expect((refused?.detail as { requestParameters: Record<string, string> }).requestParameters).toMatchObject({ bucketName: bucket, key, versionId: old });
    const completed = events.find((e) => e['detail-type'] === 'Object Restore Completed');
    expect((completed?.detail as { object: Record<string, string> }).object).toMatchObject({ key: 'reports/q1.csv', 'version-id': old });

    // The audit history is kept under the version's own object id.
    const types = await eventually(async () => {
      const history = (await h.audit.history(objectIdOf({ bucket, key, versionId: old }))).map((e) => e.type);
      return history.includes('RESTORE_COMPLETED') ? history : undefined;
    }, 'the restore in the version audit history');
    expect(types).toContain('RESTORE_REQUESTED');
  });
});
