/** The bulk-restore function's environment, validated once at cold start; the CDK construct builds it from the same type. */
import { z } from 'zod';

const seconds = z.coerce.number().positive();

export const restoreBatchEnvSchema = z.object({
  OBJECTS_TABLE: z.string().min(1),
  NOTICES_TABLE: z.string().min(1),
  /** Where manifests of retried tasks are written (the stack's manifest bucket). */
  MANIFEST_BUCKET: z.string().min(1),
  /** The account whose S3 Control jobs the batch runs. */
  ACCOUNT_ID: z.string().regex(/^\d{12}$/),
  /** The tier's documented maximum after submission, per archive depth and tier: when the batch is expected ready, and when missing completions are looked for with HeadObject. */
  BATCH_READY_FLEXIBLE_STANDARD_SECONDS: seconds,
  BATCH_READY_FLEXIBLE_BULK_SECONDS: seconds,
  BATCH_READY_DEEP_STANDARD_SECONDS: seconds,
  BATCH_READY_DEEP_BULK_SECONDS: seconds,
  /** How long after submission a batch of Flexible Retrieval / Intelligent-Tiering Archive Access objects may take, per tier, before it ends partial (the tier's maximum plus a margin). */
  BATCH_DEADLINE_FLEXIBLE_STANDARD_SECONDS: seconds,
  BATCH_DEADLINE_FLEXIBLE_BULK_SECONDS: seconds,
  BATCH_DEADLINE_DEEP_STANDARD_SECONDS: seconds,
  BATCH_DEADLINE_DEEP_BULK_SECONDS: seconds,
});

export type RestoreBatchEnv = z.infer<typeof restoreBatchEnvSchema>;
