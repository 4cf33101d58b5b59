/** At-least-once delivery, lost events, throttling and a flaky mail service. */
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { NO_FAULTS } from '../../local/faults.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'faulty-archive';

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 50 });
  await h.createBucket(BUCKET);
});
afterAll(() => h.stop());
beforeEach(() => Object.assign(h.cloud.faults, NO_FAULTS));

const executionsOf = async (prefix: string) => (await h.executions()).filter((e) => e.name!.startsWith(prefix));
const emailsTo = (address: string) => h.cloud.ses.list().filter((m) => m.to.includes(address));

describe('faults', () => {
  it('every CloudTrail event delivered ten times: one restore, one execution, one audit entry per read', async () => {
    h.cloud.faults.duplicateS3Events = 9;
    await h.principals.put('AKIADUPLICATES000001', 'dup@example.com', new Date());
    await h.putObject(BUCKET, 'dup/duplicated.bin', 'GLACIER');
    const restores = h.cloud.s3.calls.get('RestoreObject') ?? 0;
    expect(await h.read(BUCKET, 'dup/duplicated.bin', 'AKIADUPLICATES000001')).toBe('InvalidObjectState');
    await eventually(() => emailsTo('dup@example.com').some((m) => m.subject.includes('ready')), 'the ready email');
    await h.cloud.settle();
    expect(await executionsOf('duplicated_bin-')).toHaveLength(1);
    expect((h.cloud.s3.calls.get('RestoreObject') ?? 0) - restores).toBe(1);
    const types = await h.auditTypes(BUCKET, 'dup/duplicated.bin');
    expect(types.filter((t) => t === 'READ_DETECTED')).toHaveLength(1);
    expect(types.filter((t) => t === 'RESTORE_COMPLETED')).toHaveLength(1);
  });

  it('completion events lost: the HeadObject fallback after the wait timeout still finishes', async () => {
    h.cloud.faults.dropRestoreEvents = 1;
    await h.principals.put('AKIALOSTEVENTS000001', 'lost@example.com', new Date());
    await h.putObject(BUCKET, 'lost/lost.bin', 'GLACIER');
    expect(await h.read(BUCKET, 'lost/lost.bin', 'AKIALOSTEVENTS000001')).toBe('InvalidObjectState');
    const [execution] = await eventually(
      async () => {
        const found = await executionsOf('lost_bin-');
        return found.length === 1 && found[0]!.status === 'SUCCEEDED' ? found : undefined;
      },
      'the execution to finish',
      30_000,
    );
    const path = await h.path(execution!.executionArn!);
    expect(path.slice(-5)).toEqual(['Request restore and wait', 'Check restore after timeout', 'Is the restore done?', 'Notify: file ready', 'File is ready']);
    expect(await h.auditTypes(BUCKET, 'lost/lost.bin')).not.toContain('RESTORE_COMPLETED');
    await eventually(() => emailsTo('lost@example.com').some((m) => m.subject.includes('ready')), 'the ready email');
  });

  it('SES failing half the time: every email still delivered exactly once', async () => {
    h.cloud.faults.sesFailureRate = 0.5;
    const readers = Array.from({ length: 6 }, (_, i) => `AKIAFLAKYMAIL000000${i}`);
    for (const [i, r] of readers.entries()) await h.principals.put(r, `flaky${i}@example.com`, new Date());
    for (const [i, r] of readers.entries()) {
      await h.putObject(BUCKET, `flaky/file-${i}.bin`, 'GLACIER');
      expect(await h.read(BUCKET, `flaky/file-${i}.bin`, r)).toBe('InvalidObjectState');
    }
    await eventually(() => readers.every((_, i) => emailsTo(`flaky${i}@example.com`).some((m) => m.subject.includes('ready'))), 'every ready email', 45_000);
    await h.cloud.settle();
    for (let i = 0; i < readers.length; i++) {
      const subjects = emailsTo(`flaky${i}@example.com`).map((m) => m.subject);
      expect(new Set(subjects).size).toBe(subjects.length);
    }
  });

  it('a burst of 1,000 reads with StartExecution throttled: no read lost, one execution per object', async () => {
    h.cloud.faults.startExecutionPerSecond = 25;
    const objects = Array.from({ length: 100 }, (_, i) => `burst/obj-${String(i).padStart(3, '0')}.bin`);
    await Promise.all(objects.map((k) => h.putObject(BUCKET, k, 'DEEP_ARCHIVE')));
    const readers = Array.from({ length: 10 }, (_, i) => `AKIABURSTREADER0000${i}`);
    const reads = objects.flatMap((k) => readers.map((r) => [k, r] as const));
    expect(reads).toHaveLength(1000);
    for (let i = 0; i < reads.length; i += 100) {
      const outcomes = await Promise.all(reads.slice(i, i + 100).map(([k, r]) => h.read(BUCKET, k, r)));
      expect(new Set(outcomes)).toEqual(new Set(['InvalidObjectState']));
    }
    await eventually(
      async () => {
        const perObject = await Promise.all(objects.map((k) => h.audit.history(objectIdOf({ bucket: BUCKET, key: k }))));
        return perObject.every((entries) => entries.filter((e) => e.type === 'READ_DETECTED').length === readers.length && entries.some((e) => e.type === 'EXECUTION_STARTED'));
      },
      'every read recorded and every object started',
      90_000,
    );
    const started = (await h.executions()).filter((e) => e.name!.startsWith('obj-'));
    expect(started).toHaveLength(100);
    expect(h.cloud.bus.deadLetters).toEqual([]);
  });
});

