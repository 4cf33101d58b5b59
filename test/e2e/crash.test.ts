/**
 * kill -9 at the worst moments: the local cloud runs as a child process (`local/main.ts`) on a
 * data folder, is killed during a burst of refused reads, while executions wait for their
 * restores, and while the aggregator's tick holds its lease, and is restarted on the same
 * folder each time. Everything is observed through the public protocols only (S3, DynamoDB,
 * Step Functions, the outbox's .eml files), as a user would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../functions/domain/stores/audit.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { PrincipalMap } from '../../functions/domain/stores/principals.js';
import { ObjectRecords } from '../../functions/domain/stores/records.js';
import { STATE_MACHINE_NAME, TABLE_NAMES } from '../../local/cloud.js';
import { parseEml, type OutboxMessage } from '../../local/ses.js';
import { eventually } from '../../local/eventually.js';
import { documentClient } from '../../functions/domain/wiring/document-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Four real seconds per simulated hour: Glacier Standard restores take 16 s and Deep Archive 48 s,
// longer than the restarts, so each file's "started" email goes out before its "ready" one; the
// aggregator ticks every 67 ms. The debounce window (half an hour: 2 s) outlasts the burst, so
// no email is due while the burst runs: a kill between SES taking an email and the aggregator
// recording it would send that email again after the restart (SES takes no idempotency key),
// which is the one duplicate no sender can rule out.
const SECONDS_PER_HOUR = 4;
const DEBOUNCE_SECONDS = 1800;
const MAX_WAIT_SECONDS = 3600;
const BUCKET = 'crash-archive';
const GLACIER = Array.from({ length: 12 }, (_, i) => `crash/glacier-${String(i).padStart(2, '0')}.bin`);
const DEEP = Array.from({ length: 6 }, (_, i) => `crash/deep-${String(i).padStart(2, '0')}.bin`);
const KEYS = [...GLACIER, ...DEEP];
const READERS = Array.from({ length: 4 }, (_, i) => ({ accessKeyId: `AKIACRASHREADER0000${i}`, email: `crash-reader${i}@example.com` }));
const READS_PER_READER_AND_OBJECT = 2;
const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:000000000000:stateMachine:${STATE_MACHINE_NAME}`;

/** The local cloud as its own process, killable with SIGKILL. */
class CloudProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(dataDir: string, port: number): Promise<CloudProcess> {
    const args = [
      '--import',
      'tsx',
      'local/main.ts',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--no-demo',
      '--seconds-per-hour',
      String(SECONDS_PER_HOUR),
      '--debounce-seconds',
      String(DEBOUNCE_SECONDS),
      '--max-wait-seconds',
      String(MAX_WAIT_SECONDS),
      '--log-level',
      'ERROR',
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the local cloud did not start within 60 s: ${stderr}`)), 60_000);
      child.stdout.on('data', () => {
        if (!stdout.includes('Ctrl-C stops')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the local cloud exited with ${code} while starting: ${stderr}`));
      });
    });
    return new CloudProcess(child);
  }

  /** kill -9: no handler runs, nothing is flushed. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    kills.push(Date.now());
    this.child.kill('SIGKILL');
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dataDir: string;
let port: number;
let cloud: CloudProcess | undefined;
let endpoint: string;
const clients: { destroy(): void }[] = [];
let sfn: SFNClient;
let ddb: DynamoDBDocumentClient;
let audit: AuditLog;
let records: ObjectRecords;

const s3For = (() => {
  const made = new Map<string, S3Client>();
  return (accessKeyId = 'AKIACRASHADMIN000001') => {
    let client = made.get(accessKeyId);
    if (!client) {
      // One attempt: a read cut off by the kill is a read that was not answered, not one to retry.
      client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey: 'local' }, maxAttempts: 1 });
      made.set(accessKeyId, client);
      clients.push(client);
    }
    return client;
  };
})();

/** A GetObject whose user agent names the read, so the audit history can be checked read by read. */
async function read(key: string, accessKeyId: string, tag: string): Promise<string> {
  const command = new GetObjectCommand({ Bucket: BUCKET, Key: key });
  command.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['user-agent'] = tag;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'tagTheRead' },
  );
  try {
    await (await s3For(accessKeyId).send(command)).Body?.transformToString();
    return 'OK';
  } catch (err) {
    return (err as Error).name;
  }
}

