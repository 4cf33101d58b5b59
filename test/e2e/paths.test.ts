/** Each way a restore can go, end to end, including events a person injects by hand. */
import { DeleteObjectCommand, HeadObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { LOCAL_ACCOUNT } from '../../local/cloud.js';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const BUCKET = 'paths-archive';
const READER = 'AKIAPATHSREADER00001';

beforeAll(async () => {
  // Glacier restores use Expedited (3 simulated minutes: done about when the workflow stores its token);
  // Deep Archive uses Bulk (48 simulated hours: longer than one 24-hour wait).
  // Restored copies last a simulated year (over seven real minutes at this scale): the CLI calls in
  // these tests take seconds each on a busy machine, and a copy that expired midway would change the path.
  h = await startHarness({ realMsPerSimulatedHour: 50, restoreDays: 365, restoreTiers: { GLACIER: 'Expedited', DEEP_ARCHIVE: 'Bulk' } });
  await h.createBucket(BUCKET);
  await h.principals.put(READER, 'paths@example.com', new Date());
});
afterAll(() => h.stop());

async function finishedExecution(key: string) {
  const prefix = key
    .split('/')
    .pop()!
    .replace(/[^0-9A-Za-z_-]+/g, '_');
  const [execution] = await eventually(
    async () => {
      const found = (await h.executions()).filter((e) => e.name!.startsWith(`${prefix}-`));
      return found.length === 1 && found[0]!.status !== 'RUNNING' ? found : undefined;
    },
    `the execution for ${key}`,
    30_000,
  );
  return { execution: execution!, path: await h.path(execution!.executionArn!) };
}

/** A CloudTrail event typed by hand, as an operator would with `aws events put-events`. */
function handMadeRead(key: string) {
  return JSON.stringify([
    {
      Source: 'aws.s3',
      DetailType: 'AWS API Call via CloudTrail',
      Detail: JSON.stringify({
        eventID: `hand-${key}`,
        eventTime: new Date().toISOString(),
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        errorCode: 'InvalidObjectState',
        recipientAccountId: LOCAL_ACCOUNT,
        userIdentity: h.cloud.identityFor(READER),
        requestParameters: { bucketName: BUCKET, key },
      }),
    },
  ]);
}

describe('restore paths end to end', () => {
  it('Intelligent-Tiering Deep Archive Access: restored without Days', async () => {
    const key = 'it/deep tier.bin';
    await h.putObject(BUCKET, key, 'INTELLIGENT_TIERING', 'DEEP_ARCHIVE_ACCESS');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    const { path } = await finishedExecution(key);
    expect(path).toContain('Request restore and wait');
    const requested = (await h.audit.history(objectIdOf({ bucket: BUCKET, key }))).find((e) => e.type === 'RESTORE_REQUESTED')!;
    expect(requested.detail).toMatchObject({ archiveKind: 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS', tier: 'Standard' });
    expect(requested.detail).not.toHaveProperty('days');
  });

  it('a restore done in three simulated minutes: whether the completion or the stored token comes first, one restore, one "ready" email', async () => {
    const key = 'glacier/expedited.bin';
    await h.putObject(BUCKET, key, 'GLACIER');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    const { path, execution } = await finishedExecution(key);
    expect(execution.status).toBe('SUCCEEDED');
    expect(path.slice(0, 4)).toEqual(['Inspect object', 'What state is the object in?', 'Request restore and wait', 'Were the readers told it is ready?']);
    expect(path.at(-1)).toBe('File is ready');
    const types = await h.auditTypes(BUCKET, key);
    expect(types.filter((t) => t === 'RESTORE_REQUESTED')).toHaveLength(1);
    expect(types.filter((t) => t === 'WAITING_FOR_RESTORE')).toHaveLength(1);
    const ready = await eventually(() => {
      const found = h.cloud.ses.list().filter((m) => m.subject.includes('ready') && m.text.includes(key));
      return found.length > 0 ? found : undefined;
    }, 'the ready email');
    expect(ready).toHaveLength(1);
  });

  it('object deleted during the wait: the cycle closes and the reader is told', async () => {
    const key = 'deep/doomed.bin';
    await h.putObject(BUCKET, key, 'DEEP_ARCHIVE');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    await eventually(async () => (await h.auditTypes(BUCKET, key)).includes('WAITING_FOR_RESTORE'), 'the wait');
    await h.s3().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const { path, execution } = await finishedExecution(key);
    expect(execution.status).toBe('SUCCEEDED');
    expect(path.slice(-5)).toEqual(['Is the restore done?', 'Close cycle: object deleted', 'Notify readers of the failure', 'How did it end?', 'Ended: object deleted']);
    await eventually(() => h.cloud.ses.list().some((m) => m.subject === '1 file could not be restored' && m.text.includes(key)), 'the failure email');
  });

  it.runIf(cli)('already restored (hand-made event through the AWS CLI): straight to "ready", no second RestoreObject', async () => {
    const key = 'by-hand/already restored.csv';
    await h.putObject(BUCKET, key, 'GLACIER');
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: key, RestoreRequest: { Days: 365, GlacierJobParameters: { Tier: 'Expedited' } } }));
    // Watched through HeadObject: a read while the restore runs would be refused and start a cycle of its own.
    await eventually(async () => (await h.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Restore?.includes('ongoing-request="false"'), 'the manual restore');
    const restores = h.cloud.s3.calls.get('RestoreObject') ?? 0;
    const put = await h.cli(['events', 'put-events', '--entries', handMadeRead(key)]);
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ FailedEntryCount: 0 });
    const { path } = await finishedExecution(key);
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Notify: file ready', 'File is ready']);
    expect(h.cloud.s3.calls.get('RestoreObject')).toBe(restores);
  });

  it.runIf(cli)('not archived (hand-made event): the cycle closes with nothing to restore', async () => {
    const key = 'by-hand/plain.txt';
    await h.putObject(BUCKET, key, 'STANDARD');
    expect((await h.cli(['events', 'put-events', '--entries', handMadeRead(key)])).code).toBe(0);
    const { path } = await finishedExecution(key);
    expect(path).toEqual(['Inspect object', 'What state is the object in?', 'Close cycle: nothing to restore']);
  });

  it.runIf(cli)('hostile keys (spaces, +, %, unicode, 1,024 bytes) go through the CLI, the workflow and the email', async () => {
    const long = `long/${'d'.repeat(200)}/${'e'.repeat(200)}/${'f'.repeat(200)}/${'g'.repeat(200)}/${'h'.repeat(200)}/`;
    const keys = ['hostile/with space.txt', 'hostile/a+b=c.txt', 'hostile/100% done.txt', 'hostile/ünïcødé 文件.txt', `${long}${'x'.repeat(1024 - Buffer.byteLength(long))}`];
    expect(Buffer.byteLength(keys[4]!)).toBe(1024);
    const reader = 'AKIAHOSTILEKEYS00001';
    await h.principals.put(reader, 'hostile@example.com', new Date());
    for (const key of keys) {
      await h.putObject(BUCKET, key, 'GLACIER');
      const refused = await h.cli(['s3api', 'get-object', '--bucket', BUCKET, '--key', key, 'out.bin'], reader);
      expect(refused.stderr).toContain('InvalidObjectState');
    }
    const readyText = () =>
      h.cloud.ses
        .list()
        .filter((m) => m.to.includes('hostile@example.com') && m.subject.includes('ready'))
        .map((m) => `${m.text}\n${m.html}`)
        .join('\n');
    await eventually(() => keys.every((key) => readyText().includes(key)), 'every key in a ready email');
    for (const key of ['hostile/with space.txt', 'hostile/a+b=c.txt', 'hostile/100% done.txt', 'hostile/ünïcødé 文件.txt']) expect(readyText()).toContain(`<td>${key}</td>`);
    for (const key of keys) {
      expect((await h.auditTypes(BUCKET, key)).filter((t) => t === 'RESTORE_COMPLETED')).toHaveLength(1);
      expect((await h.cli(['s3api', 'get-object', '--bucket', BUCKET, '--key', key, 'out.bin'], reader)).code).toBe(0);
    }
  });
});
