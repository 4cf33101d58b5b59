import { describe, expect, it } from 'vitest';
import { diagnose, worst, type Observations } from '../../cli/doctor/findings.js';
import { REQUIRED_STACK_OUTPUTS } from '../../infra/outputs.js';
import { getObjectSelectors } from '../../local/control-plane/cloudtrail.js';

const TRAIL = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/autorestore-reads';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/dlq';
const denied = (message = 'not allowed') => ({ callFailed: true as const, error: 'AccessDenied', message });

function healthy(): Observations {
  return {
    stackName: 'S3Autorestore',
    region: 'eu-west-1',
    outputs: { ...Object.fromEntries(REQUIRED_STACK_OUTPUTS.map((name) => [name, `value-of-${name}`])), WatchedBuckets: 'archive,media', TrailArn: TRAIL },
    watchedBuckets: {
      all: false,
      buckets: [
        { name: 'archive', exists: true, region: 'eu-west-1', eventBridge: true },
        { name: 'media', exists: true, region: 'eu-west-1', eventBridge: true },
      ],
    },
    trail: { arn: TRAIL, status: { isLogging: true }, selectors: getObjectSelectors(['archive', 'media']) },
    rules: [
      { name: 'archived-read', state: 'ENABLED', targets: 1 },
      { name: 'restore-lifecycle', state: 'ENABLED', targets: 1 },
    ],
    deadLetters: { queueUrl: QUEUE, waiting: 0 },
    ses: { identity: 'example.com', verified: true, account: { sendingEnabled: true, productionAccess: true } },
    principals: 1,
    executions: { failed: [], timedOut: [], aborted: [] },
  };
}

/** The findings that are not ok, as [check, status, message]. */
function flagged(o: Observations) {
  return diagnose(o)
    .filter((f) => f.status !== 'ok')
    .map((f) => [f.check, f.status, f.message]);
}

