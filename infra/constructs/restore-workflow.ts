/** The restore workflow: one Standard execution per object and restore cycle. */
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvVars, restoreStepsEnvSchema } from '../../functions/shared/config.js';
import { definitionTemplate, type DefinitionSubstitutions } from '../../statemachines/definition.js';
import type { DeploymentConfig } from '../config.js';
import { AutorestoreFunction } from './autorestore-function.js';
import type { StateTables } from './state-tables.js';

export interface RestoreWorkflowProps {
  config: DeploymentConfig;
  tables: StateTables;
  aggregator: IFunction;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class RestoreWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineArn: string;
  readonly steps: AutorestoreFunction;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const { config, tables } = props;
    const stack = Stack.of(this);
    const stateMachineName = `${stack.stackName}-restore-object`;
    // Built from the name rather than referenced, so the functions' policies can name the
    // state machine without a dependency cycle (it already depends on them).
    this.stateMachineArn = Arn.format({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);

    const environment: EnvVars<typeof restoreStepsEnvSchema> = {
      OBJECTS_TABLE: tables.objects.tableName,
      AUDIT_TABLE: tables.audit.tableName,
      RESTORE_TIERS: JSON.stringify(config.restoreTiers),
      RESTORE_DAYS: String(config.restoreDays),
      MAX_WAIT_CYCLES: String(config.maxWaitCycles),
    };
    this.steps = new AutorestoreFunction(this, 'RestoreSteps', {
      name: 'restore-steps',
      description: 'The restore workflow steps: inspect the object, request the restore, store the task token, close the cycle',
      environment,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.steps);
    tables.audit.grantWriteData(this.steps);
    this.steps.addToRolePolicy(
      new PolicyStatement({
        // HeadObject is authorised by s3:GetObject (s3:GetObjectVersion with a version id).
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:RestoreObject'],
        resources: config.watchedBuckets.map((b) => Arn.format({ service: 's3', region: '', account: '', resource: b, resourceName: '*' }, stack)),
      }),
    );
    // The wait step resumes its own task when the restore finished before the token was stored.
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachineArn] }));

    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const substitutions: DefinitionSubstitutions = {
      RestoreStepsFunctionArn: this.steps.functionArn,
      NotifyAggregatorFunctionArn: props.aggregator.functionArn,
      WaitTimeoutSeconds: String(config.waitTimeoutSeconds),
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
    tables.objects.grant(this.stateMachine, 'dynamodb:UpdateItem');

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
  }
}