/** A request signed only in name (the local cloud routes on the credential scope, and checks no signature). */
async function signedInName(credential: string, init: { target?: string; body?: string | Blob; path?: string; method?: string }) {
  const response = await fetch(`${h.cloud.endpoint}${init.path ?? '/'}`, {
    method: init.method ?? 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=00`,
      'x-amz-date': '20261122T000000Z',
      ...(init.target ? { 'x-amz-target': init.target, 'content-type': 'application/x-amz-json-1.1' } : {}),
    },
    body: init.body,
  });
  return { status: response.status, text: await response.text() };
}

const EVENTS = 'AKIAMALFORMED0000001/20261122/us-east-1/events/aws4_request';
const STATES = 'AKIAMALFORMED0000001/20261122/us-east-1/states/aws4_request';
const putEvents = (entries: unknown) => signedInName(EVENTS, { target: 'AWSEvents.PutEvents', body: JSON.stringify({ Entries: entries }) });

describe("malformed requests get the service's 4xx, never a 500", () => {
  it('PutEvents with a null or non-object entry: 400 ValidationException, nothing accepted', async () => {
    await h.cloud.settle();
    const detectsBefore = h.cloud.counters().lambda['detect-access'] ?? 0;
    for (const entries of [[null], ['text'], [7], [[]], [{ Source: 'aws.s3', DetailType: 'x', Detail: '{}' }, null]]) {
      const answer = await putEvents(entries);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toMatchObject({ __type: 'ValidationException' });
    }
    await h.cloud.settle();
    expect(h.cloud.counters().lambda['detect-access'] ?? 0).toBe(detectsBefore);
  });

  it('PutEvents over 256 KB in total (one big detail, or ten that add up): 400 ValidationException', async () => {
    const entry = (bytes: number) => ({ Source: 'test.size', DetailType: 'Size', Detail: JSON.stringify({ pad: 'x'.repeat(bytes) }) });
    const oneBig = await putEvents([entry(256 * 1024)]);
    expect(oneBig.status).toBe(400);
    expect(JSON.parse(oneBig.text)).toEqual({ __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
    const tenThatAddUp = await putEvents(Array.from({ length: 10 }, () => entry(27 * 1024)));
    expect(tenThatAddUp.status).toBe(400);
    // Just under the limit is accepted.
    const under = await putEvents([entry(200 * 1024)]);
    expect(under.status).toBe(200);
    expect(JSON.parse(under.text)).toMatchObject({ FailedEntryCount: 0 });
  });

  it('an unparsable credential scope: 400 IncompleteSignatureException (JSON) or AuthorizationHeaderMalformed (S3)', async () => {
    for (const credential of ['%zz/20261122/us-east-1/events/aws4_request', 'AKIAONLYKEY', 'AKIA/20261122/us-east-1/events/not_aws4_request', '']) {
      const json = await signedInName(credential, { target: 'AWSEvents.PutEvents', body: '{"Entries":[]}' });
      expect(json.status).toBe(400);
      expect(JSON.parse(json.text)).toMatchObject({ __type: 'IncompleteSignatureException' });
      const s3 = await signedInName(credential, { method: 'GET', path: `/${BUCKET}` });
      expect(s3.status).toBe(400);
      expect(s3.text).toContain('<Code>AuthorizationHeaderMalformed</Code>');
    }
    const presigned = await fetch(`${h.cloud.endpoint}/${BUCKET}/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%E0%A4%A&X-Amz-Signature=00`);
    expect(presigned.status).toBe(400);
    expect(await presigned.text()).toContain('<Code>AuthorizationQueryParametersError</Code>');
  });

  it('a 60 MB body to a JSON service is refused with 413 before it is read, declared or streamed', async () => {
    const declared = await signedInName(STATES, { target: 'AWSStepFunctions.ListStateMachines', body: new Blob([Buffer.alloc(60 * 1024 * 1024, 0x20)]) });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toMatchObject({ __type: 'RequestEntityTooLarge' });
    // Streamed without a Content-Length: answered once the limit is crossed, before the sender is done.
    const url = new URL(h.cloud.endpoint);
    const streamed = await new Promise<{ status: number; mbSentWhenAnswered: number }>((resolve, reject) => {
      let mbSent = 0;
      let answered = false;
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          headers: {
            authorization: `AWS4-HMAC-SHA256 Credential=${STATES}, SignedHeaders=host, Signature=00`,
            'x-amz-target': 'AWSStepFunctions.ListStateMachines',
            'content-type': 'application/x-amz-json-1.0',
          },
        },
        (res) => {
          answered = true;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, mbSentWhenAnswered: mbSent }));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const writeMore = () => {
        while (!answered && mbSent < 60) {
          mbSent++;
          if (!req.write(chunk)) return void req.once('drain', writeMore);
        }
        req.end();
      };
      writeMore();
    });
    expect(streamed.status).toBe(413);
    expect(streamed.mbSentWhenAnswered).toBeLessThan(60);
    // And the endpoint still answers.
    expect((await signedInName(STATES, { target: 'AWSStepFunctions.ListStateMachines', body: '{}' })).status).toBe(200);
  });
});
