/** A batch's end and its cancellation are conditional writes: neither overwrites the other. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { BatchBook, type BatchRecord } from '../../functions/domain/stores/batches.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { batchRecord } from '../support/batches.js';

let state: TestState;
let batches: BatchBook;
beforeAll(async () => {
  state = await startTestState();
  batches = new BatchBook(state.ddb, state.tableNames.objects);
});
afterAll(() => state.stop());

const NOW = new Date('2026-11-23T06:00:00Z');
const batch = (batchId: string): BatchRecord => batchRecord(batchId, NOW, { tier: 'BULK' });

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

describe('batch counts', () => {
  const ref = (key: string) => ({ bucket: 'b', key });
  const restored = { restoredAt: NOW.toISOString() };

  it('a completion after a HeadObject sample ended the count records the object but never lifts the count past the restores S3 accepted', async () => {
    await batches.create({ ...batch('sampled'), expectedCount: 3 });
    expect(await batches.recordRestored((await batches.get('sampled'))!, ref('p/0'), restored, NOW)).toMatchObject({ counted: true });
    // The sample found the objects restored while their events were missing: the count stands at 3.
    await batches.update('sampled', { restoredCount: 3 }, NOW);
    expect(await batches.recordRestored((await batches.get('sampled'))!, ref('p/1'), restored, NOW)).toMatchObject({ counted: false });
    expect(await batches.recordRestored((await batches.get('sampled'))!, ref('p/2'), restored, NOW)).toMatchObject({ counted: false });
    expect(await batches.get('sampled')).toMatchObject({ restoredCount: 3, expectedCount: 3 });
    // Each object still has its own record naming the batch.
    expect(await state.records.get(objectIdOf(ref('p/2')))).toMatchObject({ status: 'RESTORED', batchId: 'sampled' });
  });

  it('counts each completion once while the count is below what S3 accepted, and before the reports are read', async () => {
    await batches.create(batch('counting'));
    expect(await batches.recordRestored((await batches.get('counting'))!, ref('p/a'), restored, NOW)).toMatchObject({ counted: true });
    expect(await batches.recordRestored((await batches.get('counting'))!, ref('p/a'), restored, NOW)).toMatchObject({ counted: false });
    await batches.update('counting', { expectedCount: 2 }, NOW);
    expect(await batches.recordRestored((await batches.get('counting'))!, ref('p/b'), restored, NOW)).toMatchObject({ counted: true });
    expect(await batches.get('counting')).toMatchObject({ restoredCount: 2 });
  });
});
