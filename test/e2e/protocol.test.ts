/** The wire protocols: every call the system and its users make, through the AWS CLI; bad requests get the service's error shape. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const BUCKET = 'protocol-bucket';
const dataDir = mkdtempSync(join(tmpdir(), 'autorestore-protocol-'));

beforeAll(async () => {
  // A simulated hour of a second: a Deep Archive Bulk restore (48 h) outlasts the slowest CLI calls below.
  h = await startHarness({ realMsPerSimulatedHour: 1000, dataDir });
  await h.createBucket(BUCKET);
  await h.putObject(BUCKET, 'glacier.bin', 'GLACIER');
  await h.putObject(BUCKET, 'deep.bin', 'DEEP_ARCHIVE');
  await h.putObject(BUCKET, 'it.bin', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
  await h.putObject(BUCKET, 'standard.bin', 'STANDARD');
  await h.putObject(BUCKET, 'instant.bin', 'GLACIER_IR');
});
afterAll(async () => {
  await h.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A raw request signed only in name: the local cloud routes on the credential scope. */
async function raw(service: string, init: { method?: string; path?: string; target?: string; body?: string; contentType?: string }) {
  const response = await fetch(`${h.cloud.endpoint}${init.path ?? '/'}`, {
    method: init.method ?? 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIARAW/20261122/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
      'x-amz-date': '20261122T000000Z',
      ...(init.target ? { 'x-amz-target': init.target } : {}),
      'content-type': init.contentType ?? 'application/x-amz-json-1.0',
    },
    body: init.body,
  });
  return { status: response.status, text: await response.text() };
}

