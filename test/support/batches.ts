/** A bulk restore's record and the restore-batch steps' dependencies, for tests on a real (dynalite) table. */
import { S3Client } from '@aws-sdk/client-s3';
import type { BatchBook, BatchRecord } from '../../functions/domain/stores/batches.js';
import { S3ControlClient } from '../../functions/restore-batch/s3control.js';
import type { BatchStepDeps } from '../../functions/restore-batch/steps.js';
import type { TestState } from './dynamo.js';

/** A batch of 3 objects under `p/` in bucket `b`, created at `now`; `fields` set the rest. */
export function batchRecord(batchId: string, now: Date, fields: Partial<BatchRecord> = {}): BatchRecord {
  return {
    objectId: `#batch#${batchId}`,
    batchId,
    bucket: 'b',
    prefix: 'p/',
    requestKey: `req-${batchId}`,
    status: 'RESTORING',
    tier: 'STANDARD',
    jobs: [],
    objectCount: 3,
    recipients: [],
    createdAt: now.toISOString(),
    expectedReadyAt: now.toISOString(),
    deadline: now.toISOString(),
    updatedAt: now.toISOString(),
    ...fields,
  };
}

/** The steps' dependencies at `now`: Standard restores take 5 hours, Bulk 12; S3 and S3 Control as given. */
export function batchStepDeps(state: TestState, batches: BatchBook, now: Date, clients: { s3?: S3Client; control?: S3ControlClient; manifestBucket?: string } = {}): BatchStepDeps {
  const hours = { STANDARD: 5 * 3600, BULK: 12 * 3600 };
  return {
    s3: clients.s3 ?? new S3Client({ region: 'us-east-1' }),
    control: clients.control ?? new S3ControlClient({ accountId: '111122223333', region: 'us-east-1', credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } }),
    batches,
    notices: state.notices,
    manifestBucket: clients.manifestBucket ?? 'manifests',
    readySeconds: { flexible: hours, deep: hours },
    deadlineSeconds: { flexible: hours, deep: hours },
    now: () => now,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  };
}
