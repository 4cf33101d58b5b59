/**
 * The construct a CDK app adds to one of its own stacks: `import { S3Autorestore } from 's3-autorestore/cdk'`.
 * Its props are the deployment configuration (infra/config.ts), validated by the same schema,
 * plus what only a CDK app can give: buckets as constructs and a removal policy.
 */
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { assertWatchedBucketsInRegion, parseDeploymentConfig, type DeploymentConfig, type deploymentConfigSchema } from './config.js';
import { AutorestoreDashboard } from './constructs/dashboard.js';
import { BatchRestores } from './constructs/batch-restores.js';
import { Detection } from './constructs/detection.js';
import { Notifications } from './constructs/notifications.js';
import { RestoreWorkflow, restoreStateMachineArn } from './constructs/restore-workflow.js';
import { StateTables } from './constructs/state-tables.js';
import { functionEnvironments } from './function-environments.js';
import { acknowledgeFindings } from './nag-acknowledgements.js';

/** Fields of the deployment configuration that belong to a stack, not to the construct. */
type StackLevelFields = 'stackName' | 'region' | 'watchedBuckets';

/**
 * Every field of the deployment configuration (infra/config.ts documents each one and its
 * default), except the stack's name and region, which come from the stack the construct is in.
 */
export interface S3AutorestoreProps extends Omit<z.input<typeof deploymentConfigSchema>, StackLevelFields> {
  /**
   * The buckets whose archived objects are restored when read: buckets of this app or imported
   * ones (`Bucket.fromBucketName`), bucket names, or `{ name, region }` to have the bucket's
   * Region checked against the stack's at synth. At least one.
   */
  readonly watchedBuckets: readonly (IBucket | string | { readonly name: string; readonly region?: string })[];
  /**
   * What happens to the log groups and the trail's log buckets when the stack deletes them (the tables follow `stage`).
   * @default RemovalPolicy.RETAIN when `stage` is `prod`, otherwise RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Acknowledge, on the narrowest construct and each with its reason, the cdk-nag AwsSolutions
   * findings this construct accepts by design (X-Ray actions without resource-level
   * permissions, object-level S3 grants on the watched buckets...).
   * @default true
   */
  readonly acknowledgeNagFindings?: boolean;
}

export class S3Autorestore extends Construct {
  /** The validated configuration, defaults filled in; bucket names may be tokens. */
  readonly config: DeploymentConfig;
  readonly tables: StateTables;
  readonly notifications: Notifications;
  readonly workflow: RestoreWorkflow;
  readonly detection: Detection;
  /** The CloudWatch dashboard: executions, restores by tier, email delays and sends, the dead-letter queue, every alarm. */
  readonly dashboard: AutorestoreDashboard;
  /** The bulk path (S3 Batch Operations). */
  readonly batch: BatchRestores;

  constructor(scope: Construct, id: string, props: S3AutorestoreProps) {
    // Validated before anything joins the tree: invalid props leave the stack as it was.
    const stack = Stack.of(scope);
    const config = validatedConfig(props, stack.stackName);
    assertWatchedBucketsInRegion(config, Token.isUnresolved(stack.region) ? undefined : stack.region);
    super(scope, id);
    this.config = config;
    const production = config.stage === 'prod';
    const removalPolicy = props.removalPolicy ?? (production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    const logRetention = retentionOf(config.logRetentionDays);

    this.tables = new StateTables(this, 'State', { production });
    const { objects, principals, notices, audit } = this.tables;
    const environments = functionEnvironments(config, {
      tables: { objects: objects.tableName, principals: principals.tableName, notices: notices.tableName, audit: audit.tableName },
      stateMachineArn: restoreStateMachineArn(this),
      account: config.account ?? stack.account,
    });
    this.notifications = new Notifications(this, 'Notifications', { config, tables: this.tables, environment: environments['notify-aggregator'], logRetention, removalPolicy });
    this.workflow = new RestoreWorkflow(this, 'Workflow', { config, tables: this.tables, aggregator: this.notifications.aggregator, environments, logRetention, removalPolicy });
    this.detection = new Detection(this, 'Detection', {
      config,
      tables: this.tables,
      environments,
      stateMachineArn: this.workflow.stateMachineArn,
      executionsArn: this.workflow.executionsArn,
      logRetention,
      removalPolicy,
    });
    this.dashboard = new AutorestoreDashboard(this, 'Dashboard', {
      stateMachine: this.workflow.stateMachine,
      deadLetterQueue: this.detection.deadLetterQueue,
      alarms: this.node.findAll().filter((c): c is Alarm => c instanceof Alarm),
    });
    this.batch = new BatchRestores(this, 'BatchRestores', { config, tables: this.tables, logRetention, removalPolicy });
    if (props.acknowledgeNagFindings ?? true) acknowledgeFindings(this);
  }
}

/**
 * The props checked by the deployment configuration's schema (InvalidDeploymentConfigError
 * names every problem). A bucket name known only at deployment (a token) cannot be checked
 * here: a valid stand-in is checked in its place and the token is kept.
 */
function validatedConfig(props: S3AutorestoreProps, stackName: string): DeploymentConfig {
  const { watchedBuckets, removalPolicy: _removalPolicy, acknowledgeNagFindings: _acknowledge, ...fields } = props;
  // JavaScript callers may leave it out: the schema then names the problem.
  const declared = ((watchedBuckets as typeof watchedBuckets | undefined) ?? []).map((bucket) =>
    typeof bucket === 'string' ? { name: bucket } : 'bucketName' in bucket ? { name: bucket.bucketName } : bucket,
  );
  const standIn = (name: string, i: number) => (Token.isUnresolved(name) ? `deploy-time-bucket-${i}` : name);
  const config = parseDeploymentConfig({
    ...fields,
    stackName: Token.isUnresolved(stackName) ? undefined : stackName,
    watchedBuckets: declared.map((bucket, i) => ('region' in bucket && bucket.region ? { name: standIn(bucket.name, i), region: bucket.region } : standIn(bucket.name, i))),
  });
  return { ...config, watchedBuckets: declared.map((bucket) => bucket.name) };
}

/** The closest CloudWatch Logs retention at or above the requested days. */
function retentionOf(days: number): RetentionDays {
  // RetentionDays' values are the day counts themselves: comparing them with a number is meant.
  /* eslint-disable @typescript-eslint/no-unsafe-enum-comparison */
  const allowed = Object.values(RetentionDays)
    .filter((v): v is RetentionDays => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return allowed.find((d) => d >= days) ?? RetentionDays.INFINITE;
  /* eslint-enable @typescript-eslint/no-unsafe-enum-comparison */
}