describe.runIf(cli)('S3 archive semantics through the AWS CLI', () => {
  const restore = (key: string, request: string) => h.cli(['s3api', 'restore-object', '--bucket', BUCKET, '--key', key, '--restore-request', request]);

  it('RestoreObject: 202, then 409 RestoreAlreadyInProgress, then the Restore header', async () => {
    await h.putObject(BUCKET, 'slow.bin', 'DEEP_ARCHIVE');
    expect((await restore('slow.bin', '{"Days":1,"GlacierJobParameters":{"Tier":"Bulk"}}')).code).toBe(0);
    const again = await restore('slow.bin', '{"Days":1,"GlacierJobParameters":{"Tier":"Bulk"}}');
    expect(again.stderr).toContain('RestoreAlreadyInProgress');
    const head = JSON.parse((await h.cli(['s3api', 'head-object', '--bucket', BUCKET, '--key', 'slow.bin'])).stdout) as { Restore: string; StorageClass: string };
    expect(head).toMatchObject({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' });
  });

  it('Days rules and tier rules per storage class', async () => {
    expect((await restore('it.bin', '{"Days":1,"GlacierJobParameters":{"Tier":"Standard"}}')).stderr).toContain('InvalidArgument');
    expect((await restore('deep.bin', '{"Days":1,"GlacierJobParameters":{"Tier":"Expedited"}}')).stderr).toContain('InvalidArgument');
    expect((await restore('deep.bin', '{"GlacierJobParameters":{"Tier":"Standard"}}')).stderr).toContain('InvalidArgument');
    expect((await restore('standard.bin', '{"Days":1}')).stderr).toContain('InvalidObjectState');
    expect((await restore('instant.bin', '{"Days":1}')).stderr).toContain('InvalidObjectState');
    expect((await restore('missing.bin', '{"Days":1}')).stderr).toContain('NoSuchKey');
    expect((await restore('it.bin', '{"GlacierJobParameters":{"Tier":"Standard"}}')).code).toBe(0);
  });

  it('HeadObject reports the Intelligent-Tiering archive status', async () => {
    const head = JSON.parse((await h.cli(['s3api', 'head-object', '--bucket', BUCKET, '--key', 'deep.bin'])).stdout) as { StorageClass: string };
    expect(head.StorageClass).toBe('DEEP_ARCHIVE');
  });

  it('GetObject on an archived object is 403 InvalidObjectState in the S3 XML error shape', async () => {
    const response = await raw('s3', { method: 'GET', path: `/${BUCKET}/deep.bin` });
    expect(response.status).toBe(403);
    expect(response.text).toMatch(/<Error>\s*<Code>InvalidObjectState<\/Code>/);
  });

  it('a malformed RestoreRequest is 400 MalformedXML', async () => {
    const response = await raw('s3', { method: 'POST', path: `/${BUCKET}/deep.bin?restore`, body: '<RestoreRequest><Days>1</Days>', contentType: 'application/xml' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<Code>MalformedXML</Code>');
  });
});

describe.runIf(cli)('the other services through the AWS CLI', () => {
  it('DynamoDB: the principal map is plain items', async () => {
    const put = await h.cli(['dynamodb', 'put-item', '--table-name', 'autorestore-principals', '--item', '{"principal":{"S":"AKIACLI"},"email":{"S":"cli@example.com"}}']);
    expect(put.code).toBe(0);
    expect((await h.principals.resolve([{ id: 'x', accessKeyId: 'AKIACLI' }])).get('x')).toBe('cli@example.com');
  });

  it('Step Functions: list, describe, history; bad names and unknown executions get AWS errors', async () => {
    const machines = JSON.parse((await h.cli(['stepfunctions', 'list-state-machines'])).stdout) as { stateMachines: { name: string }[] };
    expect(machines.stateMachines.map((m) => m.name)).toContain('autorestore-restore-object');
    const bad = await h.cli(['stepfunctions', 'start-execution', '--state-machine-arn', h.cloud.stateMachineArn, '--name', 'has space', '--input', '{}']);
    expect(bad.stderr).toContain('InvalidName');
    const missing = await h.cli(['stepfunctions', 'describe-execution', '--execution-arn', `${h.cloud.stateMachineArn.replace(':stateMachine:', ':execution:')}:nope`]);
    expect(missing.stderr).toContain('ExecutionDoesNotExist');
    const token = await h.cli(['stepfunctions', 'send-task-success', '--task-token', 'not-a-token', '--task-output', '{}']);
    expect(token.stderr).toContain('InvalidToken');
  });

  it('StartExecution: same name and input while running returns the running execution; otherwise ExecutionAlreadyExists', async () => {
    const definition = JSON.stringify({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 30, End: true } } });
    const created = await h.cli(['stepfunctions', 'create-state-machine', '--name', 'pause', '--definition', definition, '--role-arn', 'arn:aws:iam::000000000000:role/x']);
    const { stateMachineArn } = JSON.parse(created.stdout) as { stateMachineArn: string };
    const start = (body: string) => h.cli(['stepfunctions', 'start-execution', '--state-machine-arn', stateMachineArn, '--name', 'by-hand-1', '--input', body]);
    const started = await start('{"n":1}');
    expect(started).toMatchObject({ code: 0, stderr: '' });
    const first = JSON.parse(started.stdout) as { executionArn: string };
    const second = JSON.parse((await start('{"n":1}')).stdout) as { executionArn: string };
    expect(second.executionArn).toBe(first.executionArn);
    expect((await start('{"n":2}')).stderr).toContain('ExecutionAlreadyExists');
    expect((await h.cli(['stepfunctions', 'stop-execution', '--execution-arn', first.executionArn])).code).toBe(0);
    const described = JSON.parse((await h.cli(['stepfunctions', 'describe-execution', '--execution-arn', first.executionArn])).stdout) as { status: string };
    expect(described.status).toBe('ABORTED');
    expect((await start('{"n":1}')).stderr).toContain('ExecutionAlreadyExists');
    const history = JSON.parse((await h.cli(['stepfunctions', 'get-execution-history', '--execution-arn', first.executionArn])).stdout) as { events: { type: string }[] };
    expect(history.events.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);
  });

  it('aws-sdk:* and dynamodb:* task states call the local services, with Step Functions error names', async () => {
    const definition = JSON.stringify({
      StartAt: 'Head',
      States: {
        Head: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:s3:headObject',
          Parameters: { Bucket: BUCKET, 'Key.$': '$.key' },
          ResultSelector: { 'class.$': '$.StorageClass' },
          ResultPath: '$.head',
          Catch: [{ ErrorEquals: ['S3.NoSuchKeyException', 'S3.NotFoundException'], ResultPath: '$.error', Next: 'Missing' }],
          Next: 'Remember',
        },
        Remember: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: 'autorestore-principals', Item: { principal: { 'S.$': '$.key' }, email: { 'S.$': '$.head.class' } } },
          ResultPath: null,
          End: true,
        },
        Missing: { Type: 'Fail', Error: 'Missing' },
      },
    });
    const created = await h.cli(['stepfunctions', 'create-state-machine', '--name', 'integrations', '--definition', definition, '--role-arn', 'arn:aws:iam::000000000000:role/x']);
    const { stateMachineArn } = JSON.parse(created.stdout) as { stateMachineArn: string };
    const run = async (key: string) => {
      const { executionArn } = JSON.parse((await h.cli(['stepfunctions', 'start-execution', '--state-machine-arn', stateMachineArn, '--input', JSON.stringify({ key })])).stdout) as {
        executionArn: string;
      };
      return eventually(async () => {
        const d = JSON.parse((await h.cli(['stepfunctions', 'describe-execution', '--execution-arn', executionArn])).stdout) as { status: string; error?: string };
        return d.status === 'RUNNING' ? undefined : d;
      }, 'the execution');
    };
    expect(await run('deep.bin')).toMatchObject({ status: 'SUCCEEDED' });
    expect((await h.principals.resolve([{ id: 'k', accessKeyId: 'deep.bin' }])).get('k')).toBe('DEEP_ARCHIVE');
    expect(await run('nothing-here.bin')).toMatchObject({ status: 'FAILED', error: 'Missing' });
  });

  it('EventBridge: malformed entries are reported per entry, too many is a ValidationException', async () => {
    const out = await h.cli([
      'events',
      'put-events',
      '--entries',
      JSON.stringify([
        { Source: 'x', DetailType: 'y', Detail: '{not json' },
        { Source: 'x', DetailType: 'y', Detail: '{}' },
      ]),
    ]);
    expect(JSON.parse(out.stdout)).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail' }, { EventId: expect.any(String) }] });
    const tooMany = Array.from({ length: 11 }, () => ({ Source: 'x', DetailType: 'y', Detail: '{}' }));
    expect((await h.cli(['events', 'put-events', '--entries', JSON.stringify(tooMany)])).stderr).toContain('ValidationException');
  });

  it('SES v2: send-email lands in the outbox; a bad address is a BadRequestException', async () => {
    const sent = await h.cli([
      'sesv2',
      'send-email',
      '--from-email-address',
      'ops@example.com',
      '--destination',
      'ToAddresses=someone@example.com',
      '--content',
      'Simple={Subject={Data=Hello},Body={Text={Data=Body text}}}',
    ]);
    expect(sent.code).toBe(0);
    expect(h.cloud.ses.list().some((m) => m.subject === 'Hello' && m.text === 'Body text')).toBe(true);
    const bad = await h.cli([
      'sesv2',
      'send-email',
      '--from-email-address',
      'nobody',
      '--destination',
      'ToAddresses=someone@example.com',
      '--content',
      'Simple={Subject={Data=x},Body={Text={Data=y}}}',
    ]);
    expect(bad.stderr).toContain('BadRequestException');
  });
});