/** When each SIGKILL was sent (ms). */
const kills: number[] = [];

function outbox(): (OutboxMessage & { writtenAt: number })[] {
  const folder = join(dataDir, 'outbox');
  return readdirSync(folder)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => ({ ...parseEml(f, readFileSync(join(folder, f), 'utf8')), writtenAt: statSync(join(folder, f)).mtimeMs }));
}

/** When each reader was told about each file, by kind (one time per email). */
function tellings(kind: 'started' | 'ready'): Map<string, number[]> {
  const times = new Map<string, number[]>();
  for (const message of outbox()) {
    const isKind = kind === 'started' ? message.subject.startsWith('Restoring') : message.subject.includes('ready');
    if (!isKind) continue;
    for (const [, key] of message.text.matchAll(/^Key: (.*)$/gm)) {
      for (const to of message.to) times.set(`${to} ${key}`, [...(times.get(`${to} ${key}`) ?? []), message.writtenAt]);
    }
  }
  return times;
}

function mentions(kind: 'started' | 'ready'): Map<string, number> {
  return new Map([...tellings(kind)].map(([id, times]) => [id, times.length]));
}

/**
 * SES takes no idempotency key: a kill after SES took an email and before the aggregator recorded
 * it sends that email again after the restart. That, and only that, is the one repeat allowed:
 * the first copy must have been written in the moment before a kill.
 */
const SEND_TO_RECORD_MS = 3000;
const repeatedByAKill = (times: number[]) => times.length === 2 && kills.some((kill) => Math.min(...times) <= kill && kill - Math.min(...times) < SEND_TO_RECORD_MS);

const everyReaderAndFile = () => READERS.flatMap((r) => KEYS.map((k) => `${r.email} ${k}`));

async function executions(): Promise<ExecutionListItem[]> {
  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN, nextToken }));
    items.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

async function restart(): Promise<void> {
  cloud = await CloudProcess.start(dataDir, port);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'autorestore-crash-'));
  port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  await restart();
  const credentials = { accessKeyId: 'AKIACRASHADMIN000001', secretAccessKey: 'local' };
  sfn = new SFNClient({ endpoint, region: 'us-east-1', credentials });
  ddb = documentClient({ endpoint, region: 'us-east-1', credentials });
  clients.push(sfn, ddb);
  audit = new AuditLog(ddb, TABLE_NAMES.audit);
  records = new ObjectRecords(ddb, TABLE_NAMES.objects);
  const principals = new PrincipalMap(ddb, TABLE_NAMES.principals);
  const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  clients.push(admin);
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const limit = pLimit(8);
  await Promise.all(
    KEYS.map((Key) => limit(() => admin.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: `content of ${Key}`, StorageClass: GLACIER.includes(Key) ? 'GLACIER' : 'DEEP_ARCHIVE' })))),
  );
  for (const reader of READERS) await principals.put(reader.accessKeyId, reader.email, new Date());
});

