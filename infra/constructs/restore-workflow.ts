/** The restore workflow: one Standard execution per object and restore cycle. */
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, MetricFilter, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct, type IConstruct } from 'constructs';
import { OPEN_CYCLES_INDEX } from '../../functions/domain/stores/records.js';
import { METRIC_NAMESPACE } from '../../functions/domain/wiring/metrics.js';
import { definitionTemplate, type DefinitionSubstitutions } from '../../statemachines/definition.js';
import type { DeploymentConfig } from '../config.js';
import type { FunctionEnvironments } from '../function-environments.js';
import { AutorestoreFunction } from './autorestore-function.js';
import type { StateTables } from './state-tables.js';
import { watchedBucketArns, watchedObjectArns } from './watched-buckets.js';

export interface RestoreWorkflowProps {
  config: DeploymentConfig;
  tables: StateTables;
  aggregator: IFunction;
  /** The steps' and the reconciler's environments (infra/function-environments.ts). */
  environments: Pick<FunctionEnvironments, 'restore-steps' | 'reconcile-cycles'>;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/** The state machine's name, from which its ARN and its executions' ARNs are built. */
export function restoreStateMachineName(scope: Construct): string {
  return `${Stack.of(scope).stackName}-restore-object`;
}

/**
 * The state machine's ARN, built from its name rather than referenced, so the functions'
 * environments and policies can name it without a dependency cycle (it already depends on them).
 */
export function restoreStateMachineArn(scope: Construct): string {
  return Arn.format({ service: 'states', resource: 'stateMachine', resourceName: restoreStateMachineName(scope), arnFormat: ArnFormat.COLON_RESOURCE_NAME }, Stack.of(scope));
}

/** Every execution of the restore state machine (DescribeExecution is authorised on executions). */
export function restoreExecutionsArn(scope: Construct): string {
  return Arn.format({ service: 'states', resource: 'execution', resourceName: `${restoreStateMachineName(scope)}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, Stack.of(scope));
}

export class RestoreWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;
  readonly stateMachineArn: string;
  /** Every execution of the state machine: `...:execution:<state machine name>:*`. */
  readonly executionsArn: string;
  readonly steps: AutorestoreFunction;
  readonly reconciler: CycleReconciler;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const { config, tables } = props;
    const stack = Stack.of(this);
    const stateMachineName = restoreStateMachineName(this);
    this.stateMachineName = stateMachineName;
    this.stateMachineArn = restoreStateMachineArn(this);
    this.executionsArn = restoreExecutionsArn(this);

    this.steps = new AutorestoreFunction(this, 'RestoreSteps', {
      name: 'restore-steps',
      description: 'The restore workflow steps: inspect the object, request the restore, store the task token, close the cycle',
      environment: props.environments['restore-steps'],
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.steps);
    tables.grantAuditRecording(this.steps);
    // The restore request queues the readers' "started" notices (one batch on the first hand-over,
    // a conditional PutItem each on a retry) and the approval step the approvers' and the readers'
    // emails (conditional PutItems): on the table itself, not its index.
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'], resources: [tables.notices.tableArn] }));
    this.steps.addToRolePolicy(
      new PolicyStatement({
        // HeadObject is authorised by s3:GetObject (s3:GetObjectVersion with a version id).
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:RestoreObject'],
        resources: watchedObjectArns(config.watchedBuckets, stack),
      }),
    );
    // With ListBucket, HeadObject on a deleted object answers 404 (the "object deleted" path);
    // without it S3 answers 403, which reads as a refused restore.
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: watchedBucketArns(config.watchedBuckets, stack) }));
    // A waiting step resumes its own task when the restore finished before the token was stored,
    // and a step waited on by token reports its own failure by that token.
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [this.stateMachineArn] }));

    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const substitutions: DefinitionSubstitutions = {
      RestoreStepsFunctionArn: this.steps.functionArn,
      NotifyAggregatorFunctionArn: props.aggregator.functionArn,
      WaitTimeoutSeconds: String(config.waitTimeoutSeconds),
      ApprovalTimeoutSeconds: String(config.restorePolicy.approvalTimeoutSeconds),
      ObjectsTableName: tables.objects.tableName,
    };
    this.stateMachine = new StateMachine(this, 'RestoreObject', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definitionTemplate()),
      definitionSubstitutions: { ...substitutions },
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The definition is a string: CDK cannot infer what it calls, so grant explicitly.
    this.steps.grantInvoke(this.stateMachine);
    props.aggregator.grantInvoke(this.stateMachine);
    // The last-resort close writes the record directly when the closing step keeps failing.
    this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [tables.objects.tableArn] }));

    const alarm = (alarmId: string, description: string, metric: ReturnType<StateMachine['metricFailed']>) =>
      new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    alarm('ExecutionsFailed', 'A restore workflow execution failed: see the execution history and the object audit history', this.stateMachine.metricFailed({ period: Duration.minutes(5) }));
    alarm('ExecutionsTimedOut', 'A restore workflow execution timed out', this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }));
    // A restored object whose readers were not told: its own alarm, on the Fail state's error name.
    const readyNoticesFailed = new MetricFilter(this, 'ReadyNoticesFailedFilter', {
      logGroup,
      filterPattern: FilterPattern.anyTerm('ReadyNoticeFailed'),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'ReadyNoticesFailed',
      metricValue: '1',
    });
    alarm(
      'ReadyNoticesFailed',
      'A restored object\'s "ready" notice could not be handed to the aggregator; the reconciler retries it',
      readyNoticesFailed.metric({ period: Duration.minutes(5), statistic: 'Sum' }),
    );

    this.reconciler = new CycleReconciler(this, 'Reconciler', { ...props, stateMachineArn: this.stateMachineArn });
  }
}

export interface CycleReconcilerProps extends RestoreWorkflowProps {
  stateMachineArn: string;
}

/**
 * The scheduled repair of restore cycles whose execution ended without closing them (stopped,
 * failed, timed out, unknown). It reads only the objects table's sparse index of open cycles.
 */
export class CycleReconciler extends Construct {
  readonly function: AutorestoreFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: CycleReconcilerProps) {
    super(scope, id);
    const { config, tables } = props;
    this.function = new AutorestoreFunction(this, 'ReconcileCycles', {
      name: 'reconcile-cycles',
      description: 'Repairs restore cycles whose execution ended without closing them, and hands pending ready notices',
      environment: props.environments['reconcile-cycles'],
      timeout: Duration.minutes(5),
      // No reserved concurrency: Lambda refuses to reserve any while it would leave the account
      // under 100 unreserved, so on a new account with a low limit the deploy would fail
      // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). Two
      // overlapping runs are safe: every repair is a conditional write, so one wins and the
      // other finds the cycle moved on; they only waste work.
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const fn = this.function;
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${tables.objects.tableArn}/index/${OPEN_CYCLES_INDEX}`] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [tables.objects.tableArn] }));
    // The aggregator's enqueue path: one notice per reader, a "ready" supersedes a pending "started";
    // a first hand-over puts its notices and its history line in one BatchWriteItem.
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'], resources: [tables.notices.tableArn] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'], resources: [tables.audit.tableArn] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [restoreExecutionsArn(this)] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachineArn] }));
    const stack = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({
        // HeadObject is authorised by s3:GetObject (s3:GetObjectVersion with a version id).
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: config.watchedBuckets.map((b) => Arn.format({ service: 's3', region: '', account: '', resource: b, resourceName: '*' }, stack)),
      }),
    );
    // Without ListBucket, HeadObject answers 403 instead of 404 for a deleted object.
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: config.watchedBuckets.map((b) => Arn.format({ service: 's3', region: '', account: '', resource: b }, stack)) }));

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Repairs restore cycles whose execution ended without closing them',
      schedule: Schedule.rate(Duration.minutes(config.reconcileScheduleMinutes)),
      targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject({ action: 'reconcile' }), retryAttempts: 0 })],
    });
    new Alarm(this, 'ReconcilerErrors', {
      alarmDescription: 'The restore-cycle reconciler failed: stuck cycles are not being repaired',
      metric: fn.metricErrors({ period: Duration.minutes(config.reconcileScheduleMinutes) }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** A cdk-nag finding this part of the stack accepts, with its reason (applied in nag-acknowledgements.ts). */
export interface CycleFinding {
  scope: IConstruct;
  id: string;
  reason: string;
}

/**
 * The findings of the cycle machinery: the reconciler's grants, the execution-scoped
 * DescribeExecution, and the objects table's open-cycles index covered by its table grants.
 */
/** `executionsFindingId`: the IAM5 finding id of the executions wildcard, as cdk-nag renders it for this stack. */
export function cycleFindings(stack: Stack, workflow: RestoreWorkflow, objectsTable: ITable, objectsTableUsers: IFunction[], executionsFindingId: string, watchedBuckets: string[]): CycleFinding[] {
  const reconciler = workflow.reconciler.function;
  const describeReason = 'states:DescribeExecution is authorised on executions, whose names are not known in advance; the grant is every execution of the restore state machine and nothing else.';
  const findings: CycleFinding[] = [
    {
      scope: reconciler,
      id: 'AwsSolutions-L1',
      reason: 'The runtime is pinned to nodejs22.x, the version the handlers are built (esbuild target node22) and tested for; moving to a newer runtime is a deliberate, tested change.',
    },
    {
      scope: reconciler.role!,
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (added by tracing: ACTIVE).',
    },
    { scope: reconciler.role!, id: executionsFindingId, reason: describeReason },
    ...watchedBuckets.map((bucket) => ({
      scope: reconciler.role!,
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/*]`,
      reason: 'HeadObject on any object of a cycle left open, so every object of each configured watched bucket, and only those buckets.',
    })),
  ];
  const index = `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(objectsTable.node.defaultChild as never)}.Arn>/index/*]`;
  for (const fn of objectsTableUsers) {
    findings.push({ scope: fn.role!, id: index, reason: 'The objects table grant covers its own index of open cycles (CDK adds index ARNs to table grants); nothing outside this table is granted.' });
  }
  return findings;
}
