/** The whole system in one stack: state, notifications, workflow, detection. */
import { CfnOutput, RemovalPolicy, Stack, Token, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { assertWatchedBucketsInRegion, type DeploymentConfig } from './config.js';
import { Detection } from './constructs/detection.js';
import { Notifications } from './constructs/notifications.js';
import { RestoreWorkflow } from './constructs/restore-workflow.js';
import { StateTables } from './constructs/state-tables.js';

export interface AutorestoreStackProps extends StackProps {
  config: DeploymentConfig;
}

export class AutorestoreStack extends Stack {
  readonly config: DeploymentConfig;
  readonly tables: StateTables;
  readonly notifications: Notifications;
  readonly workflow: RestoreWorkflow;
  readonly detection: Detection;

  constructor(scope: Construct, id: string, props: AutorestoreStackProps) {
    super(scope, id, props);
    const { config } = props;
    assertWatchedBucketsInRegion(config, Token.isUnresolved(this.region) ? undefined : this.region);
    this.config = config;
    const production = config.stage === 'prod';
    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = retentionOf(config.logRetentionDays);

    this.tables = new StateTables(this, 'State', { production });
    this.notifications = new Notifications(this, 'Notifications', { config, tables: this.tables, logRetention, removalPolicy });
    this.workflow = new RestoreWorkflow(this, 'Workflow', { config, tables: this.tables, aggregator: this.notifications.aggregator, logRetention, removalPolicy });
    this.detection = new Detection(this, 'Detection', { config, tables: this.tables, stateMachineArn: this.workflow.stateMachineArn, executionsArn: this.workflow.executionsArn, logRetention, removalPolicy });

    // Where the CLI finds the stack's resources, and what `autorestore doctor` checks.
    const trailArn = this.detection.trail?.trailArn ?? config.existingTrailArn;
    const outputs: Record<string, string | undefined> = {
      StateMachineArn: this.workflow.stateMachine.stateMachineArn,
      ObjectsTableName: this.tables.objects.tableName,
      AuditTableName: this.tables.audit.tableName,
      NoticesTableName: this.tables.notices.tableName,
      PrincipalsTableName: this.tables.principals.tableName,
      DeadLetterQueueUrl: this.detection.deadLetterQueue.queueUrl,
      WatchedBuckets: config.watchedBuckets.join(','),
      TrailArn: trailArn,
      ArchivedReadRuleName: this.detection.archivedReadRule.ruleName,
      RestoreLifecycleRuleName: this.detection.restoreLifecycleRule.ruleName,
      SesIdentity: config.sesIdentity,
      SenderAddress: config.senderAddress,
      SesConfigurationSet: config.sesConfigurationSet,
    };
    for (const [name, value] of Object.entries(outputs)) if (value !== undefined) new CfnOutput(this, name, { value });
  }
}

/** The closest CloudWatch Logs retention at or above the requested days. */
function retentionOf(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0).sort((a, b) => a - b);
  return (allowed.find((d) => d >= days) ?? RetentionDays.INFINITE) as RetentionDays;
}