afterAll(async () => {
  await cloud?.kill();
  for (const client of clients) client.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local cloud killed with SIGKILL and restarted on its data folder', () => {
  it('loses no refused read, restores each object once, emails each reader once per file and kind (a kill mid-send aside), and leaves no execution behind', async () => {
    // --- 1. Killed during a burst of refused reads.
    // In rounds: each round reads every object once per reader, so the kill falls amid all of them.
    const plan = Array.from({ length: READS_PER_READER_AND_OBJECT }, (_, n) =>
      KEYS.flatMap((key) => READERS.map((r) => ({ key, reader: r.accessKeyId, tag: `crash-read/${r.accessKeyId}/${key}/${n}` }))),
    ).flat();
    const refused = new Set<string>();
    const limit = pLimit(8);
    const burst = Promise.all(
      plan.map((p) =>
        limit(async () => {
          if ((await read(p.key, p.reader, p.tag)) === 'InvalidObjectState') refused.add(p.tag);
        }),
      ),
    );
    await eventually(() => refused.size >= plan.length / 3, 'a third of the burst to be refused', 60_000, 5);
    await cloud!.kill();
    await burst;
    expect(refused.size).toBeLessThan(plan.length);

    // --- 2. Restarted; the rest of the burst; killed while the executions wait for their restores.
    await restart();
    for (let pass = 0; pass < 5 && refused.size < plan.length; pass++) {
      await Promise.all(
        plan
          .filter((p) => !refused.has(p.tag))
          .map((p) =>
            limit(async () => {
              if ((await read(p.key, p.reader, p.tag)) === 'InvalidObjectState') refused.add(p.tag);
            }),
          ),
      );
    }
    expect(refused.size).toBe(plan.length);
    await eventually(
      async () => {
        const all = await Promise.all(KEYS.map((key) => records.get(objectIdOf({ bucket: BUCKET, key }))));
        return all.every((r) => r?.executionArn);
      },
      'an execution for every object',
      60_000,
      50,
    );
    expect((await executions()).filter((e) => e.status === 'RUNNING').length).toBeGreaterThan(0);
    await cloud!.kill();

    // --- 3. Restarted; killed while the aggregator's tick holds its lease, once every "started" email is out.
    await restart();
    await eventually(() => everyReaderAndFile().every((id) => mentions('started').has(id)), 'every "started" email', 60_000, 50);
    await eventually(
      async () => {
        const lease = (await ddb.send(new GetCommand({ TableName: TABLE_NAMES.notices, Key: { readerId: '#lease', noticeKey: '#aggregator' } }))).Item;
        return Number(lease?.expiresAt ?? 0) > Date.now();
      },
      'a tick holding the lease',
      30_000,
      2,
    );
    await cloud!.kill();

    // --- 4. Restarted for good: everything ends.
    await restart();
    await eventually(() => everyReaderAndFile().every((id) => mentions('ready').has(id)), 'every "ready" email', 90_000, 100);
    const ended = await eventually(
      async () => {
        const all = await executions();
        return all.length >= KEYS.length && all.every((e) => e.status !== 'RUNNING') && all;
      },
      'every execution to end',
      90_000,
      200,
    );

    // Every refused read is in the audit history (matched read by read on its user agent).
    const recorded = new Set<string>();
    for (const key of KEYS) {
      for (const entry of await audit.history(objectIdOf({ bucket: BUCKET, key }))) {
        if (entry.type === 'READ_DETECTED') recorded.add(String(entry.detail.userAgent));
      }
    }
    expect([...refused].filter((tag) => !recorded.has(tag))).toEqual([]);

    // Each object restored once: one RestoreObject that started a restore, none that found a
    // restored copy (S3 would extend and bill it again), and the copy is there.
    for (const key of KEYS) {
      const requests = (await audit.history(objectIdOf({ bucket: BUCKET, key }))).filter((e) => e.type === 'RESTORE_REQUESTED').map((e) => e.detail.outcome);
      expect({ key, started: requests.filter((o) => o === 'REQUESTED').length <= 1, extended: requests.filter((o) => o === 'ALREADY_RESTORED').length }).toEqual({ key, started: true, extended: 0 });
      const head = await s3For().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.Restore).toMatch(/^ongoing-request="false"/);
    }

    // Each reader told once per file and kind (twice only where a kill fell between SES taking the
    // email and the aggregator recording it).
    for (const kind of ['started', 'ready'] as const) {
      const told = tellings(kind);
      const wrong = everyReaderAndFile().filter((id) => {
        const times = told.get(id) ?? [];
        return times.length !== 1 && !repeatedByAKill(times);
      });
      expect(wrong.map((id) => `${kind} ${id}: ${told.get(id)?.length ?? 0}`)).toEqual([]);
    }

    // No record names a missing execution, and every execution ended well, one per object.
    for (const key of KEYS) {
      const record = await records.get(objectIdOf({ bucket: BUCKET, key }));
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: record!.executionArn! }));
      expect(described.status).toBe('SUCCEEDED');
    }
    expect(ended.map((e) => e.status)).toEqual(Array(KEYS.length).fill('SUCCEEDED'));
  }, 420_000);
});
