import { describe, expect, it } from 'vitest';
import { archivedReadPattern, restoreLifecyclePattern } from '../../infra/event-patterns.js';
import { matchesPattern } from '../../local/event-pattern.js';
import { BUCKET, archivedReadEvent } from '../fixtures/events.js';

describe('archivedReadPattern', () => {
  it('routes a read through an access point to the watched bucket it reached, named only in detail.resources', () => {
    const event = archivedReadEvent({ viaAccessPoint: true });
    expect(event.detail.requestParameters.bucketName).not.toBe(BUCKET);
    expect(matchesPattern(archivedReadPattern([BUCKET], 'aws'), event)).toBe(true);
    expect(matchesPattern(archivedReadPattern(['other-bucket', BUCKET], 'aws'), event)).toBe(true);
  });

  it('does not route a read through an access point to a bucket that is not watched', () => {
    const event = archivedReadEvent({ viaAccessPoint: true });
    expect(matchesPattern(archivedReadPattern(['other-bucket'], 'aws'), event)).toBe(false);
    // The object ARN starts with the bucket ARN; only the exact bucket ARN counts.
    expect(matchesPattern(archivedReadPattern([`${BUCKET}/reports`], 'aws'), event)).toBe(false);
  });

  it('builds the bucket ARNs in the partition given (a bucket ARN of another partition does not match)', () => {
    const event = archivedReadEvent({ viaAccessPoint: true });
    expect(matchesPattern(archivedReadPattern([BUCKET], 'aws-cn'), event)).toBe(false);
    const resources = event.detail.resources as { ARN: string }[];
    for (const resource of resources) resource.ARN = resource.ARN.replace(/^arn:aws:/, 'arn:aws-cn:');
    expect(matchesPattern(archivedReadPattern([BUCKET], 'aws-cn'), event)).toBe(true);
    expect(archivedReadPattern([BUCKET], 'aws-cn').detail).toMatchObject({ $or: [{ requestParameters: { bucketName: [BUCKET] } }, { resources: { ARN: [`arn:aws-cn:s3:::${BUCKET}`] } }] });
  });

  it('still routes a direct read by its bucketName, and only for a watched bucket', () => {
    expect(matchesPattern(archivedReadPattern([BUCKET], 'aws'), archivedReadEvent())).toBe(true);
    expect(matchesPattern(archivedReadPattern(['other-bucket'], 'aws'), archivedReadEvent())).toBe(false);
  });

  it('watches every bucket with *, through an access point or not', () => {
    expect(matchesPattern(archivedReadPattern(['*'], 'aws'), archivedReadEvent())).toBe(true);
    expect(matchesPattern(archivedReadPattern(['*'], 'aws'), archivedReadEvent({ viaAccessPoint: true }))).toBe(true);
    expect(archivedReadPattern(['*'], 'aws').detail).not.toHaveProperty('$or');
  });

  it('matches only refused GetObject calls', () => {
    const event = archivedReadEvent({ viaAccessPoint: true });
    event.detail.errorCode = 'AccessDenied';
    expect(matchesPattern(archivedReadPattern([BUCKET], 'aws'), event)).toBe(false);
  });
});

describe('restoreLifecyclePattern', () => {
  it('matches a restore completion on a watched bucket only', () => {
    const event = { source: 'aws.s3', 'detail-type': 'Object Restore Completed', detail: { bucket: { name: BUCKET } } };
    expect(matchesPattern(restoreLifecyclePattern([BUCKET]), event)).toBe(true);
    expect(matchesPattern(restoreLifecyclePattern(['other-bucket']), event)).toBe(false);
    expect(matchesPattern(restoreLifecyclePattern(['*']), event)).toBe(true);
  });
});

describe('matchesPattern', () => {
  describe('$or', () => {
    const pattern = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'], metricType: ['MetricType'] }] };

    it('matches when any one branch matches, with the other fields', () => {
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', metricName: 'CPUUtilization' })).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2', metricType: 'MetricType' })).toBe(true);
    });

    it('needs every field of the branch and every field beside the $or', () => {
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(false);
      expect(matchesPattern(pattern, { source: 'aws.ec2', metricName: 'CPUUtilization' })).toBe(false);
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch' })).toBe(false);
    });

    it('works nested inside a field and nested in another $or', () => {
      const nested = { detail: { $or: [{ a: ['1'] }, { $or: [{ b: ['2'] }, { c: ['3'] }] }] } };
      expect(matchesPattern(nested, { detail: { c: '3' } })).toBe(true);
      expect(matchesPattern(nested, { detail: { d: '4' } })).toBe(false);
    });

    it('is an ordinary field name when it does not hold two or more objects without filter keywords', () => {
      expect(matchesPattern({ $or: [{ prefix: 'a' }, { suffix: 'z' }] }, { $or: 'abz' })).toBe(true);
      expect(matchesPattern({ $or: [{ prefix: 'a' }, { suffix: 'z' }] }, { a: 'abz' })).toBe(false);
      expect(matchesPattern({ $or: ['x'] }, { $or: 'x' })).toBe(true);
    });
  });

  describe('arrays of objects', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
      ],
    };

    it('matches a field of any element', () => {
      expect(matchesPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
      expect(matchesPattern({ employees: { firstName: [{ prefix: 'Jo' }] } }, event)).toBe(true);
      expect(matchesPattern({ employees: { firstName: ['Peter'] } }, event)).toBe(false);
    });

    it('takes every field of a nested pattern from the same element', () => {
      expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
      expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Doe'] } }, event)).toBe(false);
    });

    it('crushes out nested arrays', () => {
      expect(matchesPattern({ employees: { firstName: ['Peter'] } }, { employees: [[{ firstName: 'John' }], [{ firstName: 'Peter' }]] })).toBe(true);
    });

    it('treats an array of strings as holding no nested fields', () => {
      expect(matchesPattern({ resources: { ARN: ['arn:aws:s3:::b'] } }, { resources: ['arn:aws:s3:::b'] })).toBe(false);
    });
  });

  it('matches exists: false under an absent parent, and nothing else there', () => {
    expect(matchesPattern({ detail: { x: [{ exists: false }] } }, { source: 's' })).toBe(true);
    expect(matchesPattern({ detail: { x: [{ exists: true }] } }, { source: 's' })).toBe(false);
    expect(matchesPattern({ detail: { x: [{ 'anything-but': 'y' }] } }, { source: 's' })).toBe(false);
  });
});
