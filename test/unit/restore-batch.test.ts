/** The bulk path's pure parts: report rows, failure classes, manifest lines, the tier rule. */
import { describe, expect, it } from 'vitest';
import { batchTierOf } from '../../cli/commands/batch.js';
import { batchIdOf, manifestLine, requestKeyOf } from '../../cli/commands/batch-submit.js';
import { UsageError } from '../../cli/s3-url.js';
import { classifyFailure, parseCsvRow, parseReportRow } from '../../functions/restore-batch/reports.js';
import { parseManifestLine } from '../../local/s3control/jobs.js';

describe('completion report rows', () => {
  it('reads the schema order (error code, then HTTP status) and the order of AWS’s own example', () => {
    expect(parseReportRow('b,k%2Fx,,failed,NoSuchKey,404,The specified key does not exist.')).toEqual({
      bucket: 'b',
      reportKey: 'k%2Fx',
      errorCode: 'NoSuchKey',
      httpStatus: 404,
      message: 'The specified key does not exist.',
    });
    expect(parseReportRow('awsexamplebucket1,image_14975,,failed,200,PermanentFailure,"Lambda returned function error: {""errorMessage"":""x""}"')).toMatchObject({
      errorCode: 'PermanentFailure',
      httpStatus: 200,
      message: 'Lambda returned function error: {"errorMessage":"x"}',
    });
  });

  it('keeps commas inside quoted cells and a version id', () => {
    expect(parseCsvRow('a,"b,c",d')).toEqual(['a', 'b,c', 'd']);
    expect(parseReportRow('b,k,v1,failed,InvalidObjectState,403,no, really')).toMatchObject({ versionId: 'v1', message: 'no, really' });
    expect(parseReportRow('too,short')).toBeUndefined();
  });

  it('sorts failures into deleted, already restoring, retryable and failed', () => {
    expect(classifyFailure({ errorCode: 'NoSuchKey', httpStatus: 404 })).toBe('deleted');
    expect(classifyFailure({ errorCode: 'RestoreAlreadyInProgress', httpStatus: 409 })).toBe('in-progress');
    expect(classifyFailure({ errorCode: 'SlowDown', httpStatus: 503 })).toBe('retryable');
    expect(classifyFailure({ errorCode: 'InternalError', httpStatus: 500 })).toBe('retryable');
    expect(classifyFailure({ errorCode: 'InvalidObjectState', httpStatus: 403 })).toBe('failed');
    expect(classifyFailure({ errorCode: 'AccessDenied', httpStatus: 403 })).toBe('failed');
  });
});

describe('manifests', () => {
  it('URL-encodes keys, and the local reader decodes them back (a key that does not decode is taken as written)', () => {
    for (const key of ['a b/c+d.bin', 'x,y.csv', 'ünïcode/%41', 'q?versionId=1']) {
      const line = manifestLine('bucket', key).trim();
      expect(line.split(',')).toHaveLength(2);
      expect(parseManifestLine(line, ['Bucket', 'Key'])).toMatchObject({ bucket: 'bucket', key });
    }
    expect(parseManifestLine('bucket,100%', ['Bucket', 'Key'])).toMatchObject({ key: '100%' });
    expect(parseManifestLine('bucket', ['Bucket', 'Key'])).toBeUndefined();
  });

  it('names a version id as the third column when given (a versioned bucket), and the local reader restores that version', () => {
    const line = manifestLine('bucket', 'a b/c,d.bin', 'v3rs1on_Id.x').trim();
    expect(line).toBe('bucket,a%20b%2Fc%2Cd.bin,v3rs1on_Id.x');
    expect(parseManifestLine(line, ['Bucket', 'Key', 'VersionId'])).toEqual({ bucket: 'bucket', key: 'a b/c,d.bin', rawKey: 'a%20b%2Fc%2Cd.bin', versionId: 'v3rs1on_Id.x' });
    expect(parseManifestLine('bucket,k', ['Bucket', 'Key', 'VersionId'])).toBeUndefined();
    expect(manifestLine('bucket', 'k')).toBe('bucket,k\n');
  });

  it('names a batch by its prefix, short enough for job tokens; the same request has the same key', () => {
    const id = batchIdOf('photos/2019 summer/', new Date('2026-11-23T05:00:00Z'));
    expect(id).toMatch(/^2019-summer-20261123050000-[0-9a-f]{6}$/);
    expect(`${id}-intelligent-tiering-2`.length).toBeLessThanOrEqual(64);
    expect(batchIdOf('', new Date())).toMatch(/^bucket-/);
    const request = { bucket: 'b', prefix: 'p/', tier: 'BULK' as const, days: 3 };
    expect(requestKeyOf(request)).toBe(requestKeyOf({ ...request }));
    expect(requestKeyOf(request)).not.toBe(requestKeyOf({ ...request, days: 4 }));
  });
});

describe('tiers', () => {
  it('takes Standard and Bulk, and refuses Expedited with the reason instead of changing it', () => {
    expect(batchTierOf(undefined)).toBe('STANDARD');
    expect(batchTierOf('Standard')).toBe('STANDARD');
    expect(batchTierOf('Bulk')).toBe('BULK');
    expect(() => batchTierOf('Expedited')).toThrow(UsageError);
    expect(() => batchTierOf('Expedited')).toThrow(/no Expedited retrieval/);
  });
});
