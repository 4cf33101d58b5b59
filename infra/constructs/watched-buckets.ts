/** ARNs of the watched buckets and their objects, for IAM statements and trail selectors. */
import { Arn, type Stack } from 'aws-cdk-lib';

/** `arn:<partition>:s3:::<bucket>`: bucket-level actions (s3:ListBucket). */
export function watchedBucketArns(buckets: readonly string[], stack: Stack): string[] {
  return buckets.map((bucket) => Arn.format({ service: 's3', region: '', account: '', resource: bucket }, stack));
}

/** `arn:<partition>:s3:::<bucket>/*`: object-level actions (GetObject, RestoreObject). */
export function watchedObjectArns(buckets: readonly string[], stack: Stack): string[] {
  return buckets.map((bucket) => Arn.format({ service: 's3', region: '', account: '', resource: bucket, resourceName: '*' }, stack));
}
