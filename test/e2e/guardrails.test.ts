/**
 * The restore policy, approval and the cost ledger on the local cloud, as users meet them: a
 * reader's failed GetObject, the emails in the outbox, and the `autorestore` CLI as a child process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli, type CliRun } from '../support/cli.js';

let h: Harness;
const BUCKET = 'guarded-archive';
const READER = 'AKIAREADERALICE00001';
const ALICE = 'alice@example.com';
const APPROVER = 'approver@example.com';
const APPROVER_KEY = 'AKIAAPPROVERCAROL001';
const work = mkdtempSync(join(tmpdir(), 'autorestore-guardrails-'));

beforeAll(async () => {
  h = await startHarness({
    restorePolicy: {
      rules: [
        { name: 'vault', prefix: 'vault/', restore: 'never', reason: 'the vault is kept for audits only' },
        // Any Glacier Standard restore costs its $0.00005 request fee: over this limit.
        { name: 'needs a person', prefix: 'costly/', approvalAboveUsd: 0.00001 },
      ],
      approvers: [APPROVER],
      // A year of simulated time: no request expires during the test.
      approvalTimeoutSeconds: 31_536_000,
    },
  });
  await h.createBucket(BUCKET);
  await h.principals.put(READER, ALICE, new Date());
  await h.principals.put(APPROVER_KEY, 'carol@example.com', new Date());
});
afterAll(() => h.stop());

const autorestore = (args: string[], accessKeyId = APPROVER_KEY): Promise<CliRun> => runCli({ endpoint: h.cloud.endpoint, accessKeyId, home: work }, args);

const mailTo = (address: string, subject: RegExp) =>
  eventually(() => {
    const found = h.cloud.ses.list().filter((m) => m.to.includes(address) && subject.test(m.subject));
    return found.length ? found : undefined;
  }, `an email to ${address} matching ${subject}`);
const executionOf = async (key: string) =>
  eventually(async () => {
    const record = await h.records.get(objectIdOf({ bucket: BUCKET, key }));
    return record?.executionArn;
  }, `the execution of ${key}`);
const ended = async (executionArn: string) =>
  eventually(async () => {
    const path = await h.path(executionArn);
    return path.at(-1)?.startsWith('Ended') || path.at(-1) === 'File is ready' ? path : undefined;
  }, `${executionArn} to end`);

describe('restore policy and approval on the local cloud', () => {
  it('a read under a "never" prefix: no restore, the reader is told why', async () => {
    const key = 'vault/2019 ledger ünïcødé.csv';
    await h.putObject(BUCKET, key, 'GLACIER');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    const [email] = await mailTo(ALICE, /could not be restored/);
    expect(email!.text).toContain(key);
    expect(email!.text).toContain('the restore policy does not allow this restore: the vault is kept for audits only');
    expect((await ended(await executionOf(key))).slice(-2)).toEqual(['How did it end?', 'Ended: not allowed by policy']);
    expect(h.cloud.s3.calls.get('RestoreObject') ?? 0).toBe(0);
  });

  it('over the per-object limit: the approver is emailed, `autorestore approve` restores it, the reader gets "ready"', async () => {
    const key = 'costly/approve me.bin';
    await h.putObject(BUCKET, key, 'GLACIER');
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    const [asked] = await mailTo(APPROVER, /Approve or deny the restore of 1 file/);
    expect(asked!.text).toContain(`autorestore approve 's3://${BUCKET}/${key}'`);
    expect(asked!.text).toContain('$0.00005');
    await mailTo(ALICE, /waiting for approval/);

    const approved = await autorestore(['approve', `s3://${BUCKET}/${key}`, '--reason', 'needed for the audit']);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain(`approved: ${objectIdOf({ bucket: BUCKET, key })}`);
    expect(approved.stdout).toContain(`by carol@example.com (${APPROVER_KEY})`);

    const [ready] = await mailTo(ALICE, /restored and ready to download/);
    expect(ready!.text).toContain(key);
    expect(await ended(await executionOf(key))).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Wait for approval',
      'Request restore and wait',
      'Were the readers told it is ready?',
      'File is ready',
    ]);
    const history = JSON.parse((await autorestore(['--json', 'history', `s3://${BUCKET}/${key}`])).stdout) as { entries: { type: string; detail: Record<string, unknown> }[] };
    expect(history.entries.find((e) => e.type === 'APPROVAL_DECIDED')?.detail).toMatchObject({ decision: 'APPROVED', by: `carol@example.com (${APPROVER_KEY})`, reason: 'needed for the audit' });
  });

  it('the same denied: nothing restored, the reader told who denied it and why', async () => {
    const key = 'costly/deny me.bin';
    await h.putObject(BUCKET, key, 'GLACIER');
    const restoresBefore = h.cloud.s3.calls.get('RestoreObject') ?? 0;
    expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    await eventually(async () => ((await h.records.get(objectIdOf({ bucket: BUCKET, key })))?.approval?.decision === 'PENDING' ? true : undefined), 'the approval request');
    expect(await autorestore(['deny', `s3://${BUCKET}/${key}`, '--reason', 'use the warehouse copy'])).toMatchObject({ code: 0 });
    const again = await autorestore(['approve', `s3://${BUCKET}/${key}`]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('its approval was already decided: denied');

    const failed = await mailTo(ALICE, /could not be restored/);
    expect(failed.some((m) => m.text.includes(key) && m.text.includes('use the warehouse copy'))).toBe(true);
    expect((await ended(await executionOf(key))).slice(-1)).toEqual(['Ended: not approved']);
    expect(h.cloud.s3.calls.get('RestoreObject') ?? 0).toBe(restoresBefore);
  });

  it('the dry run shows the rule each object falls under and leaves out what the policy never restores', async () => {
    await h.putObject(BUCKET, 'dry/vault-free.bin', 'GLACIER');
    await h.putObject(BUCKET, 'vault/dry.bin', 'GLACIER');
    const restoresBefore = h.cloud.s3.calls.get('RestoreObject') ?? 0;
    const vault = JSON.parse((await autorestore(['--json', 'restore', '--dry-run', `s3://${BUCKET}/vault/dry.bin`])).stdout) as { toRestore: unknown[]; skipped: { key: string; reason: string }[] };
    expect(vault.toRestore).toEqual([]);
    expect(vault.skipped).toEqual([{ key: 'vault/dry.bin', reason: 'not allowed by the restore policy: the vault is kept for audits only' }]);
    const plain = await autorestore(['restore', '--dry-run', `s3://${BUCKET}/dry/`]);
    expect(plain.stdout).toContain('rule  dry/vault-free.bin  (default: Standard, 7 days, $0.00005)');
    expect(h.cloud.s3.calls.get('RestoreObject') ?? 0).toBe(restoresBefore);
  });

  it('`autorestore costs` equals the sum of the costs in the audit entries', async () => {
    await h.putObject(BUCKET, 'plain/a.bin', 'GLACIER');
    await h.putObject(BUCKET, 'plain/b.bin', 'DEEP_ARCHIVE');
    for (const key of ['plain/a.bin', 'plain/b.bin']) expect(await h.read(BUCKET, key, READER)).toBe('InvalidObjectState');
    const keys = ['costly/approve me.bin', 'plain/a.bin', 'plain/b.bin'];
    const charged = await eventually(async () => {
      const costs = await Promise.all(
        keys.map(async (key) => (await h.audit.history(objectIdOf({ bucket: BUCKET, key }))).filter((e) => e.type === 'RESTORE_REQUESTED' && (e.detail.cost as { charged?: boolean }).charged)),
      );
      return costs.every((c) => c.length === 1) ? costs.flat().map((e) => (e.detail.cost as { microUsd: number }).microUsd) : undefined;
    }, 'every restore to be charged');
    const costs = JSON.parse((await autorestore(['--json', 'costs', '--by', 'tier'])).stdout) as { total: { microUsd: number; restores: number }; lines: { name: string }[] };
    expect(costs.total).toMatchObject({ microUsd: charged.reduce((a, b) => a + b, 0), restores: 3 });
    expect(costs.lines.map((l) => l.name)).toEqual(['Standard']);
    const text = await autorestore(['costs', '--by', 'bucket']);
    expect(text.stdout).toMatch(new RegExp(`: \\$0\\.000\\d+ for 3 restores\\n  ${BUCKET}`));
    expect((await autorestore(['costs', '--month', '2026-13'])).stderr).toContain('--month wants YYYY-MM');
  });
});
