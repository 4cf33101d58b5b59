/** The reconciler of stuck restore cycles, its sparse index and its least-privilege grants, in the synthesized template. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { parseDeploymentConfig, type DeploymentConfig } from '../../infra/config.js';

const noBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const config = (extra: object = {}): DeploymentConfig =>
  parseDeploymentConfig({ account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one', 'archive-two'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', ...extra });

let template: Template;
let built: ReturnType<typeof buildApp>;
beforeAll(() => {
  built = buildApp(config(), noBundling());
  template = Template.fromStack(built.stack);
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const statementsOf = (logicalIdPrefix: string): Statement[] =>
  Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .flatMap(([, r]) => (r as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const logicalId = (construct: { node: { defaultChild?: unknown } }) => built.stack.getLogicalId(construct.node.defaultChild as never);

describe('the objects table', () => {
  it('has the sparse index of open cycles (partition only on open records, by cycle start)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'objectId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'open-cycles',
          KeySchema: [
            { AttributeName: 'openPartition', KeyType: 'HASH' },
            { AttributeName: 'cycleStartedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
  });
});

describe('the reconciler', () => {
  it('runs every 15 minutes by default, configurable', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowReconcilerReconcileCycles'), 'Arn'] }, Input: JSON.stringify({ action: 'reconcile' }) })],
    });
    const other = Template.fromStack(buildApp(config({ stackName: 'Hourly', reconcileScheduleMinutes: 60 }), noBundling()).stack);
    other.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Targets: [Match.objectLike({ Input: JSON.stringify({ action: 'reconcile' }) })] });
  });

  it('is one function with its environment, and reserves no concurrency (a deploy on an account with a low concurrency limit would fail)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      ReservedConcurrentExecutions: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          STATE_MACHINE_ARN: Match.anyValue(),
          RECONCILE_GRACE_SECONDS: '900',
          OBJECTS_TABLE: Match.anyValue(),
          NOTICES_TABLE: Match.anyValue(),
          AUDIT_TABLE: Match.anyValue(),
        }),
      },
    });
    const reconciler = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('WorkflowReconcilerReconcileCycles'));
    expect(reconciler).toHaveLength(1);
    expect(reconciler[0]![1].Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('may Query only the open-cycles index, never Scan', () => {
    const statements = statementsOf('WorkflowReconcilerReconcileCyclesRole');
    expect(actionsOf(statements)).not.toContain('dynamodb:Scan');
    const query = statements.filter((s) => actionsOf([s]).includes('dynamodb:Query'));
    expect(query).toHaveLength(1);
    expect(JSON.stringify(query[0]!.Resource)).toContain('/index/open-cycles');
  });

  it('may describe executions of the restore state machine and start only that state machine', () => {
    const statements = statementsOf('WorkflowReconcilerReconcileCyclesRole');
    const describe = statements.find((s) => actionsOf([s]).includes('states:DescribeExecution'))!;
    expect(actionsOf([describe])).toEqual(['states:DescribeExecution']);
    expect(JSON.stringify(describe.Resource)).toContain(':execution:S3Autorestore-restore-object:*');
    const start = statements.find((s) => actionsOf([s]).includes('states:StartExecution'))!;
    expect(JSON.stringify(start.Resource)).toContain(':stateMachine:S3Autorestore-restore-object');
    expect(JSON.stringify(start.Resource)).not.toContain('*');
  });

  it('HeadObject and ListBucket on the watched buckets only; no RestoreObject', () => {
    const statements = statementsOf('WorkflowReconcilerReconcileCyclesRole');
    expect(actionsOf(statements)).not.toContain('s3:RestoreObject');
    const head = statements.find((s) => actionsOf([s]).includes('s3:GetObject'))!;
    expect(JSON.stringify(head.Resource)).toMatch(/archive-one\/\*.*archive-two\/\*/);
    const list = statements.find((s) => actionsOf([s]).includes('s3:ListBucket'))!;
    expect(JSON.stringify(list.Resource)).toMatch(/s3:::archive-one"\]\].*s3:::archive-two"\]\]/);
  });

  it('writes notices through the aggregator enqueue path: the notices table only, no SES', () => {
    const statements = statementsOf('WorkflowReconcilerReconcileCyclesRole');
    expect(actionsOf(statements).filter((a) => a.startsWith('ses:'))).toEqual([]);
    const notices = statements.filter((s) => JSON.stringify(s.Resource).includes(logicalId(built.stack.tables.notices)));
    expect(actionsOf(notices).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // A first hand-over writes its notices and its history line in one batch.
    const audit = statements.filter((s) => JSON.stringify(s.Resource).includes(logicalId(built.stack.tables.audit)));
    expect(actionsOf(audit).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  it('detect-access may check that a joined cycle’s execution still runs', () => {
    const describe = statementsOf('DetectionDetectAccessRole').find((s) => actionsOf([s]).includes('states:DescribeExecution'))!;
    expect(JSON.stringify(describe.Resource)).toContain(':execution:S3Autorestore-restore-object:*');
  });
});

describe('the workflow', () => {
  it('alarms on a ready notice that could not be handed, through a metric filter on the state machine logs', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '"ReadyNoticeFailed"',
      MetricTransformations: [Match.objectLike({ MetricName: 'ReadyNoticesFailed', MetricValue: '1' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ReadyNoticesFailed', Threshold: 1 });
  });

  it('the state machine may close a record directly (last resort) on the objects table only', () => {
    const update = statementsOf('WorkflowRestoreObjectRole').filter((s) => actionsOf([s]).includes('dynamodb:UpdateItem'));
    expect(update).toHaveLength(1);
    expect(actionsOf(update)).toEqual(['dynamodb:UpdateItem']);
    expect(JSON.stringify(update[0]!.Resource)).toContain(logicalId(built.stack.tables.objects));
  });

  it('stays cdk-nag clean', () => {
    expect(() => built.app.synth()).not.toThrow();
  });
});
