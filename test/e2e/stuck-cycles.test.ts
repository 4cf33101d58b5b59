/**
 * Stuck cycles on the local cloud: an operator stops a waiting execution with the AWS CLI.
 * A later read, or else the scheduled reconciler, opens the next cycle; the restore completes,
 * the readers get their emails, and the stop is in the object's audit history.
 */
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const ALICE = 'AKIAREADERALICE00001';
const BOB = 'AKIAREADERBOB0000001';
const BUCKET = 'stuck-archive';

beforeAll(async () => {
  // Deep Archive Standard takes 12 simulated hours: 12 s here, time enough to stop the wait.
  // Waits of 2 hours: a stopped execution that ran on would time out and move long before then.
  h = await startHarness({ realMsPerSimulatedHour: 1000, waitTimeoutSeconds: 2 * 3600, maxWaitCycles: 10 });
  await h.createBucket(BUCKET);
  await h.principals.put(ALICE, 'alice@example.com', new Date());
  await h.principals.put(BOB, 'bob@example.com', new Date());
});
afterAll(() => h.stop());

/** Reads the object, waits until its execution waits for the restore, and stops it with the AWS CLI. */
async function readThenStopTheWait(key: string): Promise<string> {
  await h.putObject(BUCKET, key, 'DEEP_ARCHIVE');
  expect(await h.read(BUCKET, key, ALICE)).toBe('InvalidObjectState');
  const waiting = await eventually(
    async () => {
      const record = await h.records.get(objectIdOf({ bucket: BUCKET, key }));
      return record?.taskToken && record.executionArn ? record : undefined;
    },
    'the execution to wait for the restore',
    30_000,
  );
  const stopped = await h.cli(['stepfunctions', 'stop-execution', '--execution-arn', waiting.executionArn!, '--cause', 'stopped by an operator']);
  expect(stopped).toMatchObject({ code: 0 });
  const described = JSON.parse((await h.cli(['stepfunctions', 'describe-execution', '--execution-arn', waiting.executionArn!])).stdout) as { status: string };
  expect(described.status).toBe('ABORTED');
  return waiting.executionArn!;
}

/**
 * The last event of an execution's history. A stopped execution must run no further state:
 * with waits of 2 simulated hours, one that ran on would have timed out and moved (adding
 * events after ExecutionAborted) long before the 12-hour restore is done.
 */
async function lastHistoryEvent(executionArn: string) {
  const history = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
  return history.events?.[0];
}

const readyEmailsFor = (key: string) => h.cloud.ses.list().filter((m) => m.subject.includes('ready') && m.text.includes(key));
const endedEntries = async (key: string) => (await h.audit.history(objectIdOf({ bucket: BUCKET, key }))).filter((e) => e.type === 'EXECUTION_ENDED');

describe.runIf(cli)('a stopped execution', () => {
  it('a later read opens the next cycle: the restore completes with emails to every reader, and the stop is in the audit history', async () => {
    const key = 'stopped/then-read-again.bin';
    const stoppedArn = await readThenStopTheWait(key);
    expect(await h.read(BUCKET, key, BOB)).toBe('InvalidObjectState');

    const ready = await eventually(
      () => {
        const emails = readyEmailsFor(key);
        return emails.length >= 2 ? emails : undefined;
      },
      'both readers to get the "ready" email',
      60_000,
    );
    expect(ready.flatMap((m) => m.to).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    const record = await h.records.get(objectIdOf({ bucket: BUCKET, key }));
    expect(record).toMatchObject({ cycle: 2, status: 'RESTORED', readyNotified: true });
    expect(record).not.toHaveProperty('openPartition');
    const [ended] = await endedEntries(key);
    expect(ended).toMatchObject({ cycle: 1, detail: { status: 'ABORTED', executionArn: stoppedArn, nextCycle: 2 } });
    expect(await lastHistoryEvent(stoppedArn)).toMatchObject({ type: 'ExecutionAborted' });
    // The restore S3 was already running is joined, never requested twice.
    expect(h.cloud.s3.calls.get('RestoreObject')).toBe(1);
  });

  it('with no new read, the scheduled reconciler repairs the cycle and the reader still gets "ready"', async () => {
    const key = 'stopped/never-read-again.bin';
    const stoppedArn = await readThenStopTheWait(key);
    const [email] = await eventually(
      () => {
        const emails = readyEmailsFor(key);
        return emails.length >= 1 ? emails : undefined;
      },
      'the "ready" email',
      60_000,
    );
    expect(email!.to).toEqual(['alice@example.com']);
    const types = await h.auditTypes(BUCKET, key);
    expect(types.filter((t) => t === 'READ_DETECTED')).toHaveLength(1);
    expect(await lastHistoryEvent(stoppedArn)).toMatchObject({ type: 'ExecutionAborted' });
    // Open cycles are found through the index: nothing scans the objects table.
    expect(h.cloud.counters().dynamodb.Scan ?? 0).toBe(0);
    const [ended] = await endedEntries(key);
    expect(ended).toMatchObject({ cycle: 1, detail: { status: 'ABORTED', executionArn: stoppedArn } });
    expect(await h.records.get(objectIdOf({ bucket: BUCKET, key }))).toMatchObject({ status: 'RESTORED', readyNotified: true });
  });
});
