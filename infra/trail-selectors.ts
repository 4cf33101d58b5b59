/**
 * Does a trail log GetObject on a bucket's objects? CloudTrail's basic and advanced event
 * selectors, evaluated for one event (the local trail's gate) and for every object of a bucket
 * (`doctor`). Semantics from the CloudTrail API reference:
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DataResource.html
 * Selectors are OR'ed; the field selectors of one advanced selector are AND'ed; a field
 * selector's positive operators (Equals, StartsWith, EndsWith) are OR'ed among themselves and
 * its negative ones (NotEquals, NotStartsWith, NotEndsWith) must all hold.
 */

export interface FieldSelector {
  Field?: string;
  Equals?: string[];
  StartsWith?: string[];
  EndsWith?: string[];
  NotEquals?: string[];
  NotStartsWith?: string[];
  NotEndsWith?: string[];
}
export interface AdvancedSelector {
  Name?: string;
  FieldSelectors?: FieldSelector[];
}
export interface BasicSelector {
  ReadWriteType?: string;
  IncludeManagementEvents?: boolean;
  DataResources?: { Type?: string; Values?: string[] }[];
}
export interface TrailSelectors {
  EventSelectors?: BasicSelector[];
  AdvancedEventSelectors?: AdvancedSelector[];
}

/**
 * The partition an ARN is in (`aws`, `aws-cn`, `aws-us-gov`, ...): S3 ARNs, and so the selectors
 * that name them, carry the deployment's partition (`arn:aws-cn:s3:::bucket/key`).
 */
export function partitionOf(arn: string): string | undefined {
  const [prefix, partition] = arn.split(':');
  return prefix === 'arn' && partition ? partition : undefined;
}

/** An object ARN's prefix for every object of the bucket: `arn:<partition>:s3:::bucket/`. */
export function bucketObjectsArnPrefix(bucket: string, partition: string): string {
  return `arn:${partition}:s3:::${bucket}/`;
}

/** The fields of a refused GetObject's CloudTrail record that selectors can filter on. */
function getObjectFields(bucket: string, key: string, partition: string): Record<string, string> {
  return {
    eventCategory: 'Data',
    'resources.type': 'AWS::S3::Object',
    'resources.ARN': `${bucketObjectsArnPrefix(bucket, partition)}${key}`,
    eventName: 'GetObject',
    readOnly: 'true',
    eventSource: 's3.amazonaws.com',
    eventType: 'AwsApiCall',
  };
}

function fieldMatches(selector: FieldSelector, value: string | undefined): boolean {
  if (value === undefined) return false;
  const positive = [...(selector.Equals ?? []).map((v) => value === v), ...(selector.StartsWith ?? []).map((v) => value.startsWith(v)), ...(selector.EndsWith ?? []).map((v) => value.endsWith(v))];
  if (positive.length > 0 && !positive.some(Boolean)) return false;
  if ((selector.NotEquals ?? []).includes(value)) return false;
  if ((selector.NotStartsWith ?? []).some((v) => value.startsWith(v))) return false;
  if ((selector.NotEndsWith ?? []).some((v) => value.endsWith(v))) return false;
  return true;
}

/**
 * Whether the trail records a GetObject of this object (and so puts it on the bus). The
 * partition defaults to `aws`, the local cloud's.
 */
export function logsGetObject(selectors: TrailSelectors, bucket: string, key: string, partition = 'aws'): boolean {
  const fields = getObjectFields(bucket, key, partition);
  const advanced = (selectors.AdvancedEventSelectors ?? []).some((s) => (s.FieldSelectors ?? []).every((f) => fieldMatches(f, fields[f.Field ?? ''])));
  const basic = (selectors.EventSelectors ?? []).some(
    (s) => readsLogged(s) && (s.DataResources ?? []).some((r) => r.Type === 'AWS::S3::Object' && (r.Values ?? []).some((v) => basicValueCovers(v, bucket, key, partition))),
  );
  return advanced || basic;
}

