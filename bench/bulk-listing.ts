/**
 * `npx tsx bench/bulk-listing.ts --objects=1000000`: planning and submitting a bulk restore of
 * N objects (listing, streamed manifest, upload, batch record, workflow start) at a size the
 * local S3 cannot hold here (a million objects on disk takes hours to put). The listing comes
 * from a generator of ListObjectsV2 pages that stands in for S3 and takes the manifest upload
 * (counting its bytes); DynamoDB and Step Functions are the local cloud's. Reports wall time
 * and the submitting process's peak RSS, into bench/bulk-results.json under `listing`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { BATCH_STATE_MACHINE_ARN, MANIFEST_BUCKET, TABLE_NAMES } from '../local/deployment.js';
import { startHarness } from '../local/harness.js';
import { saveBulkResults } from './bulk-results-file.js';

const sizes = (process.argv.find((a) => a.startsWith('--objects='))?.split('=')[1] ?? '100000,1000000').split(',').map(Number);
const PAGE = 1000;

/** ListObjectsV2 pages of `objects` Glacier keys; uploads are read, counted and answered with an ETag. */
function listingServer(objects: number) {
  let uploadedBytes = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      const start = Number(url.searchParams.get('continuation-token') ?? 0);
      const end = Math.min(objects, start + PAGE);
      const contents: string[] = [];
      for (let i = start; i < end; i++)
        contents.push(
          `<Contents><Key>bulk/folder-${Math.floor(i / 1000)}/object-${i}.bin</Key><Size>1024</Size><StorageClass>GLACIER</StorageClass><ETag>"x"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`,
        );
      const truncated = end < objects;
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bulk-bench</Name><Prefix>bulk/</Prefix><KeyCount>${end - start}</KeyCount><MaxKeys>${PAGE}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${end}</NextContinuationToken>` : ''}${contents.join('')}</ListBucketResult>`,
      );
      return;
    }
    const hash = createHash('md5');
    req.on('data', (chunk: Buffer) => {
      uploadedBytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const etag = `"${hash.digest('hex')}"`;
      if (req.method === 'POST' && url.searchParams.has('uploads')) {
        res.writeHead(200, { 'content-type': 'application/xml' }).end(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>`);
      } else if (req.method === 'POST' && url.searchParams.has('uploadId')) {
        res.writeHead(200, { 'content-type': 'application/xml' }).end(`<CompleteMultipartUploadResult><ETag>${etag}</ETag></CompleteMultipartUploadResult>`);
      } else res.writeHead(200, { etag }).end();
    });
  });
  return { server, uploaded: () => uploadedBytes };
}

const h = await startHarness({ realMsPerSimulatedHour: 3_600_000 });
const results: Record<string, unknown> = {};
try {
  for (const objects of sizes) {
    const { server, uploaded } = listingServer(objects);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const s3Endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/bulk-submit.ts',
        h.cloud.endpoint,
        TABLE_NAMES.objects,
        MANIFEST_BUCKET,
        BATCH_STATE_MACHINE_ARN,
        'bulk-bench',
        `bulk/run-${objects}/`,
        'AKIABULKBENCH0000001',
        'team@example.com',
        'BULK',
      ],
      { env: { ...process.env, BULK_S3_ENDPOINT: s3Endpoint }, maxBuffer: 16 * 1024 * 1024 },
    );
    const run = JSON.parse(stdout) as { submission: { outcome: string; objectCount: number }; seconds: number; peakRssMB: number };
    if (run.submission.outcome !== 'submitted') throw new Error(`${objects} objects: ${run.submission.outcome}`);
    results[String(objects)] = { objects: run.submission.objectCount, seconds: run.seconds, peakRssMB: run.peakRssMB, manifestBytes: uploaded() };
    process.stderr.write(`${objects} objects: planned and submitted in ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMB} MB, manifest ${uploaded()} bytes\n`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
} finally {
  await h.stop();
}
saveBulkResults('listing', { date: new Date().toISOString(), command: `npx tsx bench/bulk-listing.ts --objects=${sizes.join(',')}`, results });
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
