import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { parseDeploymentConfig, WatchedBucketRegionError, type DeploymentConfig } from '../../infra/config.js';
import { acknowledgeFindings } from '../../infra/nag-acknowledgements.js';
import { OPTIONAL_STACK_OUTPUTS, STACK_OUTPUT_NAMES } from '../../infra/outputs.js';
import { AutorestoreStack } from '../../infra/stack.js';

// Bundling is switched off (no esbuild run per test); the functions' code is not under test here.
const noBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const config = (extra: object = {}): DeploymentConfig =>
  parseDeploymentConfig({ account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one', 'archive-two'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', ...extra });

let template: Template;
beforeAll(() => {
  template = Template.fromStack(buildApp(config(), noBundling()).stack);
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const policyStatementsOf = (roleLogicalIdPrefix: string, from: Template = template) =>
  Object.entries(from.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(([, r]) => (r as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
const withAction = (statements: Statement[], action: string) => statements.filter((s) => [s.Action].flat().includes(action));
/** `arn:<partition>:<rest>` as CDK renders it. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('event rules', () => {
  it('routes GetObject refused with InvalidObjectState on the watched buckets to detect-access, read directly or through an access point', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['s3.amazonaws.com'],
          eventName: ['GetObject'],
          errorCode: ['InvalidObjectState'],
          // A read through an access point names the access point in bucketName and the bucket in resources.
          $or: [{ requestParameters: { bucketName: ['archive-one', 'archive-two'] } }, { resources: { ARN: [arn(':s3:::archive-one'), arn(':s3:::archive-two')] } }],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DetectionDetectAccess'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  it('routes Object Restore Completed / Expired to restore-completed', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Restore Completed', 'Object Restore Expired'], detail: { bucket: { name: ['archive-one', 'archive-two'] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DetectionRestoreCompleted'), 'Arn'] } })],
    });
  });

  it('ticks the aggregator on a schedule with a constant input', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ action: 'tick' }) })],
    });
  });

  it('sends events whose function failed after the Lambda retries to the dead-letter queue (the rule DLQ only sees delivery failures)', () => {
    const queue = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('DetectionUndeliveredEvents'));
    expect(queue).toBeTruthy();
    for (const fn of ['DetectionDetectAccess', 'DetectionRestoreCompleted']) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: Match.stringLikeRegexp(`^${fn}`) },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      });
    }
  });

  it('has explicit rule names derived from the stack name', () => {
    template.hasResourceProperties('AWS::Events::Rule', { Name: 'S3Autorestore-archived-read', EventPattern: Match.objectLike({ 'detail-type': ['AWS API Call via CloudTrail'] }) });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'S3Autorestore-restore-lifecycle',
      EventPattern: Match.objectLike({ 'detail-type': ['Object Restore Completed', 'Object Restore Expired'] }),
    });
  });
});

describe('detection trail', () => {
  it('logs only GetObject data events of the watched buckets, through advanced event selectors', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      AdvancedEventSelectors: [
        {
          Name: Match.anyValue(),
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
            { Field: 'eventName', Equals: ['GetObject'] },
            { Field: 'resources.ARN', StartsWith: [arn(':s3:::archive-one/'), arn(':s3:::archive-two/')] },
          ],
        },
      ],
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 2);
  });

  it('emits no basic event selectors (they exclude advanced ones and would log every read data event)', () => {
    const [trail] = Object.values(template.findResources('AWS::CloudTrail::Trail')) as { Properties: Record<string, unknown> }[];
    expect(trail!.Properties).not.toHaveProperty('EventSelectors');
  });

  it('can rely on an existing trail and existing bucket notifications', () => {
    const t = Template.fromStack(new AutorestoreStack(noBundling(), 'NoTrail', { config: config({ createTrail: false, enableBucketEventBridge: false }) }));
    t.resourceCountIs('AWS::CloudTrail::Trail', 0);
    t.resourceCountIs('Custom::S3BucketNotifications', 0);
    expect(t.findOutputs('TrailArn')).toEqual({});
  });

  it('with existingTrailArn creates no trail and names the existing one in the TrailArn output', () => {
    const existing = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/organisation-reads';
    const t = Template.fromStack(buildApp(config({ existingTrailArn: existing }), noBundling()).stack);
    t.resourceCountIs('AWS::CloudTrail::Trail', 0);
    // The one bucket left is the bulk path's manifest bucket: no trail log bucket.
    t.resourceCountIs('AWS::S3::Bucket', 1);
    t.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: Match.objectLike({ Rules: [Match.objectLike({ Id: 'ExpireManifestsAndReports' })] }) });
    t.hasOutput('TrailArn', { Value: existing });
  });

  it('refuses createTrail together with existingTrailArn', () => {
    expect(() => config({ createTrail: true, existingTrailArn: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/reads' })).toThrow(/createTrail and existingTrailArn exclude each other/);
  });
});

describe('watched bucket Regions', () => {
  it('refuses at synth a watched bucket declared in another Region than the stack', () => {
    const cfg = config({ watchedBuckets: ['archive-one', { name: 'archive-far', region: 'us-west-2' }] });
    const build = () => buildApp(cfg, noBundling());
    expect(build).toThrow(WatchedBucketRegionError);
    expect(build).toThrow(/archive-far \(us-west-2\).*outside the stack's Region eu-west-1|outside the stack's Region eu-west-1: archive-far \(us-west-2\)/);
  });

  it('refuses a declared Region when the stack has none to compare with', () => {
    const cfg = parseDeploymentConfig({ watchedBuckets: [{ name: 'archive-one', region: 'eu-west-1' }], senderAddress: 'restores@example.com', sesIdentity: 'example.com' });
    expect(() => new AutorestoreStack(noBundling(), 'NoRegion', { config: cfg })).toThrow(/set "region"/);
  });

  it('accepts buckets declared in the stack Region and watches them by name', () => {
    const cfg = config({ watchedBuckets: [{ name: 'archive-one', region: 'eu-west-1' }, 'archive-two'] });
    expect(cfg.watchedBuckets).toEqual(['archive-one', 'archive-two']);
    const t = Template.fromStack(buildApp(cfg, noBundling()).stack);
    t.hasOutput('WatchedBuckets', { Value: 'archive-one,archive-two' });
  });
});

describe('outputs', () => {
  it('name the watched buckets, the trail, the rules and the SES sender', () => {
    template.hasOutput('WatchedBuckets', { Value: 'archive-one,archive-two' });
    template.hasOutput('TrailArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DetectionReadTrail'), 'Arn'] } });
    template.hasOutput('ArchivedReadRuleName', { Value: { Ref: Match.stringLikeRegexp('^DetectionArchivedRead') } });
    template.hasOutput('RestoreLifecycleRuleName', { Value: { Ref: Match.stringLikeRegexp('^DetectionRestoreLifecycle') } });
    template.hasOutput('SesIdentity', { Value: 'example.com' });
    template.hasOutput('SenderAddress', { Value: 'restores@example.com' });
    expect(template.findOutputs('SesConfigurationSet')).toEqual({});
  });

  it('are the names the CLI, doctor, console and local cloud read (SesConfigurationSet only when configured)', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(STACK_OUTPUT_NAMES.filter((name) => name !== 'SesConfigurationSet').sort());
    const withSet = Template.fromStack(buildApp(config({ sesConfigurationSet: 'autorestore-events' }), noBundling()).stack);
    expect(Object.keys(withSet.findOutputs('*')).sort()).toEqual([...STACK_OUTPUT_NAMES].sort());
    expect(OPTIONAL_STACK_OUTPUTS).toEqual(['TrailArn', 'SesConfigurationSet', 'RestorePolicy']);
  });
});

describe('workflow', () => {
  it('is a Standard state machine with logging at ALL and X-Ray tracing, every placeholder substituted', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: 'S3Autorestore-restore-object',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: Match.anyValue() },
      TracingConfiguration: { Enabled: true },
      DefinitionSubstitutions: { RestoreStepsFunctionArn: Match.anyValue(), NotifyAggregatorFunctionArn: Match.anyValue(), WaitTimeoutSeconds: '86400', ApprovalTimeoutSeconds: '86400' },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/S3Autorestore-restore-object' });
  });

  it('alarms when SES refuses a notice for good (the aggregator publishes the metric)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'S3Autorestore',
      MetricName: 'NoticesUndeliverable',
      Dimensions: [{ Name: 'service', Value: 'notify-aggregator' }],
      Threshold: 1,
    });
  });

  it('alarms on failed and timed-out executions', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, Namespace: 'AWS/States', Threshold: 1 });
    }
  });

  it('runs every function on nodejs22.x with tracing and its own log group', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    expect(Object.keys(functions)).toHaveLength(6);
    for (const fn of Object.values(functions)) expect(fn).toMatchObject({ Properties: { TracingConfig: { Mode: 'Active' }, LoggingConfig: { LogGroup: expect.anything() } } });
  });
});

describe('least privilege', () => {
  const objects = [arn(':s3:::archive-one/*'), arn(':s3:::archive-two/*')];
  const buckets = [arn(':s3:::archive-one'), arn(':s3:::archive-two')];

  it('S3 object actions only on the watched buckets, only in the functions that inspect or restore objects', () => {
    const steps = policyStatementsOf('WorkflowRestoreSteps').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(steps).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:RestoreObject'], Resource: objects },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: buckets },
    ]);
    const completed = policyStatementsOf('DetectionRestoreCompleted').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(completed).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: objects },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: buckets },
    ]);
    expect(policyStatementsOf('DetectionDetectAccess').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')))).toEqual([]);
    // Otherwise only CDK's handler turning on EventBridge notifications for each watched bucket.
    const handlers = policyStatementsOf('DetectionWatched').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(new Set(handlers.flatMap((s) => [s.Action].flat()))).toEqual(new Set(['s3:PutBucketNotification', 's3:GetBucketNotification']));
    expect(policyStatementsOf('Notifications').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')))).toEqual([]);
  });

  it('ListBucket on the watched buckets for the HeadObject callers, so a deleted object answers 404, not 403', () => {
    for (const role of ['WorkflowRestoreSteps', 'DetectionRestoreCompleted']) {
      expect(withAction(policyStatementsOf(role), 's3:ListBucket'), role).toEqual([{ Effect: 'Allow', Action: 's3:ListBucket', Resource: buckets }]);
    }
  });

  it('SES send on the identities SES checks, only from the configured From address', () => {
    expect(withAction(policyStatementsOf('NotificationsNotifyAggregator'), 'ses:SendEmail')).toEqual([
      {
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: arn(':ses:eu-west-1:111122223333:identity/*'),
        Condition: { StringEquals: { 'ses:FromAddress': 'restores@example.com' } },
      },
    ]);
  });

  it('with a configuration set: SES send also on it, the aggregator told its name, and an output', () => {
    const t = Template.fromStack(buildApp(config({ sesConfigurationSet: 'restore-mail' }), noBundling()).stack);
    expect(withAction(policyStatementsOf('NotificationsNotifyAggregator', t), 'ses:SendEmail')).toEqual([
      {
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: [arn(':ses:eu-west-1:111122223333:identity/*'), arn(':ses:eu-west-1:111122223333:configuration-set/restore-mail')],
        Condition: { StringEquals: { 'ses:FromAddress': 'restores@example.com' } },
      },
    ]);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Queues restore notices'),
      Environment: { Variables: Match.objectLike({ SES_CONFIGURATION_SET: 'restore-mail' }) },
    });
    t.hasOutput('SesConfigurationSet', { Value: 'restore-mail' });
    // Without one, nothing names a configuration set.
    const [aggregator] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Queues restore notices') } })) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];
    expect(aggregator!.Properties.Environment.Variables).not.toHaveProperty('SES_CONFIGURATION_SET');
  });

  it('StartExecution, DescribeExecution, SendTaskSuccess and SendTaskFailure only on the restore state machine and its executions', () => {
    // The reconciler's own grants: test/infra/reconciler.test.ts.
    const states = ['Detection', 'Workflow'].flatMap((prefix) => policyStatementsOf(prefix)).filter((s) => [s.Action].flat().some((a) => a.startsWith('states:') && a !== 'states:DescribeExecution'));
    // The completion resumes a wait; the workflow's steps resume their own wait, or fail their own task by its token.
    expect(states.map((s) => JSON.stringify(s.Action)).sort()).toEqual(
      ['"states:SendTaskSuccess"', '["states:SendTaskSuccess","states:SendTaskFailure"]', '"states:StartExecution"', '"states:StartExecution"'].sort(),
    );
    for (const s of states) expect(JSON.stringify(s.Resource)).toContain(':stateMachine:S3Autorestore-restore-object"');
    expect(withAction(policyStatementsOf('DetectionDetectAccess'), 'states:DescribeExecution')).toEqual([
      { Effect: 'Allow', Action: 'states:DescribeExecution', Resource: arn(':states:eu-west-1:111122223333:execution:S3Autorestore-restore-object:*') },
    ]);
  });

  it('the functions that hand notices over write only items of the notices table, never its index, and only as they write them', () => {
    const noticesArn = { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('StateNotices'))!, 'Arn'] };
    const onNotices = (prefix: string) => policyStatementsOf(prefix).filter((s) => JSON.stringify([s.Resource].flat()).includes(JSON.stringify(noticesArn)));
    // The completion queues the readers' "ready" notices on the first hand-over only: one batch.
    expect(onNotices('DetectionRestoreCompleted')).toEqual([{ Effect: 'Allow', Action: 'dynamodb:BatchWriteItem', Resource: noticesArn }]);
    // The restore request queues the "started" ones (a batch first, a conditional put each on a retry), the approval step its own.
    expect(onNotices('WorkflowRestoreSteps')).toEqual([{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'], Resource: noticesArn }]);
  });

  it('every role that records audit entries may also read a dedupe marker (GetItem on a duplicate event)', () => {
    const auditArn = { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('StateAudit'))!, 'Arn'] };
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')) as [string, { Properties: { PolicyDocument: { Statement: Statement[] } } }][];
    const onAudit = (statements: Statement[], action: string) => statements.some((s) => [s.Action].flat().includes(action) && JSON.stringify([s.Resource].flat()).includes(JSON.stringify(auditArn)));
    const writers = policies.filter(([, p]) => onAudit(p.Properties.PolicyDocument.Statement, 'dynamodb:PutItem'));
    expect(writers.length).toBeGreaterThanOrEqual(5);
    for (const [id, p] of writers) expect(onAudit(p.Properties.PolicyDocument.Statement, 'dynamodb:GetItem'), id).toBe(true);
  });

  it('no function uses AWSLambdaBasicExecutionRole', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    for (const [, role] of roles) expect(JSON.stringify(role)).not.toContain('AWSLambdaBasicExecutionRole');
  });
});

describe('tables', () => {
  it('are on-demand with point-in-time recovery; production ones are deletion-protected and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: false,
    });
    const prod = Template.fromStack(new AutorestoreStack(noBundling(), 'Prod', { config: config({ stage: 'prod' }) }));
    prod.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    expect(Object.values(prod.findResources('AWS::DynamoDB::Table')).every((t) => (t as { DeletionPolicy?: string }).DeletionPolicy === 'Retain')).toBe(true);
  });

  it('the notices table has the sparse pending index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'pending',
          KeySchema: [
            { AttributeName: 'pendingPartition', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding', () => {
    const { app } = buildApp(config(), noBundling());
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges the SES identity and execution wildcards, for a fixed and an environment-agnostic stack', () => {
    const cases = [
      { extra: { sesConfigurationSet: 'restore-mail' }, where: 'eu-west-1:111122223333' },
      { extra: { account: undefined, region: undefined }, where: '<AWS::Region>:<AWS::AccountId>' },
    ];
    for (const { extra, where } of cases) {
      const { app, stack } = buildApp(config({ ...extra, stackName: 'Wildcards' }), noBundling());
      const ids = acknowledgeFindings(stack).map((a) => a.id);
      expect(ids).toContain(`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:${where}:identity/*]`);
      expect(ids).toContain(`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${where}:execution:Wildcards-restore-object:*]`);
      expect(() => app.synth(), where).not.toThrow();
    }
  });

  it('would fail without the acknowledgements (the check is live)', async () => {
    const { Validations } = await import('aws-cdk-lib');
    const { AwsSolutionsChecks } = await import('cdk-nag');
    const app = noBundling();
    new AutorestoreStack(app, 'Unacknowledged', { config: config() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-/);
  });

  it('every acknowledgement has a written reason', () => {
    const { stack } = buildApp(config({ stackName: 'Reasons' }), noBundling());
    const acknowledged = acknowledgeFindings(stack);
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const a of acknowledged) expect(a.reason.length, `${a.id} on ${a.path}`).toBeGreaterThan(40);
  });
});