export type Coverage = 'all' | 'some' | 'none';

/** How much of a bucket's objects, in the partition given, the trail logs GetObject for: every object, some, or none. */
export function getObjectCoverage(selectors: TrailSelectors, bucket: string, partition: string): Coverage {
  const results: Coverage[] = [
    ...(selectors.AdvancedEventSelectors ?? []).map((s) => advancedCoverage(s, bucket, partition)),
    ...(selectors.EventSelectors ?? []).map((s) => basicCoverage(s, bucket, partition)),
  ];
  if (results.includes('all')) return 'all';
  return results.includes('some') ? 'some' : 'none';
}

const RANK: Record<Coverage, number> = { none: 0, some: 1, all: 2 };
const least = (a: Coverage, b: Coverage): Coverage => (RANK[a] <= RANK[b] ? a : b);

function advancedCoverage(selector: AdvancedSelector, bucket: string, partition: string): Coverage {
  const fields = getObjectFields(bucket, '', partition);
  let coverage: Coverage = 'all';
  for (const f of selector.FieldSelectors ?? []) {
    if (f.Field === 'resources.ARN') coverage = least(coverage, arnCoverage(f, bucketObjectsArnPrefix(bucket, partition)));
    else if (f.Field !== undefined && f.Field in fields) coverage = least(coverage, fieldMatches(f, fields[f.Field]) ? 'all' : 'none');
    // A filter on who reads (userIdentity.arn, ...) leaves some reads out.
    else coverage = least(coverage, 'some');
  }
  return coverage;
}

/** Coverage of every object ARN that starts with `prefix` (`arn:<partition>:s3:::bucket/`). */
function arnCoverage(f: FieldSelector, prefix: string): Coverage {
  const includes = (f.StartsWith ?? []).some((s) => prefix.startsWith(s));
  const includesSome = (f.StartsWith ?? []).some((s) => s.startsWith(prefix)) || (f.Equals ?? []).some((e) => e.startsWith(prefix)) || (f.EndsWith ?? []).length > 0;
  const hasPositive = Boolean(f.StartsWith?.length || f.Equals?.length || f.EndsWith?.length);
  let coverage: Coverage = !hasPositive || includes ? 'all' : includesSome ? 'some' : 'none';
  if ((f.NotStartsWith ?? []).some((s) => prefix.startsWith(s))) return 'none';
  const excludesSome = (f.NotStartsWith ?? []).some((s) => s.startsWith(prefix)) || (f.NotEquals ?? []).some((e) => e.startsWith(prefix)) || (f.NotEndsWith ?? []).length > 0;
  if (excludesSome) coverage = least(coverage, 'some');
  return coverage;
}

function readsLogged(selector: BasicSelector): boolean {
  return selector.ReadWriteType === undefined || selector.ReadWriteType === 'All' || selector.ReadWriteType === 'ReadOnly';
}

/** A basic selector's S3 value: `arn:<partition>:s3` (every bucket), `arn:<partition>:s3:::bucket/` or `arn:<partition>:s3:::bucket/prefix`. */
function basicValueCovers(value: string, bucket: string, key: string, partition: string): boolean {
  const s3 = `arn:${partition}:s3`;
  if (value === s3 || value === `${s3}:::`) return true;
  const prefix = bucketObjectsArnPrefix(bucket, partition);
  if (value === `${s3}:::${bucket}`) return true;
  return value.startsWith(prefix) && `${prefix}${key}`.startsWith(value);
}

function basicCoverage(selector: BasicSelector, bucket: string, partition: string): Coverage {
  if (!readsLogged(selector)) return 'none';
  const values = (selector.DataResources ?? []).filter((r) => r.Type === 'AWS::S3::Object').flatMap((r) => r.Values ?? []);
  const prefix = bucketObjectsArnPrefix(bucket, partition);
  if (values.some((v) => basicValueCovers(v, bucket, '', partition))) return 'all';
  return values.some((v) => v.startsWith(prefix)) ? 'some' : 'none';
}
