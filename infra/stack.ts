/** The repository's own app: one stack holding the S3Autorestore construct, and the outputs the CLI reads. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { DeploymentConfig } from './config.js';
import type { Detection } from './constructs/detection.js';
import type { Notifications } from './constructs/notifications.js';
import type { StackOutputs } from './outputs.js';
import { publishedPolicyOf } from '../functions/domain/rules/restore-policy.js';
import type { RestoreWorkflow } from './constructs/restore-workflow.js';
import type { StateTables } from './constructs/state-tables.js';
import { S3Autorestore } from './s3-autorestore.js';

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
    const { stackName: _stackName, region: _region, watchedBuckets, watchedBucketRegions, ...config } = props.config;
    // Id `Default` is left out of logical ids: the resources keep the ids they had before the construct.
    // The app acknowledges the cdk-nag findings itself (build-app.ts), so the bare stack shows them all.
    const autorestore = new S3Autorestore(this, 'Default', {
      ...config,
      // Back to the declared form, so the construct checks each declared Region against this stack's.
      watchedBuckets: watchedBuckets.map((name) => (watchedBucketRegions[name] ? { name, region: watchedBucketRegions[name] } : name)),
      acknowledgeNagFindings: false,
    });
    this.config = autorestore.config;
    this.tables = autorestore.tables;
    this.notifications = autorestore.notifications;
    this.workflow = autorestore.workflow;
    this.detection = autorestore.detection;

    // Where the CLI finds the stack's resources, and what `autorestore doctor` checks.
    const trailArn = this.detection.trail?.trailArn ?? this.config.existingTrailArn;
    const outputs: StackOutputs = {
      StateMachineArn: this.workflow.stateMachine.stateMachineArn,
      ObjectsTableName: this.tables.objects.tableName,
      AuditTableName: this.tables.audit.tableName,
      NoticesTableName: this.tables.notices.tableName,
      PrincipalsTableName: this.tables.principals.tableName,
      DeadLetterQueueUrl: this.detection.deadLetterQueue.queueUrl,
      WatchedBuckets: this.config.watchedBuckets.join(','),
      TrailArn: trailArn,
      ArchivedReadRuleName: this.detection.archivedReadRule.ruleName,
      RestoreLifecycleRuleName: this.detection.restoreLifecycleRule.ruleName,
      SesIdentity: this.config.sesIdentity,
      SenderAddress: this.config.senderAddress,
      SesConfigurationSet: this.config.sesConfigurationSet,
      RestorePolicy: publishedPolicyOf(this.config),
      BatchStateMachineArn: autorestore.batch.stateMachine.stateMachineArn,
      ManifestBucketName: autorestore.batch.manifestBucket.bucketName,
    };
    for (const [name, value] of Object.entries(outputs) as [string, string | undefined][]) if (value !== undefined) new CfnOutput(this, name, { value });
  }
}
