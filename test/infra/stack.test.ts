import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { parseDeploymentConfig, type DeploymentConfig } from '../../infra/config.js';
import { acknowledgeFindings } from '../../infra/nag-acknowledgements.js';
import { AutorestoreStack } from '../../infra/stack.js';

// Bundling is switched off (no esbuild run per test); the functions' code is not under test here.
const noBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const config = (extra: object = {}): DeploymentConfig =>
  parseDeploymentConfig({ account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one', 'archive-two'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', ...extra });

let template: Template;
beforeAll(() => {
  template = Template.fromStack(buildApp(config(), noBundling()).stack);
});

const policyStatementsOf = (roleLogicalIdPrefix: string) =>
  Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(([, r]) => (r as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement);

describe('event rules', () => {
  it('routes GetObject refused with InvalidObjectState on the watched buckets to detect-access', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['s3.amazonaws.com'], eventName: ['GetObject'], errorCode: ['InvalidObjectState'], requestParameters: { bucketName: ['archive-one', 'archive-two'] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DetectionDetectAccess'), 'Arn'] }, DeadLetterConfig: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 } })],
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

  it('creates a trail with read data events for the watched buckets only', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      EventSelectors: [Match.objectLike({ IncludeManagementEvents: false, ReadWriteType: 'ReadOnly', DataResources: [{ Type: 'AWS::S3::Object', Values: Match.arrayWith([Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':s3:::archive-one/'])] })]) }] })],
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 2);
  });

  it('can rely on an existing trail and existing bucket notifications', () => {
    const t = Template.fromStack(new AutorestoreStack(noBundling(), 'NoTrail', { config: config({ createTrail: false, enableBucketEventBridge: false }) }));
    t.resourceCountIs('AWS::CloudTrail::Trail', 0);
    t.resourceCountIs('Custom::S3BucketNotifications', 0);
  });
});

describe('workflow', () => {
  it('is a Standard state machine with logging at ALL and X-Ray tracing, every placeholder substituted', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: 'S3Autorestore-restore-object',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: Match.anyValue() },
      TracingConfiguration: { Enabled: true },
      DefinitionSubstitutions: { RestoreStepsFunctionArn: Match.anyValue(), NotifyAggregatorFunctionArn: Match.anyValue(), WaitTimeoutSeconds: '86400' },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/S3Autorestore-restore-object' });
  });

  it('alarms on failed and timed-out executions', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, Namespace: 'AWS/States', Threshold: 1 });
    }
  });

  it('runs every function on nodejs22.x with tracing and its own log group', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    expect(Object.keys(functions)).toHaveLength(5);
    for (const fn of Object.values(functions)) expect(fn).toMatchObject({ Properties: { TracingConfig: { Mode: 'Active' }, LoggingConfig: { LogGroup: expect.anything() } } });
  });
});

describe('least privilege', () => {
  it('S3 actions only on the watched buckets, only in the workflow steps function', () => {
    // The reconciler's HeadObject grant: test/infra/reconciler.test.ts.
    const s3 = policyStatementsOf('WorkflowRestoreSteps').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    expect(s3[0]!.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:RestoreObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toMatch(/archive-one\/\*.*archive-two\/\*/);
    // Detection's only S3 permission: CDK's handler turning on EventBridge notifications for each watched bucket.
    const detectionS3 = policyStatementsOf('Detection').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(new Set(detectionS3.flatMap((s) => [s.Action].flat()))).toEqual(new Set(['s3:PutBucketNotification', 's3:GetBucketNotification']));
    for (const statement of detectionS3) expect(JSON.stringify(statement.Resource)).toMatch(/:s3:::archive-(one|two)"/);
    expect(policyStatementsOf('Notifications').filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')))).toEqual([]);
  });

  it('SES send restricted to the configured identity and From address', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'ses:SendEmail',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':ses:eu-west-1:111122223333:identity/example.com'])] },
            Condition: { StringEquals: { 'ses:FromAddress': 'restores@example.com' } },
          },
        ]),
      },
    });
  });

  it('StartExecution and SendTaskSuccess only on the restore state machine', () => {
    // DescribeExecution is on executions of the same state machine: test/infra/reconciler.test.ts.
    const states = ['Detection', 'Workflow'].flatMap(policyStatementsOf).filter((s) => [s.Action].flat().some((a) => a.startsWith('states:') && a !== 'states:DescribeExecution'));
    expect(states.map((s) => s.Action).sort()).toEqual(['states:SendTaskSuccess', 'states:SendTaskSuccess', 'states:StartExecution', 'states:StartExecution']);
    for (const s of states) expect(JSON.stringify(s.Resource)).toContain(':stateMachine:S3Autorestore-restore-object');
  });

  it('no function uses AWSLambdaBasicExecutionRole', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    for (const [, role] of roles) expect(JSON.stringify(role)).not.toContain('AWSLambdaBasicExecutionRole');
  });
});

describe('tables', () => {
  it('are on-demand with point-in-time recovery; production ones are deletion-protected and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    template.allResourcesProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: false });
    const prod = Template.fromStack(new AutorestoreStack(noBundling(), 'Prod', { config: config({ stage: 'prod' }) }));
    prod.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    expect(Object.values(prod.findResources('AWS::DynamoDB::Table')).every((t) => (t as { DeletionPolicy?: string }).DeletionPolicy === 'Retain')).toBe(true);
  });

  it('the notices table has the sparse pending index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [{ IndexName: 'pending', KeySchema: [{ AttributeName: 'pendingPartition', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding', () => {
    const { app } = buildApp(config(), noBundling());
    expect(() => app.synth()).not.toThrow();
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