describe('doctor findings', () => {
  it('a healthy deployment: every line ok, one per bucket and rule', () => {
    const findings = diagnose(healthy());
    expect(findings.map((f) => [f.check, f.status])).toEqual([
      ['stack outputs', 'ok'],
      ['bucket archive', 'ok'],
      ['bucket media', 'ok'],
      ['trail', 'ok'],
      ['rule archived-read', 'ok'],
      ['rule restore-lifecycle', 'ok'],
      ['dead-letter queue', 'ok'],
      ['ses identity', 'ok'],
      ['ses account', 'ok'],
      ['principal map', 'ok'],
      ['executions (24 h)', 'ok'],
    ]);
    expect(worst(findings)).toBe('ok');
  });

  it.each<[string, (o: Observations) => void, [string, string, RegExp]]>([
    ['stack missing', (o) => (o.outputs = { callFailed: true, error: 'ValidationError', message: 'Stack with id S3Autorestore does not exist' }), ['stack', 'problem', /not found in eu-west-1/]],
    ['an output missing', (o) => delete (o.outputs as Record<string, string>).DeadLetterQueueUrl, ['stack outputs', 'problem', /no output DeadLetterQueueUrl/]],
    ['no trail output', (o) => delete (o.outputs as Record<string, string>).TrailArn, ['stack outputs', 'problem', /no TrailArn/]],
    ['bucket deleted', (o) => (o.watchedBuckets!.buckets[1]!.exists = false), ['bucket media', 'problem', /does not exist/]],
    ['bucket in another Region', (o) => (o.watchedBuckets!.buckets[0]!.region = 'us-east-1'), ['bucket archive', 'problem', /in us-east-1, the stack in eu-west-1/]],
    ['bucket without EventBridge', (o) => (o.watchedBuckets!.buckets[0]!.eventBridge = false), ['bucket archive', 'problem', /does not send events to EventBridge/]],
    ['bucket unreadable', (o) => (o.watchedBuckets!.buckets[0]!.eventBridge = denied()), ['bucket archive', 'warning', /could not check its event notifications: AccessDenied/]],
    [
      'every bucket watched, none exists',
      (o) => {
        o.watchedBuckets = { all: true, buckets: [] };
        o.trail!.selectors = getObjectSelectors(['*']);
      },
      ['watched buckets', 'warning', /there is none yet/],
    ],
    ['trail missing', (o) => (o.trail!.status = undefined), ['trail', 'problem', /does not exist/]],
    ['trail stopped', (o) => (o.trail!.status = { isLogging: false }), ['trail', 'problem', /is not logging/]],
    ['trail leaves a bucket out', (o) => (o.trail!.selectors = getObjectSelectors(['archive'])), ['trail', 'problem', /does not log GetObject data events for bucket media/]],
    [
      'every bucket watched, trail names some',
      (o) => {
        o.watchedBuckets!.all = true;
      },
      ['trail', 'warning', /reads in a new bucket go unnoticed/],
    ],
    ['rule missing', (o) => (o.rules[0]!.state = undefined), ['rule archived-read', 'problem', /does not exist/]],
    ['rule disabled', (o) => (o.rules[1]!.state = 'DISABLED'), ['rule restore-lifecycle', 'problem', /disabled/]],
    ['rule without target', (o) => (o.rules[0]!.targets = 0), ['rule archived-read', 'problem', /no target/]],
    ['dead letters waiting', (o) => (o.deadLetters!.waiting = 3), ['dead-letter queue', 'warning', /3 events could not be delivered and wait/]],
    [
      'dead-letter queue missing',
      (o) => (o.deadLetters!.waiting = { callFailed: true, error: 'QueueDoesNotExist', message: 'The specified queue does not exist.' }),
      ['dead-letter queue', 'problem', /does not exist/],
    ],
    ['SES identity missing', (o) => (o.ses!.verified = undefined), ['ses identity', 'problem', /does not exist in eu-west-1/]],
    ['SES identity unverified', (o) => (o.ses!.verified = false), ['ses identity', 'problem', /not verified/]],
    ['SES sending paused', (o) => (o.ses!.account = { sendingEnabled: false, productionAccess: true }), ['ses account', 'problem', /sending is paused/]],
    ['SES sandbox', (o) => (o.ses!.account = { sendingEnabled: true, productionAccess: false }), ['ses account', 'warning', /sandbox: emails reach only verified addresses/]],
    ['principal map empty', (o) => (o.principals = 0), ['principal map', 'warning', /nobody is told/]],
    ['principal map unreadable', (o) => (o.principals = denied()), ['principal map', 'warning', /could not check/]],
    [
      'executions failed',
      (o) => (o.executions = { failed: ['arn:f1', 'arn:f2'], timedOut: [], aborted: ['arn:a1'] }),
      ['executions (24 h)', 'problem', /2 failed, 1 aborted in the last 24 hours \(e\.g\. arn:f1\)/],
    ],
  ])('%s', (_, breakIt, [check, status, message]) => {
    const o = healthy();
    breakIt(o);
    const findings = flagged(o);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toEqual([check, status, expect.stringMatching(message)]);
    expect(worst(diagnose(o))).toBe(status);
  });

  it('a healthy deployment in aws-cn (selectors name arn:aws-cn:s3:::) is ok, and a fix names the aws-cn ARN', () => {
    const o = healthy();
    const chinaTrail = 'arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/autorestore-reads';
    const chinaSelectors = (buckets: string[]): Observations['trail'] => ({
      arn: chinaTrail,
      status: { isLogging: true },
      selectors: {
        AdvancedEventSelectors: [
          {
            Name: 'GetObject on the watched buckets',
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Data'] },
              { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
              { Field: 'eventName', Equals: ['GetObject'] },
              { Field: 'resources.ARN', StartsWith: buckets.map((b) => `arn:aws-cn:s3:::${b}/`) },
            ],
          },
        ],
      },
    });
    o.trail = chinaSelectors(['archive', 'media']);
    expect(flagged(o)).toEqual([]);
    o.trail = chinaSelectors(['archive']);
    const [finding] = diagnose(o).filter((f) => f.status !== 'ok');
    expect(finding).toMatchObject({ check: 'trail', status: 'problem', message: expect.stringContaining('bucket media') });
    expect(finding!.fix).toContain('resources.ARN StartsWith arn:aws-cn:s3:::media/');
  });

  it('every finding short of ok says how to fix it', () => {
    const o = healthy();
    o.rules[0]!.state = 'DISABLED';
    o.principals = 0;
    for (const f of diagnose(o).filter((f) => f.status !== 'ok')) expect(f.fix).toMatch(/\w/);
  });

  it('a stack that cannot be read stops there: no other line', () => {
    const o = healthy();
    o.outputs = denied('no DescribeStacks');
    expect(diagnose({ stackName: o.stackName, region: o.region, outputs: o.outputs, rules: [] })).toEqual([
      expect.objectContaining({ check: 'stack', status: 'problem', message: expect.stringContaining('DescribeStacks failed: AccessDenied') }),
    ]);
  });
});
