/**
 * Which bucket a refused read was aimed at. A read through an S3 access point names the
 * access point (its ARN in `resources` or `requestParameters.accessPointArn`, its alias in
 * `requestParameters.bucketName`); CloudTrail then lists the underlying bucket among the
 * event's `resources` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-monitoring-logging.html).
 * Without that bucket the read cannot be attributed, and is ignored with the reason.
 */

export interface CloudTrailResource {
  type?: string;
  ARN?: string;
}

export type ReadTarget = { bucket: string; accessPoint?: string } | { unattributed: string };

/** Access point aliases end in `-s3alias`; Object Lambda ones in `--ol-s3`; Multi-Region ones in `.mrap`. */
const ACCESS_POINT_ALIAS = /(-s3alias|--ol-s3|\.mrap)$/;
const BUCKET_ARN = /^arn:[^:]+:s3:::([^/]+)$/;

export function readTargetOf(params: { bucketName: string; accessPointArn?: string }, resources: readonly CloudTrailResource[] = []): ReadTarget {
  const namedAccessPoint = params.bucketName.startsWith('arn:') || ACCESS_POINT_ALIAS.test(params.bucketName) ? params.bucketName : undefined;
  const accessPoint = params.accessPointArn ?? resources.find((r) => r.type === 'AWS::S3::AccessPoint')?.ARN ?? namedAccessPoint;
  if (!accessPoint) return { bucket: params.bucketName };
  const bucketArn = resources.find((r) => r.type === 'AWS::S3::Bucket')?.ARN;
  const bucket = bucketArn ? BUCKET_ARN.exec(bucketArn)?.[1] : undefined;
  if (!bucket) return { unattributed: `read through access point ${accessPoint} names no bucket in its resources` };
  return { bucket, accessPoint };
}
