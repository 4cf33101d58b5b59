/**
 * CloudFormation DescribeStacks (query protocol, XML), for the one stack the local cloud
 * "deploys": its outputs name the same resources the CDK stack's outputs name, so the CLI
 * finds them the same way on AWS and here.
 */
import { randomUUID } from 'node:crypto';
import type { StackOutputs } from '../infra/outputs.js';
import { LOCAL_RULE_NAMES } from './control-plane/eventbridge.js';
import { ServiceError } from './wire.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

export class CloudFormationError extends ServiceError {}

export function describeStacks(body: string, stack: { name: string; id: string; createdAt: Date; outputs: StackOutputs }): string {
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  if (action !== 'DescribeStacks') throw new CloudFormationError(400, 'InvalidAction', `The local cloud answers DescribeStacks only, not ${action ?? '(no Action)'}`);
  const name = params.get('StackName');
  if (name && name !== stack.name && name !== stack.id) throw new CloudFormationError(400, 'ValidationError', `Stack with id ${name} does not exist`);
  const outputs = (Object.entries(stack.outputs) as [string, string | undefined][])
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `<member><OutputKey>${escape(k)}</OutputKey><OutputValue>${escape(v)}</OutputValue></member>`)
    .join('');
  return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${escape(stack.name)}</StackName><StackId>${escape(stack.id)}</StackId><CreationTime>${stack.createdAt.toISOString()}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeStacksResponse>`;
}

/** The local stack's outputs, under the names the CDK stack gives them (no SES configuration set here). */
export function localStackOutputs(resources: {
  stateMachineArn: string;
  tables: { objects: string; audit: string; notices: string; principals: string };
  watched: string[];
  senderAddress: string;
  trailArn: string;
  deadLetterQueueUrl: string;
  restorePolicy?: string;
  batch: { stateMachineArn: string; manifestBucket: string };
}): StackOutputs {
  const { watched, senderAddress, trailArn, deadLetterQueueUrl } = resources;
  return {
    StateMachineArn: resources.stateMachineArn,
    ObjectsTableName: resources.tables.objects,
    AuditTableName: resources.tables.audit,
    NoticesTableName: resources.tables.notices,
    PrincipalsTableName: resources.tables.principals,
    DeadLetterQueueUrl: deadLetterQueueUrl,
    WatchedBuckets: watched.join(','),
    TrailArn: trailArn,
    ArchivedReadRuleName: LOCAL_RULE_NAMES.archivedRead,
    RestoreLifecycleRuleName: LOCAL_RULE_NAMES.restoreLifecycle,
    // The sender's domain is the verified identity, as a deployment verifies its domain once.
    SesIdentity: senderAddress.split('@').pop()!,
    SenderAddress: senderAddress,
    ...(resources.restorePolicy ? { RestorePolicy: resources.restorePolicy } : {}),
    BatchStateMachineArn: resources.batch.stateMachineArn,
    ManifestBucketName: resources.batch.manifestBucket,
  };
}

export function cloudFormationErrorXml(err: ServiceError): string {
  return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${escape(err.code)}</Code><Message>${escape(err.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
