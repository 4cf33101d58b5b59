/** Schemas for the events the functions receive, parsed once at the boundary. */
import { z } from 'zod';

const userIdentity = z
  .object({
    type: z.string().optional(),
    principalId: z.string().optional(),
    arn: z.string().optional(),
    accountId: z.string().optional(),
    accessKeyId: z.string().optional(),
    userName: z.string().optional(),
    invokedBy: z.string().optional(),
    sessionContext: z
      .object({ sessionIssuer: z.object({ type: z.string(), principalId: z.string(), userName: z.string(), arn: z.string(), accountId: z.string() }).partial().loose() })
      .partial()
      .loose()
      .optional(),
    onBehalfOf: z.object({ userId: z.string(), identityStoreArn: z.string() }).partial().loose().optional(),
  })
  .loose();

/** CloudTrail's `resources`: the object, the bucket and, for a read through an access point, the access point. */
const cloudTrailResources = z
  .array(z.object({ type: z.string().optional(), ARN: z.string().optional(), accountId: z.string().optional() }).loose())
  .optional()
  .catch(undefined);

/** "AWS API Call via CloudTrail" for a GetObject that S3 refused because the object is archived. */
export const archivedReadEventSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.literal('aws.s3'),
  account: z.string(),
  time: z.string(),
  detail: z
    .object({
      eventID: z.string().min(1),
      eventTime: z.iso.datetime({ offset: true }),
      eventName: z.literal('GetObject'),
      errorCode: z.literal('InvalidObjectState'),
      recipientAccountId: z.string().optional(),
      sourceIPAddress: z.string().optional(),
      userAgent: z.string().optional(),
      userIdentity: userIdentity.default({}),
      resources: cloudTrailResources,
      requestParameters: z
        .object({
          // The bucket, or the alias of the access point the read went through.
          bucketName: z.string().min(1),
          key: z.string().min(1),
          versionId: z.string().min(1).optional(),
          accessPointArn: z.string().min(1).optional(),
        })
        .loose(),
    })
    .loose(),
});
export type ArchivedReadEvent = z.infer<typeof archivedReadEventSchema>;

/** S3's EventBridge "Object Restore Completed" / "Object Restore Expired". */
export const restoreEventSchema = z.object({
  id: z.string(),
  'detail-type': z.enum(['Object Restore Completed', 'Object Restore Expired']),
  source: z.literal('aws.s3'),
  account: z.string(),
  time: z.iso.datetime({ offset: true }),
  detail: z
    .object({
      bucket: z.object({ name: z.string().min(1) }),
      object: z.object({ key: z.string().min(1), 'version-id': z.string().optional(), size: z.number().optional(), etag: z.string().optional() }).loose(),
      'restore-expiry-time': z.string().optional(),
      'source-storage-class': z.string().optional(),
    })
    .loose(),
});
export type RestoreEvent = z.infer<typeof restoreEventSchema>;