describe('the local S3 keeps what it answered', () => {
  it('a RestoreObject answered 202 is on disk before the answer (a kill -9 right after loses nothing)', async () => {
    await h.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'durable.bin', Body: 'x', StorageClass: 'DEEP_ARCHIVE' }));
    await h.s3().send(new RestoreObjectCommand({ Bucket: BUCKET, Key: 'durable.bin', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Bulk' } } }));
    // Read at once, with no timer given a chance to run: what a restart would replay.
    const journal = readFileSync(join(dataDir, 's3-archive.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; entry?: { restore?: { ongoing: boolean; tier: string } } });
    const last = journal.filter((line) => line.id === `${BUCKET}/durable.bin`).at(-1);
    expect(last?.entry?.restore).toMatchObject({ ongoing: true, tier: 'Bulk' });
  });

  it('a PUT answered 200 has its storage class on disk before the answer', async () => {
    await h.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fresh-archive.bin', Body: 'x', StorageClass: 'GLACIER' }));
    const journal = readFileSync(join(dataDir, 's3-archive.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; entry?: { storageClass: string } });
    expect(journal.filter((line) => line.id === `${BUCKET}/fresh-archive.bin`).at(-1)?.entry).toEqual({ storageClass: 'GLACIER' });
  });
});

describe('malformed S3 requests get S3 errors, never a 500', () => {
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${h.cloud.endpoint}${path}`, { method: path.includes('partNumber') ? 'PUT' : 'GET', headers, body: path.includes('partNumber') ? 'part' : undefined });
    return { status: response.status, text: await response.text() };
  };
  const presigned = (credential: string) =>
    `/${BUCKET}/standard.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Date=20261122T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=00`;

  it.each([
    ['an unparsable presigned credential', presigned('garbage'), 400, 'AuthorizationQueryParametersError'],
    ['a presigned credential with too few parts', presigned('AKIAX%2F20261122%2Fus-east-1'), 400, 'AuthorizationQueryParametersError'],
    ['a presigned credential given twice', `${presigned('AKIAX%2F20261122%2Fus-east-1%2Fs3%2Faws4_request')}&X-Amz-Credential=again`, 400, 'AuthorizationQueryParametersError'],
    ['a key that is not valid percent-encoding', `/${BUCKET}/%E0%A4%A`, 400, 'InvalidURI'],
    ['an upload id that is a path', `/${BUCKET}/part.bin?partNumber=1&uploadId=..%2F..%2F..%2Fx`, 404, 'NoSuchUpload'],
  ])('%s', async (_what, path, status, code) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    expect(response.text).toContain(`<Code>${code}</Code>`);
  });

  it.each([
    ['a presigned credential that is not valid percent-encoding once decoded', { path: presigned('AKIA%25zz%2F20261122%2Fus-east-1%2Fs3%2Faws4_request'), headers: {} }],
    [
      'an Authorization credential that is not valid percent-encoding',
      { path: `/${BUCKET}/standard.bin`, headers: { authorization: 'AWS4-HMAC-SHA256 Credential=%zz/20261122/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' } },
    ],
  ] as [string, { path: string; headers: Record<string, string> }][])('%s: a 4xx', async (_what, { path, headers }) => {
    const response = await get(path, headers);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});

describe('malformed and unsupported requests never crash the local cloud', () => {
  it.each([
    ['states', { target: 'AWSStepFunctions.StartExecution', body: '{not json' }, 400, 'SerializationException'],
    ['states', { target: 'AWSStepFunctions.DeleteEverything', body: '{}' }, 400, 'UnknownOperationException'],
    ['states', { target: 'AWSStepFunctions.StartExecution', body: '{}' }, 400, 'ValidationException'],
    ['events', { target: 'AWSEvents.PutEvents', body: '[]' }, 400, 'SerializationException'],
    ['events', { target: 'AWSEvents.CreateEventBus', body: '{}' }, 400, 'UnknownOperationException'],
    ['ses', { path: '/v2/email/identities', body: '{}' }, 404, 'NotFoundException'],
    ['lambda', { body: '{}' }, 400, 'UnknownServiceException'],
    ['dynamodb', { target: 'DynamoDB_20120810.GetItem', body: '{"TableName":"nope","Key":{"principal":{"S":"x"}}}' }, 400, 'ResourceNotFoundException'],
  ] as const)('%s %j -> %i %s', async (service, init, status, code) => {
    const response = await raw(service, init);
    expect(response.status).toBe(status);
    expect(response.text).toContain(code);
  });

  it('still answers after all of that', async () => {
    expect(await h.read(BUCKET, 'standard.bin', 'AKIASTILLALIVE000001')).toBe('OK');
  });
});
