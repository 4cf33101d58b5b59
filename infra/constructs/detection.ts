/**
 * Detection: failed reads of archived objects (CloudTrail data events) start restores; S3's
 * restore events resume the waiting workflow. Events that cannot be delivered after
 * EventBridge's retries land in a dead-letter queue, so no read is lost.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { detectAccessEnvSchema, EnvVars, restoreCompletedEnvSchema } from '../../functions/shared/config.js';
import type { DeploymentConfig } from '../config.js';
import { archivedReadPattern, restoreLifecyclePattern } from '../event-patterns.js';
import { AutorestoreFunction } from './autorestore-function.js';
import { restoreExecutionsArn } from './restore-workflow.js';
import type { StateTables } from './state-tables.js';

export interface DetectionProps {
  config: DeploymentConfig;
  tables: StateTables;
  stateMachineArn: string;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class Detection extends Construct {
  readonly detectAccess: AutorestoreFunction;
  readonly restoreCompleted: AutorestoreFunction;
  readonly archivedReadRule: Rule;
  readonly restoreLifecycleRule: Rule;
  readonly deadLetterQueue: Queue;
  readonly trail?: Trail;

  constructor(scope: Construct, id: string, props: DetectionProps) {
    super(scope, id);
    const { config, tables } = props;
    const stack = Stack.of(this);
    const account = config.account ?? stack.account;
    const watched = config.watchedBuckets.join(',');

    const detectEnv: EnvVars<typeof detectAccessEnvSchema> = {
      OBJECTS_TABLE: tables.objects.tableName,
      AUDIT_TABLE: tables.audit.tableName,
      NOTICES_TABLE: tables.notices.tableName,
      STATE_MACHINE_ARN: props.stateMachineArn,
      WATCHED_BUCKETS: watched,
      ACCOUNT_ID: account,
    };
    this.detectAccess = new AutorestoreFunction(this, 'DetectAccess', {
      name: 'detect-access',
      description: 'Records a failed read of an archived object and starts (or joins) its restore',
      environment: detectEnv,
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.detectAccess);
    tables.audit.grantWriteData(this.detectAccess);
    tables.notices.grantWriteData(this.detectAccess);
    this.detectAccess.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachineArn] }));
    // Joining a cycle checks that its execution still runs.
    this.detectAccess.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [restoreExecutionsArn(this)] }));

    const completedEnv: EnvVars<typeof restoreCompletedEnvSchema> = {
      OBJECTS_TABLE: tables.objects.tableName,
      AUDIT_TABLE: tables.audit.tableName,
      WATCHED_BUCKETS: watched,
      ACCOUNT_ID: account,
    };
    this.restoreCompleted = new AutorestoreFunction(this, 'RestoreCompleted', {
      name: 'restore-completed',
      description: 'Marks an object restored (or expired) and resumes the workflow waiting for it',
      environment: completedEnv,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.restoreCompleted);
    tables.audit.grantWriteData(this.restoreCompleted);
    this.restoreCompleted.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [props.stateMachineArn] }));

    this.deadLetterQueue = new Queue(this, 'UndeliveredEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const target = (fn: AutorestoreFunction) =>
      new LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) });

    this.archivedReadRule = new Rule(this, 'ArchivedRead', {
      description: 'GetObject refused with InvalidObjectState on a watched bucket',
      eventPattern: archivedReadPattern(config.watchedBuckets),
      targets: [target(this.detectAccess)],
    });
    this.restoreLifecycleRule = new Rule(this, 'RestoreLifecycle', {
      description: 'S3 Object Restore Completed / Expired on a watched bucket',
      eventPattern: restoreLifecyclePattern(config.watchedBuckets),
      targets: [target(this.restoreCompleted)],
    });

    new Alarm(this, 'EventsUndelivered', {
      alarmDescription: 'Events could not be delivered to a function: reads or completions are waiting in the dead-letter queue',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const watchedBuckets = config.watchedBuckets.map((name, i) => Bucket.fromBucketName(this, `Watched${i}`, name));
    if (config.createTrail) {
      const privateBucket = {
        encryption: BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        removalPolicy: props.removalPolicy,
        lifecycleRules: [{ expiration: Duration.days(90) }],
      };
      const accessLogs = new Bucket(this, 'TrailLogsAccessLogs', { ...privateBucket, objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED });
      const logs = new Bucket(this, 'TrailLogs', {
        ...privateBucket,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: 'trail-logs/',
      });
      this.trail = new Trail(this, 'ReadTrail', {
        bucket: logs,
        includeGlobalServiceEvents: false,
        isMultiRegionTrail: false,
        enableFileValidation: true,
        managementEvents: ReadWriteType.NONE,
      });
      this.trail.addS3EventSelector(watchedBuckets.map((bucket) => ({ bucket })), { readWriteType: ReadWriteType.READ_ONLY, includeManagementEvents: false });
    }
    if (config.enableBucketEventBridge) {
      for (const bucket of watchedBuckets) bucket.enableEventBridgeNotification();
    }
  }
}
