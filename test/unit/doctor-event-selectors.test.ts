import { describe, expect, it } from 'vitest';
import { getObjectCoverage, logsGetObject, partitionOf, type FieldSelector, type TrailSelectors } from '../../infra/trail-selectors.js';
import { getObjectSelectors } from '../../local/control-plane/cloudtrail.js';

const DATA = { Field: 'eventCategory', Equals: ['Data'] };
const OBJECTS = { Field: 'resources.type', Equals: ['AWS::S3::Object'] };
const advanced = (...fields: FieldSelector[]): TrailSelectors => ({ AdvancedEventSelectors: [{ Name: 's', FieldSelectors: [DATA, OBJECTS, ...fields] }] });

describe('how much of a bucket a trail logs GetObject for', () => {
  it.each<[string, TrailSelectors, string]>([
    ['the stack selector for named buckets', getObjectSelectors(['archive', 'media']), 'all'],
    ['the stack selector for every bucket', getObjectSelectors(['*']), 'all'],
    ['the stack selector for another bucket', getObjectSelectors(['other']), 'none'],
    ['every data event of S3 objects', advanced(), 'all'],
    ['write events only', advanced({ Field: 'readOnly', Equals: ['false'] }), 'none'],
    ['read events only', advanced({ Field: 'readOnly', Equals: ['true'] }), 'all'],
    ['PutObject only', advanced({ Field: 'eventName', Equals: ['PutObject'] }), 'none'],
    ['everything but GetObject', advanced({ Field: 'eventName', NotEquals: ['GetObject'] }), 'none'],
    ['events starting with Get', advanced({ Field: 'eventName', StartsWith: ['Get'] }), 'all'],
    ['a prefix of the bucket', advanced({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::archive/logs/'] }), 'some'],
    ['one object', advanced({ Field: 'resources.ARN', Equals: ['arn:aws:s3:::archive/a.bin'] }), 'some'],
    ['objects ending in .bin', advanced({ Field: 'resources.ARN', EndsWith: ['.bin'] }), 'some'],
    ['the bucket but one prefix', advanced({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::archive/'], NotStartsWith: ['arn:aws:s3:::archive/tmp/'] }), 'some'],
    ['every bucket but this one', advanced({ Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::archive/'] }), 'none'],
    ['a name prefix that includes the bucket', advanced({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::arch'] }), 'all'],
    ['DynamoDB data events', { AdvancedEventSelectors: [{ FieldSelectors: [DATA, { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] }] }] }, 'none'],
    ['management events only', { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] }, 'none'],
    ['one reader only', advanced({ Field: 'userIdentity.arn', Equals: ['arn:aws:iam::1:user/a'] }), 'some'],
    ['basic: the bucket, read and write', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive/'] }] }] }, 'all'],
    ['basic: every bucket, reads', { EventSelectors: [{ ReadWriteType: 'ReadOnly', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }] }, 'all'],
    ['basic: the bucket, writes only', { EventSelectors: [{ ReadWriteType: 'WriteOnly', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive/'] }] }] }, 'none'],
    ['basic: a prefix', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive/2019/'] }] }] }, 'some'],
    ['basic: a bucket whose name starts the same', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive-old/'] }] }] }, 'none'],
    ['basic: management events only', { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [] }] }, 'none'],
    ['no selectors', {}, 'none'],
  ])('%s -> %s', (_, selectors, coverage) => {
    expect(getObjectCoverage(selectors, 'archive', 'aws')).toBe(coverage);
  });

  it('two selectors: the wider one wins', () => {
    const narrow = advanced({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::archive/logs/'] }).AdvancedEventSelectors!;
    const wide = advanced({ Field: 'eventName', Equals: ['GetObject'] }).AdvancedEventSelectors!;
    expect(getObjectCoverage({ AdvancedEventSelectors: [...narrow, ...wide] }, 'archive', 'aws')).toBe('all');
  });
});

describe('whether one GetObject is logged (the local trail)', () => {
  const prefixOnly = advanced({ Field: 'eventName', Equals: ['GetObject'] }, { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::archive/logs/'] });
  it.each([
    [getObjectSelectors(['archive']), 'archive', 'x/y.bin', true],
    [getObjectSelectors(['archive']), 'media', 'x/y.bin', false],
    [getObjectSelectors(['*']), 'anything', 'k', true],
    [prefixOnly, 'archive', 'logs/1.gz', true],
    [prefixOnly, 'archive', 'data/1.gz', false],
    [{ EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive/logs/'] }] }] }, 'archive', 'logs/1.gz', true],
    [{ EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive/logs/'] }] }] }, 'archive', 'data/1.gz', false],
    [{}, 'archive', 'k', false],
  ] as const)('%j: s3://%s/%s -> %s', (selectors, bucket, key, logged) => {
    expect(logsGetObject(selectors as TrailSelectors, bucket, key)).toBe(logged);
  });
});

describe('in another partition (aws-cn, aws-us-gov)', () => {
  /** The selector the stack writes in aws-cn: `arn:${partition}:s3:::bucket/`. */
  const chinaStackSelector = advanced({ Field: 'eventName', Equals: ['GetObject'] }, { Field: 'resources.ARN', StartsWith: ['arn:aws-cn:s3:::archive/', 'arn:aws-cn:s3:::media/'] });

  it('the stack selector covers the bucket in its own partition', () => {
    expect(getObjectCoverage(chinaStackSelector, 'archive', 'aws-cn')).toBe('all');
    expect(logsGetObject(chinaStackSelector, 'archive', 'x/y.bin', 'aws-cn')).toBe(true);
  });

  it('a selector naming the bucket in the aws partition covers nothing there', () => {
    expect(getObjectCoverage(chinaStackSelector, 'archive', 'aws')).toBe('none');
    expect(getObjectCoverage(getObjectSelectors(['archive']), 'archive', 'aws-cn')).toBe('none');
  });

  it.each<[string, TrailSelectors, string]>([
    ['basic: every bucket', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws-us-gov:s3'] }] }] }, 'all'],
    ['basic: the bucket', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws-us-gov:s3:::archive/'] }] }] }, 'all'],
    ['basic: a prefix', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws-us-gov:s3:::archive/2019/'] }] }] }, 'some'],
    ['basic: the bucket in aws', { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::archive/'] }] }] }, 'none'],
  ])('aws-us-gov %s -> %s', (_, selectors, coverage) => {
    expect(getObjectCoverage(selectors, 'archive', 'aws-us-gov')).toBe(coverage);
  });

  it('the partition is read from an ARN', () => {
    expect(partitionOf('arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/reads')).toBe('aws-cn');
    expect(partitionOf('arn:aws:states:eu-west-1:111122223333:stateMachine:restore')).toBe('aws');
    expect(partitionOf('reads')).toBeUndefined();
  });
});
