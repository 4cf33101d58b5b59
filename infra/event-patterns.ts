/**
 * The EventBridge patterns that route events to the functions. The CDK stack deploys these
 * and the local cloud matches events against the very same objects.
 */

/**
 * A GetObject refused because the object is archived, as a CloudTrail data event, on a watched
 * bucket. A direct read names the bucket in `requestParameters.bucketName`; a read through an
 * access point names the access point there (its alias or ARN) and lists the bucket it reached
 * among the event's `resources` ({ type: 'AWS::S3::Bucket', ARN: 'arn:<partition>:s3:::<bucket>' }),
 * so either one matches (`$or`; a field inside an array of objects is matched through the array:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
 * https://github.com/aws/event-ruler#json-array-matching). `partition` is the stack's partition
 * (a token on AWS, resolved by CloudFormation) so the ARNs are exact in aws-cn and aws-us-gov too.
 */
export function archivedReadPattern(watchedBuckets: readonly string[], partition: string) {
  const refusedRead = { eventSource: ['s3.amazonaws.com'], eventName: ['GetObject'], errorCode: ['InvalidObjectState'] };
  return {
    source: ['aws.s3'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: watchedBuckets.includes('*')
      ? refusedRead
      : {
          ...refusedRead,
          $or: [{ requestParameters: { bucketName: [...watchedBuckets] } }, { resources: { ARN: watchedBuckets.map((bucket) => `arn:${partition}:s3:::${bucket}`) } }],
        },
  };
}

/** S3's own events (bucket EventBridge notifications on) for a restore's end and its copy's expiry. */
export function restoreLifecyclePattern(watchedBuckets: readonly string[]) {
  return {
    source: ['aws.s3'],
    'detail-type': ['Object Restore Completed', 'Object Restore Expired'],
    ...(watchedBuckets.includes('*') ? {} : { detail: { bucket: { name: [...watchedBuckets] } } }),
  };
}

/**
 * EventBridge refuses a pattern longer than 2,048 characters by default (a quota that can be
 * raised to 4,096: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html,
 * https://pub.dev/documentation/pulumi_aws/latest/cloudwatch/EventRule/eventPattern.html).
 * The archived-read pattern names each watched bucket twice, so it is the one that grows.
 */
export const MAX_EVENT_PATTERN_CHARACTERS = 2048;

/** The length of the longest pattern the stack deploys for these buckets, in the longest partition name. */
export function longestPatternLength(watchedBuckets: readonly string[]): number {
  return Math.max(JSON.stringify(archivedReadPattern(watchedBuckets, 'aws-us-gov')).length, JSON.stringify(restoreLifecyclePattern(watchedBuckets)).length);
}
