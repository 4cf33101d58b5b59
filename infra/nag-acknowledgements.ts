/** Every cdk-nag finding we accept, on the narrowest construct, each with its reason. */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { cycleFindings } from './constructs/restore-workflow.js';
import type { S3Autorestore } from './s3-autorestore.js';

/** The parts of the system the findings are on: the construct, or a stack exposing the same. */
export type AutorestoreParts = Pick<S3Autorestore, 'config' | 'tables' | 'notifications' | 'workflow' | 'detection'>;

export interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/** Acknowledges the findings and returns them, so the reasons can be reviewed and tested. */
export function acknowledgeFindings(stack: AutorestoreParts): Acknowledgement[] {
  const cfnStack = Stack.of(stack.tables);
  const acknowledged: Acknowledgement[] = [];
  const acknowledge = (scope: IConstruct, id: string, reason: string) => {
    Validations.of(scope).acknowledge({ id, reason });
    acknowledged.push({ path: scope.node.path, id, reason });
  };
  const functions = [stack.detection.detectAccess, stack.detection.restoreCompleted, stack.workflow.steps, stack.notifications.aggregator];
  for (const fn of functions) {
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'The runtime is pinned to nodejs22.x, the version the handlers are built (esbuild target node22) and tested for; moving to a newer runtime is a deliberate, tested change.',
    );
    acknowledge(fn.role!, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (added by tracing: ACTIVE).');
  }
  for (const fn of [stack.detection.detectAccess, stack.notifications.aggregator]) {
    acknowledge(
      fn.role!,
      `AwsSolutions-IAM5[Resource::<${cfnStack.getLogicalId(stack.tables.notices.node.defaultChild as never)}.Arn>/index/*]`,
      'The notices table grant covers its own indexes: the aggregator queries the sparse pending-notice index; nothing outside this table is granted.',
    );
  }
  for (const bucket of stack.config.watchedBuckets) {
    acknowledge(
      stack.workflow.steps.role!,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${nagName(cfnStack, bucket)}/*]`,
      'HeadObject and RestoreObject apply to any object a reader may hit, so the grant is every object of each configured watched bucket, and only those buckets.',
    );
    acknowledge(
      stack.detection.restoreCompleted.role!,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${nagName(cfnStack, bucket)}/*]`,
      'HeadObject (s3:GetObject / s3:GetObjectVersion) confirms a restore before the waiting workflow is resumed; a completion event can name any object of a watched bucket, and only those buckets are granted. With the autoKeep policy on, the same objects may be copied onto themselves (s3:PutObject, object tagging, s3:AbortMultipartUpload).',
    );
  }
  // How cdk-nag renders the stack's Region and account in a finding: the value, or the pseudo parameter.
  const region = Token.isUnresolved(cfnStack.region) ? '<AWS::Region>' : cfnStack.region;
  const account = Token.isUnresolved(cfnStack.account) ? '<AWS::AccountId>' : cfnStack.account;
  const executionsFindingId = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${stack.workflow.stateMachineName}:*]`;
  acknowledge(
    stack.detection.detectAccess.role!,
    executionsFindingId,
    'states:DescribeExecution on the executions of the restore state machine only: joining a cycle checks that its execution (named per object and cycle, so not known in advance) is still running.',
  );
  acknowledge(
    stack.notifications.aggregator.role!,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:${region}:${account}:identity/*]`,
    'SES authorizes SendEmail against every identity involved: the sender address when verified on its own besides its domain, and each recipient while the account is in the SES sandbox; recipients are not known in advance. The ses:FromAddress condition restricts the sender to the configured address.',
  );
  const machineRole = stack.workflow.stateMachine.role;
  acknowledge(machineRole, 'AwsSolutions-IAM5[Resource::*]', 'Step Functions logging (logs:CreateLogDelivery and related) and X-Ray tracing actions support no resource-level permissions.');
  for (const fn of [stack.workflow.steps, stack.notifications.aggregator]) {
    acknowledge(
      machineRole,
      `AwsSolutions-IAM5[Resource::<${cfnStack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      'lambda:InvokeFunction on the function and its versions/aliases (CDK grantInvoke); only the two workflow functions.',
    );
  }
  const objectsUsers = [stack.detection.detectAccess, stack.detection.restoreCompleted, stack.workflow.steps, stack.notifications.aggregator];
  const bucketsInFindings = stack.config.watchedBuckets.map((bucket) => nagName(cfnStack, bucket));
  for (const f of cycleFindings(cfnStack, stack.workflow, stack.tables.objects, objectsUsers, executionsFindingId, bucketsInFindings)) acknowledge(f.scope, f.id, f.reason);
  acknowledge(stack.detection.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the EventBridge rule targets.');
  const notificationsHandler = cfnStack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (notificationsHandler) {
    acknowledge(
      notificationsHandler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's own handler that turns on EventBridge notifications for the imported watched buckets; its role is defined by aws-cdk-lib.",
    );
    acknowledge(notificationsHandler, 'AwsSolutions-IAM5[Resource::*]', "CDK's own bucket-notifications handler needs s3:PutBucketNotification on buckets it does not own; defined by aws-cdk-lib.");
  }
  return acknowledged;
}

/** A value as cdk-nag writes it in a finding's id: a reference to a resource becomes `<LogicalId>`. */
function nagName(stack: Stack, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  const resolved = stack.resolve(value) as { Ref?: string };
  return resolved.Ref ? `<${resolved.Ref}>` : value;
}
