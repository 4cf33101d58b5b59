/** `autorestore batch show`: a job's tasks S3 counts as failed are shown by what its report says they were. */
import { describe, expect, it } from 'vitest';
import { jobLine } from '../../cli/commands/batch.js';
import type { BatchJob } from '../../functions/domain/stores/batches.js';

const job = (fields: Partial<BatchJob>): BatchJob => ({ kind: 'archive', manifestKey: 'm.csv', manifestEtag: 'e', count: 10, deep: false, attempt: 0, jobId: 'j1', status: 'Complete', ...fields });

describe('batch show', () => {
  it('shows restores already under way, deleted and retried tasks apart from the failed ones, once the report is read', () => {
    expect(jobLine(job({ succeeded: 4, failed: 6, reported: true, alreadyRestoring: 3, deleted: 1, retried: 1 }))).toBe(
      'job j1 archive: Complete, 4 accepted, 3 already restoring, 1 deleted since listed, 1 retried, 1 failed of 10',
    );
    expect(jobLine(job({ succeeded: 7, failed: 3, reported: true, alreadyRestoring: 3, deleted: 0, retried: 0 }))).toBe('job j1 archive: Complete, 7 accepted, 3 already restoring, 0 failed of 10');
  });

  it('does not call S3’s failed count failures before the report says what they were', () => {
    expect(jobLine(job({ status: 'Active', succeeded: 4, failed: 3 }))).toBe(
      'job j1 archive: Active, 4 accepted, 3 not accepted of 10 (its report, once read, tells the already restoring from the failed)',
    );
    expect(jobLine(job({ jobId: undefined, status: undefined, attempt: 1 }))).toBe('job (not created yet) archive retry 1: New, 0 accepted, 0 not accepted of 10');
  });
});
