/** The reconciler's environment, validated once at cold start; the CDK construct builds it from the same type. */
import { z } from 'zod';

export const reconcileCyclesEnvSchema = z.object({
  OBJECTS_TABLE: z.string().min(1),
  AUDIT_TABLE: z.string().min(1),
  NOTICES_TABLE: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  /** A cycle younger than this is left alone: its execution may simply not have got far yet. */
  RECONCILE_GRACE_SECONDS: z.coerce.number().positive(),
});
