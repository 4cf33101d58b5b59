/**
 * `autorestore doctor` (the CLI binary, as an operator runs it) against the local cloud: a
 * fresh deployment passes, and each setup broken with the real AWS CLI is reported with its
 * fix and exit code 5, then repaired. Where the break changes what the system does (a disabled
 * rule, a stopped trail, a trail that leaves a bucket out), the test shows that too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetEmailIdentityCommand, SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { DEFAULT_STACK_NAME, STACK_OUTPUT_NAMES } from '../../infra/outputs.js';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';
import { runCli } from '../support/cli.js';

const ARCHIVE = 'doctor-archive';
const MEDIA = 'doctor-media';
const READER = 'AKIADOCTORREADER0001';
const TRAIL = 'arn:aws:cloudtrail:us-east-1:000000000000:trail/autorestore-reads';
const work = mkdtempSync(join(tmpdir(), 'autorestore-doctor-'));
let h: Harness;

interface Finding {
  check: string;
  status: 'ok' | 'warning' | 'problem';
  message: string;
  fix?: string;
}
interface Report {
  code: number;
  verdict: string;
  findings: Finding[];
  stderr: string;
}

async function doctor(...flags: string[]): Promise<Report> {
  const run = await runCli({ endpoint: h.cloud.endpoint, accessKeyId: 'AKIADOCTOROPERATOR01', home: work }, ['--json', ...flags, 'doctor']);
  const out = JSON.parse(run.stdout) as { verdict: string; findings: Finding[] };
  return { code: run.code, stderr: run.stderr, ...out };
}

/** The findings that are not ok, as [check, status, message]. */
const flagged = (report: Report) => report.findings.filter((f) => f.status !== 'ok').map((f) => [f.check, f.status, f.message]);

