/**
 * The EventBridge patterns that route events to the functions. The CDK stack deploys these
 * and the local cloud matches events against the very same objects.
 */

/** A GetObject refused because the object is archived, as a CloudTrail data event. */
export function archivedReadPattern(watchedBuckets: readonly string[]) {
  return {
    source: ['aws.s3'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['s3.amazonaws.com'],
      eventName: ['GetObject'],
      errorCode: ['InvalidObjectState'],
      ...(watchedBuckets.includes('*') ? {} : { requestParameters: { bucketName: [...watchedBuckets] } }),
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
