/**
 * The restore-batch workflow's definition and its function's environment, one source for the
 * CDK stack (CloudFormation substitutes the ARNs) and the local cloud (which substitutes here).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { restoreBatchEnvSchema } from '../../functions/restore-batch/env.js';
import type { EnvVars } from '../../functions/domain/wiring/config.js';
import type { TimeScale } from '../function-environments.js';

export const BATCH_DEFINITION_PATH = fileURLToPath(new URL('../../statemachines/restore-batch.asl.json', import.meta.url));

export interface BatchDefinitionSubstitutions {
  RestoreBatchFunctionArn: string;
  AccountId: string;
  /** The role S3 Batch Operations assumes to run the jobs. */
  BatchOperationsRoleArn: string;
  /** Manifests are read from, and completion reports written to, this bucket. */
  ManifestBucketArn: string;
  /** Whole seconds between two looks at the jobs, and between two looks at the restores. */
  JobPollSeconds: string;
  ReadyPollSeconds: string;
}

export function batchDefinitionTemplate(): string {
  return readFileSync(BATCH_DEFINITION_PATH, 'utf8');
}

export function renderBatchDefinition(substitutions: BatchDefinitionSubstitutions): string {
  return batchDefinitionTemplate().replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = (substitutions as unknown as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}}`);
    return value;
  });
}

/** How often the workflow looks at its jobs (they run minutes to hours) and at the restores (hours). */
export const JOB_POLL_SECONDS = 5 * 60;
export const READY_POLL_SECONDS = 30 * 60;

const HOUR = 3600;
/** The tier's documented maximum (functions/domain/rules/archive.ts `restoreDurationMs`). */
export const BATCH_READY_SECONDS = {
  flexible: { STANDARD: 5 * HOUR, BULK: 12 * HOUR },
  deep: { STANDARD: 12 * HOUR, BULK: 48 * HOUR },
} as const;
/** The tier's documented maximum plus a margin for the jobs themselves, after which a batch ends partial. */
export const BATCH_DEADLINE_SECONDS = {
  flexible: { STANDARD: 5 * HOUR + 6 * HOUR, BULK: 12 * HOUR + 6 * HOUR },
  deep: { STANDARD: 12 * HOUR + 12 * HOUR, BULK: 48 * HOUR + 12 * HOUR },
} as const;

export function batchFunctionEnvironment(
  resources: { objectsTable: string; noticesTable: string; manifestBucket: string; account: string },
  scale: TimeScale = { realSeconds: (s) => s },
): EnvVars<typeof restoreBatchEnvSchema> {
  const seconds = (s: number) => String(scale.realSeconds(s));
  return {
    OBJECTS_TABLE: resources.objectsTable,
    NOTICES_TABLE: resources.noticesTable,
    MANIFEST_BUCKET: resources.manifestBucket,
    ACCOUNT_ID: resources.account,
    BATCH_READY_FLEXIBLE_STANDARD_SECONDS: seconds(BATCH_READY_SECONDS.flexible.STANDARD),
    BATCH_READY_FLEXIBLE_BULK_SECONDS: seconds(BATCH_READY_SECONDS.flexible.BULK),
    BATCH_READY_DEEP_STANDARD_SECONDS: seconds(BATCH_READY_SECONDS.deep.STANDARD),
    BATCH_READY_DEEP_BULK_SECONDS: seconds(BATCH_READY_SECONDS.deep.BULK),
    BATCH_DEADLINE_FLEXIBLE_STANDARD_SECONDS: seconds(BATCH_DEADLINE_SECONDS.flexible.STANDARD),
    BATCH_DEADLINE_FLEXIBLE_BULK_SECONDS: seconds(BATCH_DEADLINE_SECONDS.flexible.BULK),
    BATCH_DEADLINE_DEEP_STANDARD_SECONDS: seconds(BATCH_DEADLINE_SECONDS.deep.STANDARD),
    BATCH_DEADLINE_DEEP_BULK_SECONDS: seconds(BATCH_DEADLINE_SECONDS.deep.BULK),
  };
}
