/**
 * Drives a local cloud through the AWS SDK and the real AWS CLI like a user would: the
 * end-to-end tests (one local cloud per test file: handlers read their environment once per
 * process) and the benchmark scenarios both start theirs here.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { AuditLog } from '../functions/domain/stores/audit.js';
import { BatchBook } from '../functions/domain/stores/batches.js';
import { NoticeBook } from '../functions/domain/stores/notices.js';
import { objectIdOf } from '../functions/domain/rules/object-id.js';
import { PrincipalMap } from '../functions/domain/stores/principals.js';
import { ObjectRecords } from '../functions/domain/stores/records.js';
import { LocalCloud, TABLE_NAMES, type LocalCloudOptions } from './cloud.js';
import { ARCHIVE_STATUS_HEADER } from './s3/archive-layer.js';
import { eventually } from './eventually.js';
import { documentClient } from '../functions/domain/wiring/document-client.js';

export const AWS_CLI = '/usr/bin/aws';

/** Whether the Debian AWS CLI is here; under CI it must be (.ci/run installs it). */
export function awsCliAvailable(): boolean {
  if (existsSync(AWS_CLI)) return true;
  if (process.env.CI === 'true') throw new Error(`${AWS_CLI} is missing under CI: .ci/run installs the awscli package`);
  console.warn(`skipping AWS CLI tests: ${AWS_CLI} is not installed (apt-get install awscli)`);
  return false;
}

export interface Harness {
  cloud: LocalCloud;
  s3(accessKeyId?: string): S3Client;
  sfn: SFNClient;
  /** A DynamoDB document client as an administrator, marshalling as the handlers' client does. */
  ddb: DynamoDBDocumentClient;
  audit: AuditLog;
  records: ObjectRecords;
  notices: NoticeBook;
  principals: PrincipalMap;
  batches: BatchBook;
  createBucket(bucket: string): Promise<void>;
  putObject(bucket: string, key: string, storageClass?: string, archiveStatus?: 'ARCHIVE_ACCESS' | 'DEEP_ARCHIVE_ACCESS'): Promise<void>;
  /** Many objects of one storage class, a few at a time. */
  putObjects(bucket: string, keys: string[], storageClass: string): Promise<void>;
  /** A GetObject as `accessKeyId`; returns the error code, or 'OK'. */
  read(bucket: string, key: string, accessKeyId: string, versionId?: string): Promise<string>;
  cli(args: string[], accessKeyId?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  executions(): Promise<ExecutionListItem[]>;
  /** The states an execution entered, in order, from GetExecutionHistory. */
  path(executionArn: string): Promise<string[]>;
  auditTypes(bucket: string, key: string): Promise<string[]>;
  waitForExecutions(count: number, status?: string): Promise<ExecutionListItem[]>;
  waitForEmails(count: number): Promise<ReturnType<LocalCloud['ses']['list']>>;
  stop(): Promise<void>;
}

export async function startHarness(options: Partial<LocalCloudOptions> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'autorestore-e2e-'));
  const cloud = await LocalCloud.start({ port: 0, dataDir, realMsPerSimulatedHour: 50, functionLogLevel: 'ERROR', log: () => undefined, ...options });
  const endpoint = cloud.endpoint;
  const creds = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: 'local' });
  const clients: { destroy(): void }[] = [];
  const s3Clients = new Map<string, S3Client>();
  const s3 = (accessKeyId = 'AKIATESTADMIN0000001') => {
    let client = s3Clients.get(accessKeyId);
    if (!client) {
      client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds(accessKeyId), maxAttempts: 1 });
      s3Clients.set(accessKeyId, client);
      clients.push(client);
    }
    return client;
  };
  const sfn = new SFNClient({ endpoint, region: 'us-east-1', credentials: creds('AKIATESTADMIN0000001') });
  // As the handlers build theirs: items with optional fields left undefined (a BatchBook's batches) are written as they write them.
  const ddb = documentClient({ endpoint, region: 'us-east-1', credentials: creds('AKIATESTADMIN0000001') });
  clients.push(sfn, ddb);
  const audit = new AuditLog(ddb, TABLE_NAMES.audit);

  const harness: Harness = {
    cloud,
    s3,
    sfn,
    ddb,
    audit,
    records: new ObjectRecords(ddb, TABLE_NAMES.objects),
    notices: new NoticeBook(ddb, TABLE_NAMES.notices),
    principals: new PrincipalMap(ddb, TABLE_NAMES.principals),
    batches: new BatchBook(ddb, TABLE_NAMES.objects),
    async createBucket(bucket) {
      await s3().send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async putObject(bucket, key, storageClass = 'STANDARD', archiveStatus) {
      const put = new PutObjectCommand({ Bucket: bucket, Key: key, Body: `content of ${key}`, StorageClass: storageClass as never });
      if (archiveStatus) {
        put.middlewareStack.add(
          (next) => (args) => {
            (args.request as { headers: Record<string, string> }).headers[ARCHIVE_STATUS_HEADER] = archiveStatus;
            return next(args);
          },
          { step: 'build' },
        );
      }
      await s3().send(put);
    },
    async putObjects(bucket, keys, storageClass) {
      const limit = pLimit(32);
      await Promise.all(keys.map((key) => limit(() => harness.putObject(bucket, key, storageClass))));
    },
    async read(bucket, key, accessKeyId, versionId) {
      try {
        const out = await s3(accessKeyId).send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
        await out.Body?.transformToString();
        return 'OK';
      } catch (err) {
        return (err as Error).name;
      }
    },
    async cli(args, accessKeyId = 'AKIATESTADMIN0000001') {
      const env = { PATH: process.env.PATH ?? '', HOME: dataDir, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
      try {
        const { stdout, stderr } = await promisify(execFile)(AWS_CLI, ['--endpoint-url', endpoint, ...args], { env, cwd: dataDir, maxBuffer: 32 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    async executions() {
      const items: ExecutionListItem[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArn, nextToken }));
        items.push(...(page.executions ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return items;
    },
    async path(executionArn) {
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
      return (history.events ?? []).filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
    },
    async auditTypes(bucket, key) {
      return (await audit.history(objectIdOf({ bucket, key }))).map((e) => e.type).reverse();
    },
    async waitForExecutions(count, status = 'SUCCEEDED') {
      return eventually(
        async () => {
          const all = await harness.executions();
          const done = all.filter((e) => e.status === status);
          return done.length >= count && all.every((e) => e.status !== 'RUNNING') ? all : undefined;
        },
        `${count} ${status} executions`,
        60_000,
      );
    },
    async waitForEmails(count) {
      return eventually(
        () => {
          const messages = cloud.ses.list();
          return messages.length >= count ? messages : undefined;
        },
        `${count} emails`,
        60_000,
      );
    },
    async stop() {
      for (const client of clients) client.destroy();
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
