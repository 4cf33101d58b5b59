/**
 * S3's restore events as they may really arrive, injected with `aws events put-events`:
 * late, repeated, with the key raw or form-encoded, for objects never seen; and object ids
 * that keep a literal `?versionId=` in a key apart from a version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeS3EventKey, objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const BUCKET = 'events-archive';
const READER = 'AKIAEVENTSREADER0001';

beforeAll(async () => {
  // Deep Archive Bulk takes 48 simulated hours, 48 s here: the restore is still running while
  // the tests inject their events.
  h = await startHarness({ realMsPerSimulatedHour: 1000, restoreTiers: { GLACIER: 'Bulk', DEEP_ARCHIVE: 'Bulk' } });
  await h.createBucket(BUCKET);
  await h.principals.put(READER, 'events@example.com', new Date());
});
afterAll(() => h.stop());

function restoreEvent(detailType: 'Object Restore Completed' | 'Object Restore Expired', eventKey: string, time?: Date) {
  return {
    Source: 'aws.s3',
    DetailType: detailType,
    Resources: [`arn:aws:s3:::${BUCKET}`],
    ...(time ? { Time: time.toISOString() } : {}),
    Detail: JSON.stringify({
      version: '0',
      bucket: { name: BUCKET },
      object: { key: eventKey },
      'request-id': 'EXAMPLEREQUEST',
      requester: 's3.amazonaws.com',
      ...(detailType === 'Object Restore Completed' ? { 'restore-expiry-time': '2026-12-30T00:00:00Z', 'source-storage-class': 'DEEP_ARCHIVE' } : {}),
    }),
  };
}

async function putEvents(entries: object[]) {
  const before = h.cloud.functions.invocations.get('restore-completed') ?? 0;
  const put = await h.cli(['events', 'put-events', '--entries', JSON.stringify(entries)]);
  expect(put.code).toBe(0);
  expect(JSON.parse(put.stdout)).toMatchObject({ FailedEntryCount: 0 });
  await eventually(() => (h.cloud.functions.invocations.get('restore-completed') ?? 0) >= before + entries.length, 'the events to reach restore-completed');
  await h.cloud.bus.drain();
}

describe.runIf(cli)('restore events from S3, as they may really arrive', () => {
  it('a completion from before the cycle, and one while S3 still restores, neither mark the object restored nor send "ready"', async () => {
    const key = 'late/report + summary 100%.bin';
    await h.putObject(BUCKET, key, 'DEEP_ARCHIVE');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    await eventually(async () => (await h.records.get(objectIdOf({ bucket: BUCKET, key })))?.taskToken, 'the workflow to wait for the restore');
    const { cycleStartedAt } = (await h.records.get(objectIdOf({ bucket: BUCKET, key })))!;

    await putEvents([restoreEvent('Object Restore Completed', key, new Date(Date.parse(cycleStartedAt) - 3_600_000)), restoreEvent('Object Restore Completed', encodeS3EventKey(key))]);

    expect(await h.records.get(objectIdOf({ bucket: BUCKET, key }))).toMatchObject({ status: 'RESTORING', taskToken: expect.any(String) });
    expect(await h.auditTypes(BUCKET, key)).not.toContain('RESTORE_COMPLETED');
    expect(h.cloud.ses.list().filter((m) => m.subject.includes('ready'))).toEqual([]);
    expect(h.cloud.bus.deadLetters).toEqual([]);
  });

  it('an expiry for an object never seen, its key not valid form encoding, is dropped, not dead-lettered', async () => {
    await putEvents([restoreEvent('Object Restore Expired', '%E0%A4%A never seen 100%.bin'), restoreEvent('Object Restore Completed', 'never seen either+.bin')]);
    expect(h.cloud.bus.deadLetters).toEqual([]);
  });

  it('the key "a?versionId=v1" is its own object: its own record and execution, not version v1 of "a"', async () => {
    const key = 'ids/a?versionId=v1';
    await h.putObject(BUCKET, key, 'GLACIER');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    const record = await eventually(async () => {
      const found = await h.records.get(objectIdOf({ bucket: BUCKET, key }));
      return found?.executionArn ? found : undefined;
    }, 'the execution of the literal key');
    expect(record).toMatchObject({ objectId: `s3://${BUCKET}/ids/a%3FversionId=v1`, key });
    expect(await h.records.get(objectIdOf({ bucket: BUCKET, key: 'ids/a', versionId: 'v1' }))).toBeUndefined();
    const history = await h.cli(['--output', 'json', 'stepfunctions', 'describe-execution', '--execution-arn', record.executionArn!]);
    expect(JSON.parse((JSON.parse(history.stdout) as { input: string }).input)).toMatchObject({ object: { bucket: BUCKET, key }, objectId: record.objectId });
  });
});
