import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CostLedger, ledgerPartitionOf, type Charge } from '../../functions/domain/stores/ledger.js';
import { startTestState, type TestState } from '../support/dynamo.js';

let state: TestState;
let ledger: CostLedger;
let n = 0;
beforeAll(async () => {
  state = await startTestState();
  ledger = new CostLedger(state.ddb, state.tableNames.audit);
});
afterAll(() => state.stop());

const month = () => `2031-${String(++n).padStart(2, '0')}`;
const charge = (m: string, id: string, microUsd: number, extra: Partial<Charge> = {}): Charge => ({
  month: m,
  chargeId: id,
  bucket: 'archive',
  readerId: 'arn:aws:iam::1:user/alice',
  tier: 'Standard',
  microUsd,
  ...extra,
});

describe('the monthly cost ledger', () => {
  it('counts per month, bucket, reader and tier, and reads a month with two queries', async () => {
    const m = month();
    await ledger.charge(charge(m, 'a#1', 10_050));
    await ledger.charge(charge(m, 'b#1', 70_000, { bucket: 'photos', tier: 'Expedited' }));
    await ledger.charge(charge(m, 'c#1', 25, { readerId: 'arn:aws:iam::1:user/bob', tier: 'Bulk' }));
    const figures = await ledger.month(m);
    expect(figures.total).toEqual({ name: 'total', microUsd: 80_075, restores: 3 });
    expect(figures.by.bucket).toEqual([
      { name: 'photos', microUsd: 70_000, restores: 1 },
      { name: 'archive', microUsd: 10_075, restores: 2 },
    ]);
    expect(figures.by.tier.map((l) => l.name)).toEqual(['Expedited', 'Standard', 'Bulk']);
    expect(figures.by.reader).toHaveLength(2);
    expect((await ledger.month(month())).total).toEqual({ name: 'total', microUsd: 0, restores: 0 });
  });

  it('a retried charge of the same restore counts once', async () => {
    const m = month();
    expect(await ledger.charge(charge(m, 'a#1', 10_050))).toBe('CHARGED');
    expect(await ledger.charge(charge(m, 'a#1', 10_050))).toBe('ALREADY_CHARGED');
    expect(await ledger.spent(m)).toBe(10_050);
  });

  it('a first charge of the month over the whole budget is refused (no counter exists yet to compare with)', async () => {
    const m = month();
    expect(await ledger.charge(charge(m, 'a#1', 10_050), 0)).toBe('OVER_BUDGET');
    expect(await ledger.spent(m)).toBe(0);
  });

  it('twenty restores racing for a budget with room for three: exactly three pass', async () => {
    const m = month();
    await ledger.charge(charge(m, 'earlier#1', 1_000));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.charge(charge(m, `race-${i}#1`, 10_000), 31_000)));
    expect(results.filter((r) => r === 'CHARGED')).toHaveLength(3);
    expect(results.filter((r) => r === 'OVER_BUDGET')).toHaveLength(17);
    expect(await ledger.spent(m)).toBe(31_000);
  });

  it('a refund takes a charge back once, from every counter', async () => {
    const m = month();
    await ledger.charge(charge(m, 'keep#1', 5_000));
    const refused = charge(m, 'refused#1', 10_000, { bucket: 'photos' });
    await ledger.charge(refused);
    expect(await ledger.refund(refused)).toBe(true);
    expect(await ledger.refund(refused)).toBe(false);
    const figures = await ledger.month(m);
    expect(figures.total).toEqual({ name: 'total', microUsd: 5_000, restores: 1 });
    expect(figures.by.bucket.find((l) => l.name === 'photos')).toEqual({ name: 'photos', microUsd: 0, restores: 0 });
    // Taken back, the restore can be charged again (a retried step).
    expect(await ledger.charge(refused)).toBe('CHARGED');
    expect(await ledger.spent(m)).toBe(15_000);
  });

  it('a refund takes the charge back from the reader it was charged to, whoever the retried step now names', async () => {
    const m = month();
    // Charged to the cycle's opener; the step that refunds it (after a recheck, others subscribed) names another reader.
    await ledger.charge(charge(m, 'later#1', 4_000, { readerId: 'arn:aws:iam::1:user/zoe' }));
    expect(await ledger.refund(charge(m, 'later#1', 4_000, { readerId: 'arn:aws:iam::1:user/adam' }))).toBe(true);
    const figures = await ledger.month(m);
    expect(figures.total).toEqual({ name: 'total', microUsd: 0, restores: 0 });
    // The reader's figures are the markers naming them: the refunded charge's went with it.
    expect(figures.by.reader).toEqual([]);
  });

  it('a charge made by the version before (a marker without its names, counters as items) is refunded to zero', async () => {
    const m = month();
    const partition = ledgerPartitionOf(m);
    const old = charge(m, 'old#1', 2_500, { bucket: 'photos', tier: 'Bulk' });
    await ledger.charge(old);
    // Rewrite it as the version before wrote it: the marker knows only the charge id and the cost.
    const markers = await state.ddb.send(new QueryCommand({ TableName: state.tableNames.audit, KeyConditionExpression: 'objectId = :p', ExpressionAttributeValues: { ':p': `${partition}#charges` } }));
    const marker = markers.Items?.[0] ?? {};
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId: marker.objectId as string, at: marker.at as string, chargeId: old.chargeId, microUsd: old.microUsd } }));
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId: partition, at: 'total', microUsd: 2_500, restores: 1 } }));
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId: partition, at: 'bucket#photos', microUsd: 2_500, restores: 1 } }));
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId: partition, at: 'tier#Bulk', microUsd: 2_500, restores: 1 } }));
    await state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId: partition, at: 'reader#arn:aws:iam::1:user/alice', microUsd: 2_500, restores: 1 } }));
    expect((await ledger.month(m)).by.reader).toEqual([{ name: 'arn:aws:iam::1:user/alice', microUsd: 2_500, restores: 1 }]);
    expect(await ledger.refund(old)).toBe(true);
    const figures = await ledger.month(m);
    expect(figures.total).toEqual({ name: 'total', microUsd: 0, restores: 0 });
    expect(figures.by.bucket).toEqual([{ name: 'photos', microUsd: 0, restores: 0 }]);
    expect(figures.by.tier).toEqual([{ name: 'Bulk', microUsd: 0, restores: 0 }]);
    expect(figures.by.reader).toEqual([{ name: 'arn:aws:iam::1:user/alice', microUsd: 0, restores: 0 }]);
  });

  it('a refused charge can be made later, once approved (no budget)', async () => {
    const m = month();
    expect(await ledger.charge(charge(m, 'a#1', 10_000), 5_000)).toBe('OVER_BUDGET');
    expect(await ledger.charge(charge(m, 'a#1', 10_000))).toBe('CHARGED');
    expect(await ledger.spent(m)).toBe(10_000);
  });

  it('a charge is two writes: its marker, which counts for its reader, and the total with its bucket and tier', async () => {
    const m = month();
    await ledger.charge(charge(m, 'a#1', 10_050, { bucket: 'photos', tier: 'Bulk' }));
    const out = await state.ddb.send(new QueryCommand({ TableName: state.tableNames.audit, KeyConditionExpression: 'objectId = :p', ExpressionAttributeValues: { ':p': ledgerPartitionOf(m) } }));
    expect(out.Items?.map((i) => i.at as string)).toEqual(['total']);
    const markers = await state.ddb.send(
      new QueryCommand({ TableName: state.tableNames.audit, KeyConditionExpression: 'objectId = :p', ExpressionAttributeValues: { ':p': `${ledgerPartitionOf(m)}#charges` } }),
    );
    expect(markers.Items).toEqual([expect.objectContaining({ readerId: 'arn:aws:iam::1:user/alice', microUsd: 10_050, countsReader: true })]);
    expect(out.Items?.find((i) => i.at === 'total')).toMatchObject({ 'microUsd#bucket#photos': 10_050, 'restores#bucket#photos': 1, 'microUsd#tier#Bulk': 10_050, 'restores#tier#Bulk': 1 });
  });

  it('a month whose bucket and tier counters were written as items of their own still reads, added to the new counters', async () => {
    const m = month();
    const partition = ledgerPartitionOf(m);
    const put = (at: string, microUsd: number, restores: number) => state.ddb.send(new PutCommand({ TableName: state.tableNames.audit, Item: { objectId: partition, at, microUsd, restores } }));
    // The shape of the version before: one item per month total, bucket, reader and tier.
    await put('total', 3_000, 2);
    await put('bucket#archive', 2_000, 1);
    await put('bucket#photos', 1_000, 1);
    await put('reader#arn:aws:iam::1:user/alice', 3_000, 2);
    await put('tier#Standard', 3_000, 2);
    await ledger.charge(charge(m, 'new#1', 500));
    const figures = await ledger.month(m);
    expect(figures.total).toEqual({ name: 'total', microUsd: 3_500, restores: 3 });
    expect(figures.by.bucket).toEqual([
      { name: 'archive', microUsd: 2_500, restores: 2 },
      { name: 'photos', microUsd: 1_000, restores: 1 },
    ]);
    expect(figures.by.reader).toEqual([{ name: 'arn:aws:iam::1:user/alice', microUsd: 3_500, restores: 3 }]);
    expect(figures.by.tier).toEqual([{ name: 'Standard', microUsd: 3_500, restores: 3 }]);
    // A refund of the new charge takes it back from the new counters, leaving the old items as they were.
    expect(await ledger.refund(charge(m, 'new#1', 500))).toBe(true);
    expect((await ledger.month(m)).by.reader).toEqual([{ name: 'arn:aws:iam::1:user/alice', microUsd: 3_000, restores: 2 }]);
    expect((await ledger.month(m)).by.bucket).toEqual([
      { name: 'archive', microUsd: 2_000, restores: 1 },
      { name: 'photos', microUsd: 1_000, restores: 1 },
    ]);
  });

  it('a bucket name with expression-like characters is only ever an attribute name', async () => {
    const m = month();
    const odd = 'a.b-c';
    await state.ddb.send(
      new UpdateCommand({
        TableName: state.tableNames.audit,
        Key: { objectId: ledgerPartitionOf(m), at: 'total' },
        UpdateExpression: 'SET #x = :v',
        ExpressionAttributeNames: { '#x': 'note' },
        ExpressionAttributeValues: { ':v': 'not a counter' },
      }),
    );
    await ledger.charge(charge(m, 'a#1', 700, { bucket: odd }));
    expect((await ledger.month(m)).by.bucket).toEqual([{ name: odd, microUsd: 700, restores: 1 }]);
  });
});
