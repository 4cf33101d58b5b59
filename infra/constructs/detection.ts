/**
 * Detection: failed reads of archived objects (CloudTrail data events) start restores; S3's
 * restore events resume the waiting workflow. CloudTrail hands data events to EventBridge on a
 * best-effort basis; once EventBridge has an event, its retries and then a dead-letter queue
 * keep it from being lost on the way to the functions.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type CfnTrail, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../config.js';
import type { FunctionEnvironments } from '../function-environments.js';
import { archivedReadPattern, restoreLifecyclePattern } from '../event-patterns.js';
import { AutorestoreFunction } from './autorestore-function.js';
import type { StateTables } from './state-tables.js';
import { watchedBucketArns, watchedObjectArns } from './watched-buckets.js';

export interface DetectionProps {
  config: DeploymentConfig;
  tables: StateTables;
  stateMachineArn: string;
  /** The two functions' environments (infra/function-environments.ts). */
  environments: Pick<FunctionEnvironments, 'detect-access' | 'restore-completed'>;
  /** Every execution of the state machine, for DescribeExecution. */
  executionsArn: string;
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

    this.detectAccess = new AutorestoreFunction(this, 'DetectAccess', {
      name: 'detect-access',
      description: 'Records a failed read of an archived object and starts (or joins) its restore',
      environment: props.environments['detect-access'],
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.detectAccess);
    tables.grantAuditRecording(this.detectAccess);
    tables.notices.grantWriteData(this.detectAccess);
    this.detectAccess.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachineArn] }));
    // Joining a cycle first checks that its execution is still running.
    this.detectAccess.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [props.executionsArn] }));

    this.restoreCompleted = new AutorestoreFunction(this, 'RestoreCompleted', {
      name: 'restore-completed',
      description: 'Marks an object restored (or expired) and resumes the workflow waiting for it',
      environment: props.environments['restore-completed'],
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.restoreCompleted);
    tables.grantAuditRecording(this.restoreCompleted);
    // A completion queues its readers' "ready" notices only on the cycle's first hand-over, in one
    // batch with its history line (a later one is the workflow's); on the table, not its index.
    this.restoreCompleted.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [tables.notices.tableArn] }));
    this.restoreCompleted.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [props.stateMachineArn] }));
    // Before resuming a wait, S3 is asked whether the restore really finished (HeadObject, which
    // s3:GetObject / s3:GetObjectVersion authorise); ListBucket makes a deleted object a 404, not a 403.
    this.restoreCompleted.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: watchedObjectArns(config.watchedBuckets, stack) }));
    this.restoreCompleted.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: watchedBucketArns(config.watchedBuckets, stack) }));
    // The auto-keep policy copies an object onto itself (CopyObject, or part copies) with its tags.
    if (config.autoKeep) {
      this.restoreCompleted.addToRolePolicy(
        new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObjectTagging', 's3:PutObjectTagging', 's3:AbortMultipartUpload'], resources: watchedObjectArns(config.watchedBuckets, stack) }),
      );
      // Copying an SSE-KMS object reads it with its key and writes the copy with the same key.
      if (config.autoKeepKmsKeyArns) this.restoreCompleted.addToRolePolicy(new PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: config.autoKeepKmsKeyArns }));
    }

    this.deadLetterQueue = new Queue(this, 'UndeliveredEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Two hops, each with its own failure path, both ending in this queue:
    // - EventBridge -> Lambda: EventBridge retries only when it cannot hand the event to Lambda
    //   (throttled, function missing, no permission): up to 185 times over 24 h, then the rule's DLQ.
    // - Lambda's asynchronous queue: once Lambda accepted the event, a function error is retried
    //   by Lambda itself (at most 2 more attempts, events kept up to 6 h) and then sent to the
    //   function's on-failure destination. Without one, the event would be discarded.
    const target = (fn: AutorestoreFunction) => {
      fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(this.deadLetterQueue) });
      return new LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) });
    };

    this.archivedReadRule = new Rule(this, 'ArchivedRead', {
      ruleName: `${stack.stackName}-archived-read`,
      description: 'GetObject refused with InvalidObjectState on a watched bucket',
      eventPattern: archivedReadPattern(config.watchedBuckets, stack.partition),
      targets: [target(this.detectAccess)],
    });
    this.restoreLifecycleRule = new Rule(this, 'RestoreLifecycle', {
      ruleName: `${stack.stackName}-restore-lifecycle`,
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
      });
      // Trail has no advanced event selectors: set them on the CloudFormation resource. Basic and
      // advanced selectors exclude each other (the basic S3 selector logs every read data event).
      // A trail logs only what its advanced selectors match, so no management events either.
      const cfnTrail = this.trail.node.defaultChild as CfnTrail;
      cfnTrail.eventSelectors = undefined;
      cfnTrail.advancedEventSelectors = [getObjectSelector(config.watchedBuckets, stack)];
    }
    if (config.enableBucketEventBridge) {
      config.watchedBuckets.forEach((name, i) => Bucket.fromBucketName(this, `Watched${i}`, name).enableEventBridgeNotification());
    }
  }
}

/**
 * Only GetObject data events of the watched buckets' objects: the reads that can find an object
 * archived. Every such GetObject is billed as a data event, successful or not (CloudTrail cannot
 * select on the error code of a data event).
 */
export function getObjectSelector(buckets: readonly string[], stack: Stack): CfnTrail.AdvancedEventSelectorProperty {
  return {
    name: 'GetObject on the watched buckets',
    fieldSelectors: [
      { field: 'eventCategory', equalTo: ['Data'] },
      { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
      { field: 'eventName', equalTo: ['GetObject'] },
      { field: 'resources.ARN', startsWith: buckets.map((bucket) => `arn:${stack.partition}:s3:::${bucket}/`) },
    ],
  };
}
