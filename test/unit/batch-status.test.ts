/** A batch's end and its cancellation are conditional writes: neither overwrites the other. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchBook, type BatchRecord } from '../../functions/domain/stores/batches.js';
import { startTestState, type TestState } from '../support/dynamo.js';

let state: TestState;
let batches: BatchBook;
beforeAll(async () => {
  state = await startTestState();
  batches = new BatchBook(state.ddb, state.tableNames.objects);
});
afterAll(() => state.stop());

const NOW = new Date('2026-11-23T06:00:00Z');
function batch(batchId: string): BatchRecord {
  return {
    objectId: `#batch#${batchId}`,
    batchId,
    bucket: 'b',
    prefix: 'p/',
    requestKey: `req-${batchId}`,
    status: 'RESTORING',
    tier: 'BULK',
    jobs: [],
    objectCount: 3,
    recipients: [],
    createdAt: NOW.toISOString(),
    expectedReadyAt: NOW.toISOString(),
    deadline: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
  };
}

describe('batch status', () => {
  it('a cancel that lands after the workflow read the batch wins: the batch ends CANCELLED, not READY', async () => {
    await batches.create(batch('raced'));
    const readByWorkflow = (await batches.get('raced'))!;
    expect(await batches.setStatus('raced', 'CANCELLED', NOW, ['READY', 'PARTIAL', 'FAILED', 'CANCELLED'])).toMatchObject({ status: 'CANCELLED' });
    expect(await batches.end(readByWorkflow, 'READY', NOW)).toMatchObject({ status: 'CANCELLED' });
    expect(await batches.get('raced')).toMatchObject({ status: 'CANCELLED' });
  });

  it('a workflow step that read the batch before a cancel writes its fields but leaves the batch CANCELLED', async () => {
    await batches.create(batch('reports'));
    expect(await batches.setStatus('reports', 'CANCELLED', NOW, ['READY', 'PARTIAL', 'FAILED', 'CANCELLED'])).toMatchObject({ status: 'CANCELLED' });
    expect(await batches.update('reports', { status: 'RESTORING', expectedCount: 3 }, NOW)).toMatchObject({ status: 'CANCELLED', expectedCount: 3 });
    expect(await batches.update('reports', { status: 'RUNNING' }, NOW)).toMatchObject({ status: 'CANCELLED' });
  });

  it('a cancel of a batch that ended meanwhile changes nothing', async () => {
    await batches.create(batch('done'));
    await batches.end((await batches.get('done'))!, 'READY', NOW);
    expect(await batches.setStatus('done', 'CANCELLED', NOW, ['READY', 'PARTIAL', 'FAILED', 'CANCELLED'])).toBeUndefined();
    expect(await batches.get('done')).toMatchObject({ status: 'READY' });
  });
});