async function aws(...args: string[]): Promise<string> {
  const run = await h.cli(args);
  if (run.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
  return run.stdout;
}

/** A read of an archived object; after the bus settles, whether it started an execution. */
async function readStartsRestore(bucket: string, key: string): Promise<boolean> {
  const before = (await h.executions()).length;
  expect(await h.read(bucket, key, READER)).toBe('InvalidObjectState');
  await h.cloud.settle();
  return (await h.executions()).length > before;
}

/** A read that starts a restore; once its execution has ended, how it ended and the object's audit history. */
async function restoreOutcome(bucket: string, key: string): Promise<{ status: string; audit: string[] }> {
  const before = new Set((await h.executions()).map((e) => e.executionArn));
  expect(await h.read(bucket, key, READER)).toBe('InvalidObjectState');
  const started = await eventually(async () => (await h.executions()).find((e) => !before.has(e.executionArn)), `the execution for ${key}`);
  const ended = await eventually(async () => (await h.executions()).find((e) => e.executionArn === started.executionArn && e.status !== 'RUNNING'), `the execution for ${key} to end`, 60_000);
  return { status: ended.status!, audit: await h.auditTypes(bucket, key) };
}

const withCli = awsCliAvailable();

beforeAll(async () => {
  h = await startHarness({ watchedBuckets: [ARCHIVE, MEDIA] });
  await h.createBucket(ARCHIVE);
  await h.createBucket(MEDIA);
  for (const key of ['rule.bin', 'trail.bin', 'selectors.bin', 'events-off.bin', 'events-on.bin']) await h.putObject(ARCHIVE, key, 'GLACIER');
  await h.putObject(MEDIA, 'selectors.bin', 'GLACIER');
  await h.principals.put(READER, 'reader@example.com', new Date());
});
afterAll(() => (h as Harness | undefined)?.stop()); // unset when setup failed before reaching it

describe("the local control plane answers the SDK in each service's protocol", () => {
  it('answers, and the errors doctor tells apart by name', async () => {
    const config = { endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIADOCTORSDK0000001', secretAccessKey: 'local' }, maxAttempts: 1 };
    const [events, trail, sqs, ses] = [new EventBridgeClient(config), new CloudTrailClient(config), new SQSClient(config), new SESv2Client(config)];
    const errorName = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: unknown) => (e as Error).name,
      );
    try {
      expect(await events.send(new DescribeRuleCommand({ Name: 'autorestore-restore-lifecycle' }))).toMatchObject({
        State: 'ENABLED',
        EventBusName: 'default',
        Arn: 'arn:aws:events:us-east-1:000000000000:rule/autorestore-restore-lifecycle',
      });
      expect(await errorName(events.send(new DescribeRuleCommand({ Name: 'no-such-rule' })))).toBe('ResourceNotFoundException');
      expect(await trail.send(new GetTrailStatusCommand({ Name: 'autorestore-reads' }))).toMatchObject({ IsLogging: true, StartLoggingTime: expect.any(Date) });
      expect(await errorName(trail.send(new GetTrailStatusCommand({ Name: 'no-such-trail' })))).toBe('TrailNotFoundException');
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'autorestore-undelivered-events' }));
      expect(QueueUrl).toBe(`${h.cloud.endpoint}/000000000000/autorestore-undelivered-events`);
      expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes).toMatchObject({
        ApproximateNumberOfMessages: '0',
        QueueArn: 'arn:aws:sqs:us-east-1:000000000000:autorestore-undelivered-events',
      });
      expect(await errorName(sqs.send(new GetQueueAttributesCommand({ QueueUrl: `${h.cloud.endpoint}/000000000000/other`, AttributeNames: ['All'] })))).toBe('QueueDoesNotExist');
      expect(await ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'reader@example.com' }))).toMatchObject({ IdentityType: 'EMAIL_ADDRESS', VerifiedForSendingStatus: true });
      expect(await errorName(ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'not an identity' })))).toBe('NotFoundException');
    } finally {
      for (const client of [events, trail, sqs, ses]) client.destroy();
    }
  });

  it('DescribeStacks: the default stack, with every output the CDK stack declares (no SES configuration set here)', async () => {
    const cfn = new CloudFormationClient({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIADOCTORSDK0000001', secretAccessKey: 'local' }, maxAttempts: 1 });
    try {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: DEFAULT_STACK_NAME }))).Stacks?.[0];
      expect(stack?.StackName).toBe(DEFAULT_STACK_NAME);
      // test/infra/stack.test.ts holds the CDK stack to the same list.
      expect((stack?.Outputs ?? []).map((o) => o.OutputKey).sort()).toEqual(STACK_OUTPUT_NAMES.filter((name) => name !== 'SesConfigurationSet').sort());
    } finally {
      cfn.destroy();
    }
  });
});

