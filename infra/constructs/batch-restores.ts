/**
 * The bulk path: the manifest and report bucket (encrypted, TLS only, no public access,
 * expired by lifecycle), the role S3 Batch Operations assumes to restore the watched buckets'
 * objects, the restore-batch function and its Standard workflow, which creates the jobs
 * through the S3 Control SDK integration.
 */
import { Arn, ArnFormat, Duration, Stack, Token, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import type { DeploymentConfig } from '../config.js';
import { AutorestoreFunction } from './autorestore-function.js';
import { batchDefinitionTemplate, batchFunctionEnvironment, JOB_POLL_SECONDS, READY_POLL_SECONDS, type BatchDefinitionSubstitutions } from './batch-definition.js';
import type { StateTables } from './state-tables.js';
import { watchedObjectArns } from './watched-buckets.js';

export interface BatchRestoresProps {
  config: DeploymentConfig;
  tables: StateTables;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Days manifests and completion reports are kept. */
  manifestRetentionDays?: number;
}

export class BatchRestores extends Construct {
  readonly manifestBucket: Bucket;
  readonly batchOperationsRole: Role;
  readonly steps: AutorestoreFunction;
  readonly stateMachine: StateMachine;
  private readonly objectsTable: StateTables['objects'];
  private readonly noticesTable: StateTables['notices'];
  private readonly watchedBuckets: readonly string[];
  private readonly account: string;

  constructor(scope: Construct, id: string, props: BatchRestoresProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, tables } = props;
    this.objectsTable = tables.objects;
    this.noticesTable = tables.notices;
    this.watchedBuckets = config.watchedBuckets;
    const account = config.account ?? stack.account;
    this.account = account;

    this.manifestBucket = new Bucket(this, 'Manifests', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireManifestsAndReports', expiration: Duration.days(props.manifestRetentionDays ?? 30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: props.removalPolicy,
    });
    const batchObjects = this.manifestBucket.arnForObjects('batches/*');

    // Assumed by S3 Batch Operations: reads the manifests, restores the watched objects, writes the reports; nothing else.
    this.batchOperationsRole = new Role(this, 'BatchOperationsRole', {
      assumedBy: new ServicePrincipal('batchoperations.s3.amazonaws.com'),
      description: 'Runs the bulk restore jobs of S3 Autorestore',
    });
    this.batchOperationsRole.addToPolicy(new PolicyStatement({ actions: ['s3:RestoreObject'], resources: watchedObjectArns(config.watchedBuckets, stack) }));
    this.batchOperationsRole.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [batchObjects] }));
    this.batchOperationsRole.addToPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.manifestBucket.arnForObjects('batches/*/reports/*')] }));
    this.batchOperationsRole.addToPolicy(new PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [this.manifestBucket.bucketArn] }));

    this.steps = new AutorestoreFunction(this, 'RestoreBatch', {
      name: 'restore-batch',
      description: 'The bulk restore workflow steps: job requests, progress, completion reports, readiness, the emails',
      environment: batchFunctionEnvironment({ objectsTable: tables.objects.tableName, noticesTable: tables.notices.tableName, manifestBucket: this.manifestBucket.bucketName, account }),
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.steps);
    tables.notices.grantReadWriteData(this.steps);
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [batchObjects] }));
    // The readiness sample: HeadObject on a few restored objects (authorised by s3:GetObject).
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: watchedObjectArns(config.watchedBuckets, stack) }));
    const jobs = Arn.format({ service: 's3', account, resource: 'job', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack);
    // UpdateJobStatus: when S3 refuses or fails one of a batch's jobs, the other is cancelled.
    this.steps.addToRolePolicy(new PolicyStatement({ actions: ['s3:DescribeJob', 's3:UpdateJobStatus'], resources: [jobs] }));

    const stateMachineName = `${stack.stackName}-restore-batch`;
    const logGroup = new LogGroup(this, 'Logs', { logGroupName: `/aws/vendedlogs/states/${stateMachineName}`, retention: props.logRetention, removalPolicy: props.removalPolicy });
    const substitutions: BatchDefinitionSubstitutions = {
      RestoreBatchFunctionArn: this.steps.functionArn,
      AccountId: account,
      BatchOperationsRoleArn: this.batchOperationsRole.roleArn,
      ManifestBucketArn: this.manifestBucket.bucketArn,
      JobPollSeconds: String(JOB_POLL_SECONDS),
      ReadyPollSeconds: String(READY_POLL_SECONDS),
    };
    this.stateMachine = new StateMachine(this, 'RestoreBatchWorkflow', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(batchDefinitionTemplate()),
      definitionSubstitutions: { ...substitutions },
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The definition is a string: CDK infers no grants.
    this.steps.grantInvoke(this.stateMachine);
    this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['s3:CreateJob'], resources: ['*'] }));
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['iam:PassRole'], resources: [this.batchOperationsRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 's3.amazonaws.com' } } }),
    );
    this.acknowledgeFindings();
  }

  /** The findings this construct accepts by design, each on the narrowest construct, with its reason. */
  private acknowledgeFindings(): void {
    const stack = Stack.of(this);
    const acknowledge = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
    acknowledge(
      this.manifestBucket,
      'AwsSolutions-S1',
      'Holds only the bulk-restore manifests and the completion reports S3 writes, for days; the jobs themselves are recorded by S3 Control and CloudTrail management events.',
    );
    acknowledge(
      this.steps,
      'AwsSolutions-L1',
      'The runtime is pinned to nodejs22.x, the version the handlers are built (esbuild target node22) and tested for; moving to a newer runtime is a deliberate, tested change.',
    );
    const role = this.steps.role!;
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (added by tracing: ACTIVE).');
    const cfn = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as never);
    for (const id of [`AwsSolutions-IAM5[Resource::<${cfn(this.manifestBucket)}.Arn>/batches/*]`, `AwsSolutions-IAM5[Resource::<${cfn(this.manifestBucket)}.Arn>/batches/*/reports/*]`]) {
      acknowledge(role, id, 'The manifests and reports of every batch live under batches/<batch id>/ in the stack’s own manifest bucket; batch ids are made at run time.');
      acknowledge(this.batchOperationsRole, id, 'The manifests and reports of every batch live under batches/<batch id>/ in the stack’s own manifest bucket; batch ids are made at run time.');
    }
    for (const bucket of this.watchedBuckets) {
      const id = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${nagName(stack, bucket)}/*]`;
      acknowledge(this.batchOperationsRole, id, 'RestoreObject on the objects of the watched buckets only (one ARN per bucket); which objects is what each manifest says.');
      acknowledge(role, id, 'HeadObject (s3:GetObject) on the watched buckets only, for the readiness sample when completion events are missing.');
    }
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:${region}:${account}:job/*]`,
      'DescribeJob and UpdateJobStatus on the account’s Batch Operations jobs; job ids are made by S3 at run time.',
    );
    for (const table of [this.objectsTable, this.noticesTable])
      acknowledge(role, `AwsSolutions-IAM5[Resource::<${cfn(table)}.Arn>/index/*]`, 'CDK grantReadWriteData covers the table’s indexes; the function queries none of them.');
    const machineRole = this.stateMachine.role;
    acknowledge(
      machineRole,
      'AwsSolutions-IAM5[Resource::*]',
      's3:CreateJob supports no resource-level permissions; Step Functions logging and X-Ray tracing actions neither. The role it passes is fixed by iam:PassRole on the batch role only.',
    );
    acknowledge(machineRole, `AwsSolutions-IAM5[Resource::<${cfn(this.steps)}.Arn>:*]`, 'lambda:InvokeFunction on the restore-batch function and its versions/aliases (CDK grantInvoke).');
  }
}

/** A bucket name as cdk-nag spells it in a finding: a token becomes its Ref. */
function nagName(stack: Stack, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  const resolved = stack.resolve(value) as { Ref?: string };
  return resolved.Ref ? `<${resolved.Ref}>` : value;
}
