/** The dependencies of the workflow steps and the aggregator, as the tests build them (SDK clients mocked per file). */
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { AggregatorDeps } from '../../functions/notify-aggregator/aggregator.js';
import type { StepDeps } from '../../functions/restore-steps/steps.js';
import { CostLedger } from '../../functions/domain/stores/ledger.js';
import { loadPriceTable } from '../../infra/price-table.js';
import type { TestState } from './dynamo.js';
import { recordingLog } from './log.js';

export function stepDepsFor(state: TestState, overrides: Partial<StepDeps> = {}): StepDeps {
  return {
    s3: new S3Client({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    records: state.records,
    audit: state.audit,
    tiers: { GLACIER: 'Standard', DEEP_ARCHIVE: 'Bulk', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Bulk' },
    restoreDays: 7,
    prices: loadPriceTable(),
    ledger: new CostLedger(state.ddb, state.tableNames.audit),
    notices: state.notices,
    maxWaitCycles: 3,
    now: () => new Date(),
    log: recordingLog(),
    ...overrides,
  };
}

export function aggregatorDepsFor(state: TestState, overrides: Partial<AggregatorDeps> = {}): AggregatorDeps {
  return {
    ses: new SESv2Client({ region: 'us-east-1' }),
    records: state.records,
    notices: state.notices,
    principals: state.principals,
    audit: state.audit,
    sender: 'restores@example.com',
    rules: { debounceMs: 0, maxWaitMs: 0 },
    maxFilesPerEmail: 100,
    unresolvedRetentionMs: 7 * 24 * 3600_000,
    leaseMs: 300_000,
    now: () => new Date(),
    log: recordingLog(),
    metrics: { count: () => undefined, milliseconds: () => undefined },
    ...overrides,
  };
}