// Each test runs doctor (a Node process loading the SDK) two to three times.
describe.runIf(withCli)('autorestore doctor', () => {
  beforeEach(async () => {
    // Each test starts from a healthy deployment (the one before it repaired what it broke).
    expect(flagged(await doctor())).toEqual([]);
  });

  it('a fresh deployment: every check ok, exit 0; the human report says so line by line', async () => {
    const report = await doctor();
    expect(report.code).toBe(0);
    expect(report.verdict).toBe('ok');
    expect(report.findings.map((f) => f.check)).toEqual([
      'stack outputs',
      `bucket ${ARCHIVE}`,
      `bucket ${MEDIA}`,
      'trail',
      'rule autorestore-archived-read',
      'rule autorestore-restore-lifecycle',
      'dead-letter queue',
      'ses identity',
      'ses account',
      'principal map',
      'executions (24 h)',
    ]);
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/autorestore.mjs', '--endpoint-url', h.cloud.endpoint, 'doctor'], {
      env: { PATH: process.env.PATH ?? '', HOME: work, AWS_ACCESS_KEY_ID: 'AKIADOCTOROPERATOR01', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' },
    });
    expect(stdout).toMatch(/^ok {7}trail: arn:aws:cloudtrail:us-east-1:000000000000:trail\/autorestore-reads is logging/m);
    expect(stdout.trim().split('\n').at(-1)).toBe('S3Autorestore in us-east-1: 11 ok, 0 warnings, 0 problems');
  });

  it('a watched bucket deleted', async () => {
    await aws('s3', 'rb', `s3://${MEDIA}`, '--force');
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(flagged(report)).toEqual([[`bucket ${MEDIA}`, 'problem', 'the watched bucket does not exist']]);
    // Created again, a watched bucket gets its EventBridge notifications back, as a deployment sets them.
    await aws('s3', 'mb', `s3://${MEDIA}`);
    await h.putObject(MEDIA, 'selectors.bin', 'GLACIER');
  });

  it('a rule disabled: reads start nothing, and doctor says how to enable it', async () => {
    await aws('events', 'disable-rule', '--name', 'autorestore-archived-read');
    expect(JSON.parse(await aws('events', 'describe-rule', '--name', 'autorestore-archived-read'))).toMatchObject({ State: 'DISABLED' });
    expect(await readStartsRestore(ARCHIVE, 'rule.bin')).toBe(false);
    expect(await h.audit.history(objectIdOf({ bucket: ARCHIVE, key: 'rule.bin' }))).toEqual([]);
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(report.findings.find((f) => f.status !== 'ok')).toEqual({
      check: 'rule autorestore-archived-read',
      status: 'problem',
      message: 'the EventBridge rule is disabled: its events go nowhere',
      fix: 'aws events enable-rule --name autorestore-archived-read',
    });
    await aws('events', 'enable-rule', '--name', 'autorestore-archived-read');
    expect(await readStartsRestore(ARCHIVE, 'rule.bin')).toBe(true);
  });

  it('the trail stopped: reads are not recorded, so nothing starts', async () => {
    await aws('cloudtrail', 'stop-logging', '--name', TRAIL);
    expect(await readStartsRestore(ARCHIVE, 'trail.bin')).toBe(false);
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(flagged(report)).toEqual([['trail', 'problem', `trail ${TRAIL} is not logging: no read is detected`]]);
    await aws('cloudtrail', 'start-logging', '--name', 'autorestore-reads');
    expect(await readStartsRestore(ARCHIVE, 'trail.bin')).toBe(true);
  });

  it('the trail logs GetObject for one watched bucket only', async () => {
    const selectors = JSON.parse(await aws('cloudtrail', 'get-event-selectors', '--trail-name', TRAIL)) as { AdvancedEventSelectors: unknown[] };
    const archiveOnly = [
      {
        Name: 'archive only',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'eventName', Equals: ['GetObject'] },
          { Field: 'resources.ARN', StartsWith: [`arn:aws:s3:::${ARCHIVE}/`] },
        ],
      },
    ];
    await aws('cloudtrail', 'put-event-selectors', '--trail-name', TRAIL, '--advanced-event-selectors', JSON.stringify(archiveOnly));
    expect(await readStartsRestore(MEDIA, 'selectors.bin')).toBe(false);
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(flagged(report)).toEqual([['trail', 'problem', `the trail does not log GetObject data events for bucket ${MEDIA}: its reads are never detected`]]);
    expect(await readStartsRestore(ARCHIVE, 'selectors.bin')).toBe(true);
    await aws('cloudtrail', 'put-event-selectors', '--trail-name', TRAIL, '--advanced-event-selectors', JSON.stringify(selectors.AdvancedEventSelectors));
  });

  it("a bucket's EventBridge notifications turned off: no completion event, the restore is found by the timeout recheck", async () => {
    await aws('s3api', 'put-bucket-notification-configuration', '--bucket', ARCHIVE, '--notification-configuration', '{}');
    expect(await aws('s3api', 'get-bucket-notification-configuration', '--bucket', ARCHIVE)).toBe('');
    const off = await restoreOutcome(ARCHIVE, 'events-off.bin');
    expect(off.status).toBe('SUCCEEDED');
    expect(off.audit).not.toContain('RESTORE_COMPLETED');
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(flagged(report)).toEqual([[`bucket ${ARCHIVE}`, 'problem', 'the bucket does not send events to EventBridge: restores complete but nobody is told before the timeout recheck']]);
    await aws('s3api', 'put-bucket-notification-configuration', '--bucket', ARCHIVE, '--notification-configuration', '{"EventBridgeConfiguration":{}}');
    expect(JSON.parse(await aws('s3api', 'get-bucket-notification-configuration', '--bucket', ARCHIVE))).toEqual({ EventBridgeConfiguration: {} });
    const on = await restoreOutcome(ARCHIVE, 'events-on.bin');
    expect(on.status).toBe('SUCCEEDED');
    expect(on.audit).toContain('RESTORE_COMPLETED');
  });

  it('a stack that is not there', async () => {
    const report = await doctor('--stack-name', 'NotDeployed');
    expect(report.code).toBe(5);
    expect(report.findings).toEqual([{ check: 'stack', status: 'problem', message: 'stack NotDeployed not found in us-east-1', fix: expect.stringContaining('npx cdk deploy') }]);
  });

  it('SES sending paused: SendEmail is refused, and doctor says so', async () => {
    await aws('sesv2', 'put-account-sending-attributes', '--no-sending-enabled');
    const ses = new SESv2Client({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIADOCTORSDK0000001', secretAccessKey: 'local' }, maxAttempts: 1 });
    const send = ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'restores@autorestore.local',
        Destination: { ToAddresses: ['reader@example.com'] },
        Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' } } } },
      }),
    );
    await expect(send).rejects.toMatchObject({ name: 'SendingPausedException' });
    ses.destroy();
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(flagged(report)).toEqual([['ses account', 'problem', 'sending is paused for the SES account in us-east-1: no email goes out']]);
    await aws('sesv2', 'put-account-sending-attributes', '--sending-enabled');
  });

  it('dead letters waiting: a warning with how many, exit 0', async () => {
    // Two events whose deliveries failed every retry, as the bus dead-letters them (event-bus.test.ts).
    const event = h.cloud.bus.event('aws.s3', 'Object Restore Completed', { bucket: { name: ARCHIVE }, object: { key: 'x' } });
    h.cloud.bus.deadLetters.push({ rule: 'RestoreLifecycle', event, error: 'Error: failed' }, { rule: 'RestoreLifecycle', event, error: 'Error: failed' });
    const attributes = JSON.parse(
      await aws('sqs', 'get-queue-attributes', '--queue-url', `${h.cloud.endpoint}/000000000000/autorestore-undelivered-events`, '--attribute-names', 'ApproximateNumberOfMessages'),
    );
    expect(attributes).toEqual({ Attributes: { ApproximateNumberOfMessages: '2' } });
    const report = await doctor();
    expect(report.code).toBe(0);
    expect(report.verdict).toBe('warning');
    expect(flagged(report)).toEqual([['dead-letter queue', 'warning', `2 events could not be delivered and wait in ${h.cloud.endpoint}/000000000000/autorestore-undelivered-events`]]);
    h.cloud.bus.deadLetters.length = 0;
  });

  it('an empty principal map: a warning, exit 0', async () => {
    await h.principals.remove(READER);
    const report = await doctor();
    expect(report.code).toBe(0);
    expect(flagged(report)).toEqual([['principal map', 'warning', 'no reader is mapped to an email: restores run, but nobody is told']]);
    await h.principals.put(READER, 'reader@example.com', new Date());
  });

  // Last: a failed execution stays in the 24-hour window.
  it('a failed execution in the last 24 hours', async () => {
    const started = JSON.parse(await aws('stepfunctions', 'start-execution', '--state-machine-arn', h.cloud.stateMachineArn, '--name', 'bad-input', '--input', '{}')) as { executionArn: string };
    await eventually(async () => (await h.executions()).find((e) => e.executionArn === started.executionArn && e.status === 'FAILED'), 'the execution to fail');
    const report = await doctor();
    expect(report.code).toBe(5);
    expect(flagged(report)).toEqual([['executions (24 h)', 'problem', `1 failed in the last 24 hours (e.g. ${started.executionArn})`]]);
  });
});
