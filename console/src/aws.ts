/**
 * The console reads through the same APIs as the CLI and the AWS SDK: CloudFormation outputs,
 * Step Functions, DynamoDB (the audit table), S3. Only the outbox is a folder, read from the
 * local cloud. All requests go to the page's own origin, the local endpoint.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type ExecutionStatus, type HistoryEvent } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_STACK_NAME, type StackOutputName } from '../../infra/outputs.js';

const config = { endpoint: window.location.origin, region: 'us-east-1', credentials: { accessKeyId: 'AKIALOCALCONSOLE0001', secretAccessKey: 'local' } };
const s3 = new S3Client({ ...config, forcePathStyle: true });
const sfn = new SFNClient(config);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(config));
const cfn = new CloudFormationClient(config);

export interface Stack {
  stateMachineArn: string;
  auditTable: string;
}

let stack: Promise<Stack> | undefined;
export function getStack(): Promise<Stack> {
  stack ??= cfn.send(new DescribeStacksCommand({ StackName: DEFAULT_STACK_NAME })).then((out) => {
    const outputs: Partial<Record<StackOutputName, string>> = Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue] as const));
    return { stateMachineArn: outputs.StateMachineArn!, auditTable: outputs.AuditTableName! };
  });
  return stack;
}

export async function buckets() {
  return (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name!) ?? [];
}

export async function listObjects(bucket: string, prefix: string) {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', OptionalObjectAttributes: ['RestoreStatus'], MaxKeys: 1000 }));
  return { prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix!), objects: out.Contents ?? [] };
}

export interface AuditEntry {
  at: string;
  time: string;
  type: string;
  cycle?: number;
  detail: Record<string, unknown>;
}
export async function auditHistory(objectId: string): Promise<AuditEntry[]> {
  const { auditTable } = await getStack();
  const out = await ddb.send(
    new QueryCommand({
      TableName: auditTable,
      KeyConditionExpression: 'objectId = :id AND #at >= :first',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':id': objectId, ':first': '0' },
      ScanIndexForward: true,
    }),
  );
  return (out.Items ?? []) as AuditEntry[];
}

export async function executions(status?: ExecutionStatus) {
  const { stateMachineArn } = await getStack();
  return (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: status, maxResults: 200 }))).executions ?? [];
}

export async function execution(executionArn: string) {
  const { stateMachineArn } = await getStack();
  const [described, machine] = await Promise.all([sfn.send(new DescribeExecutionCommand({ executionArn })), sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))]);
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return { described, definitionText: machine.definition!, events };
}

export interface OutboxMessage {
  file: string;
  from: string;
  to: string[];
  subject: string;
  date: string;
  html: string;
  text: string;
}
export async function outbox(): Promise<OutboxMessage[]> {
  const response = await fetch('/_console/api/outbox');
  return (await response.json()) as OutboxMessage[];
}
