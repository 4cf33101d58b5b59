/**
 * The console reads through the same APIs as the CLI and the AWS SDK: CloudFormation outputs,
 * Step Functions, DynamoDB (the audit table), S3. Only the outbox is a folder, read from the
 * local cloud. All requests go to the page's own origin, the local endpoint.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { ObjectRef } from '../../functions/domain/rules/object-id-format.js';
import { inspectArchiveState, type HeadObjectFacts, type RestoreTier } from '../../functions/domain/rules/archive.js';
import { batchItemId, membershipOf, runningBatchesItemId, type BatchFacts, type BatchMembership } from '../../functions/domain/rules/batch-membership.js';
import { principalLookupKeys, type Reader } from '../../functions/domain/rules/reader.js';
import { DEFAULT_STACK_NAME, type StackOutputName } from '../../infra/outputs.js';
import { LEDGER_TOTAL, OPEN_CYCLES_INDEX, OPEN_PARTITION, PENDING_INDEX, PENDING_PARTITION, ledgerPartitionOf } from './indexes.js';

const config = { endpoint: window.location.origin, region: 'us-east-1', credentials: { accessKeyId: 'AKIALOCALCONSOLE0001', secretAccessKey: 'local' } };
const s3 = new S3Client({ ...config, forcePathStyle: true });
const sfn = new SFNClient(config);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(config));
const cfn = new CloudFormationClient(config);
const sqs = new SQSClient(config);

export interface Stack {
  stateMachineArn: string;
  auditTable: string;
  objectsTable: string;
  noticesTable: string;
  principalsTable: string;
  deadLetterQueueUrl: string;
}

let stack: Promise<Stack> | undefined;
export function getStack(): Promise<Stack> {
  stack ??= cfn.send(new DescribeStacksCommand({ StackName: DEFAULT_STACK_NAME })).then((out) => {
    const outputs: Partial<Record<StackOutputName, string>> = Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue] as const));
    return {
      stateMachineArn: outputs.StateMachineArn!,
      auditTable: outputs.AuditTableName!,
      objectsTable: outputs.ObjectsTableName!,
      noticesTable: outputs.NoticesTableName!,
      principalsTable: outputs.PrincipalsTableName!,
      deadLetterQueueUrl: outputs.DeadLetterQueueUrl!,
    };
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
/** The object's whole audit history, oldest first (every page of the query). */
export async function auditHistory(objectId: string): Promise<AuditEntry[]> {
  const { auditTable } = await getStack();
  const entries: AuditEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: auditTable,
        KeyConditionExpression: 'objectId = :id AND #at >= :first',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':id': objectId, ':first': '0' },
        ScanIndexForward: true,
        ExclusiveStartKey: startKey,
      }),
    );
    entries.push(...((out.Items ?? []) as AuditEntry[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return entries;
}

/**
 * The fields of an object's restore record (ObjectRecord in functions/domain/stores/records.ts)
 * the console shows. Declared here because that module's imports need Node.js.
 */
export interface ObjectRecordView {
  objectId: string;
  cycle: number;
  status: 'STARTING' | 'RESTORING' | 'RESTORED' | 'CLOSED' | 'EXPIRED';
  executionArn?: string;
  subscribers?: Record<string, Reader>;
  tier?: RestoreTier;
  expectedReadyAt?: string;
  restoredAt?: string;
  expiryDate?: string;
  outcome?: string;
  outcomeReason?: string;
  /** Set when a bulk restore (S3 Batch Operations) restored the object. */
  batchId?: string;
}

/** The object's restore record (functions/domain/stores/records.ts), if it was ever read while archived. */
export async function objectRecord(objectId: string): Promise<ObjectRecordView | undefined> {
  const { objectsTable } = await getStack();
  return (await ddb.send(new GetCommand({ TableName: objectsTable, Key: { objectId }, ConsistentRead: true }))).Item as ObjectRecordView | undefined;
}

/**
 * The bulk restore the object is part of, as `autorestore history` says it: the batch its record
 * names, else a batch its bucket runs now whose prefix holds it (one read of the running batches).
 */
export async function batchOfObject(ref: ObjectRef, record: ObjectRecordView | undefined, head: HeadObjectFacts | undefined): Promise<BatchMembership | undefined> {
  if (!head) return undefined;
  const { objectsTable } = await getStack();
  const ids = record?.batchId
    ? [record.batchId]
    : [...(((await ddb.send(new GetCommand({ TableName: objectsTable, Key: { objectId: runningBatchesItemId(ref.bucket) } }))).Item?.batches as Set<string> | undefined) ?? [])];
  if (ids.length === 0) return undefined;
  const got = await ddb.send(new BatchGetCommand({ RequestItems: { [objectsTable]: { Keys: ids.slice(0, 100).map((id) => ({ objectId: batchItemId(id) })) } } }));
  const batches = (got.Responses?.[objectsTable] ?? []) as BatchFacts[];
  const inspected = inspectArchiveState(head);
  return membershipOf({ key: ref.key, state: inspected.state, ...(inspected.expiryDate ? { restoredUntil: inspected.expiryDate } : {}) }, record, {
    bucket: ref.bucket,
    running: record?.batchId ? [] : batches,
    named: new Map(batches.map((b) => [b.batchId, b])),
  });
}

/** What S3 says of the object now: storage class, archive status and the x-amz-restore header; undefined once it is gone. */
export async function headObject(ref: ObjectRef) {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
  } catch (err) {
    if (err instanceof Error && (err.name === 'NotFound' || err.name === 'NoSuchKey')) return undefined;
    throw err;
  }
}

/**
 * Each reader's email address as the aggregator resolves it (PrincipalMap.resolve): the address
 * given with the read, else the first of its identifiers the principal map knows.
 */
export async function readerEmails(readers: Reader[]): Promise<Map<string, string>> {
  const { principalsTable } = await getStack();
  const wanted = [...new Set(readers.flatMap(principalLookupKeys))];
  const emails = new Map<string, string>();
  // BatchGetItem takes at most 100 keys a call.
  for (let i = 0; i < wanted.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = wanted.slice(i, i + 100).map((principal) => ({ principal }));
    while (keys?.length) {
      const out: BatchGetCommandOutput = await ddb.send(new BatchGetCommand({ RequestItems: { [principalsTable]: { Keys: keys } } }));
      for (const item of out.Responses?.[principalsTable] ?? []) emails.set(item.principal as string, item.email as string);
      keys = out.UnprocessedKeys?.[principalsTable]?.Keys;
    }
  }
  const byReader = new Map<string, string>();
  for (const reader of readers) {
    const email =
      reader.email ??
      principalLookupKeys(reader)
        .map((k) => emails.get(k))
        .find(Boolean);
    if (email) byReader.set(reader.id, email);
  }
  return byReader;
}

/** Every item of a sparse index's one partition (the open cycles, the pending notices): Query, never Scan. */
async function indexPartition<T>(table: string, index: string, partitionKey: string, value: string): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        KeyConditionExpression: '#p = :v',
        ExpressionAttributeNames: { '#p': partitionKey },
        ExpressionAttributeValues: { ':v': value },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((out.Items ?? []) as T[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** The records of the cycles in flight: the open-cycles index (functions/domain/stores/records.ts). */
export async function openCycles(): Promise<ObjectRecordView[]> {
  const { objectsTable } = await getStack();
  return indexPartition<ObjectRecordView>(objectsTable, OPEN_CYCLES_INDEX, 'openPartition', OPEN_PARTITION);
}

/** The notices waiting to be emailed: the pending index (functions/domain/stores/notices.ts). */
export async function pendingNotices(): Promise<{ kind?: string }[]> {
  const { noticesTable } = await getStack();
  return indexPartition<{ kind?: string }>(noticesTable, PENDING_INDEX, 'pendingPartition', PENDING_PARTITION);
}

/** What restores cost this month (UTC) so far: the month's total in the cost ledger (functions/domain/stores/ledger.ts). */
export async function spendingThisMonth(now = new Date()): Promise<{ microUsd: number; restores: number }> {
  const { auditTable } = await getStack();
  const out = await ddb.send(new GetCommand({ TableName: auditTable, Key: { objectId: ledgerPartitionOf(now.toISOString().slice(0, 7)), at: LEDGER_TOTAL }, ConsistentRead: true }));
  const item = out.Item as { microUsd?: number; restores?: number } | undefined;
  return { microUsd: item?.microUsd ?? 0, restores: item?.restores ?? 0 };
}

/** Events EventBridge could not deliver to a target, waiting in the stack's dead-letter queue. */
export async function deadLetterDepth(): Promise<number> {
  const { deadLetterQueueUrl } = await getStack();
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** Every execution of the state machine (every page of ListExecutions). */
export async function allExecutions() {
  const { stateMachineArn } = await getStack();
  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
    items.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

export async function describeExecutions(executionArns: string[]) {
  return Promise.all(executionArns.map((executionArn) => sfn.send(new DescribeExecutionCommand({ executionArn }))));
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
