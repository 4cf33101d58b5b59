/**
 * The events S3 and CloudTrail put on the default bus: "AWS API Call via CloudTrail" for a
 * refused GetObject (caller from the request signature, as CloudTrail records it), and
 * "Object Restore Completed" / "Object Restore Expired" with URL-encoded keys and, for a
 * version of an object in a versioned bucket, its `version-id`.
 */
import { randomUUID } from 'node:crypto';
import { encodeS3EventKey } from '../functions/domain/rules/object-id.js';
import type { EventBus, BusEvent } from './event-bus.js';
import type { ArchiveEntry } from './s3/archive-index.js';
import type { ReadRefused } from './s3/archive-layer.js';

/** Local callers are IAM users named after their access key (the principal map can use either). */
export function identityFor(accessKeyId: string | undefined, account: string) {
  if (!accessKeyId) return { type: 'AWSAccount', principalId: 'anonymous', accountId: 'anonymous' };
  return { type: 'IAMUser', principalId: accessKeyId, arn: `arn:aws:iam::${account}:user/${accessKeyId}`, accountId: account, accessKeyId, userName: accessKeyId };
}

export function refusedReadEvent(bus: EventBus, read: ReadRefused, account: string, region: string): BusEvent {
  const now = new Date();
  return bus.event(
    'aws.s3',
    'AWS API Call via CloudTrail',
    {
      eventVersion: '1.10',
      userIdentity: identityFor(read.accessKeyId, account),
      eventTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: region,
      sourceIPAddress: read.sourceIp,
      userAgent: read.userAgent,
      errorCode: 'InvalidObjectState',
      errorMessage: "The operation is not valid for the object's storage class",
      requestParameters: { bucketName: read.bucket, Host: 'localhost', key: read.key, ...(read.versionId ? { versionId: read.versionId } : {}) },
      responseElements: null,
      requestID: read.requestId,
      eventID: randomUUID(),
      readOnly: true,
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${read.bucket}/${read.key}` },
        { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${read.bucket}` },
      ],
      eventType: 'AwsApiCall',
      managementEvent: false,
      recipientAccountId: account,
      eventCategory: 'Data',
    },
    { time: now },
  );
}

export function restoreLifecycleEvent(bus: EventBus, kind: 'Object Restore Completed' | 'Object Restore Expired', bucket: string, key: string, entry: ArchiveEntry): BusEvent {
  return bus.event(
    'aws.s3',
    kind,
    {
      version: '0',
      bucket: { name: bucket },
      object: { key: encodeS3EventKey(key), ...(entry.versionId ? { 'version-id': entry.versionId } : {}) },
      'request-id': randomUUID(),
      requester: 's3.amazonaws.com',
      ...(kind === 'Object Restore Completed'
        ? { ...(entry.restore?.expiresAt ? { 'restore-expiry-time': new Date(entry.restore.expiresAt).toISOString() } : {}), 'source-storage-class': entry.storageClass }
        : {}),
    },
    { resources: [`arn:aws:s3:::${bucket}`] },
  );
}
