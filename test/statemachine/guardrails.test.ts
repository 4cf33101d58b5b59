/**
 * The restore policy, the monthly budget and the approval step, run in the real
 * restore-object.asl.json with the real steps: each scenario asserts the path taken.
 */
import { RestoreObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restoreCompleted } from '../../functions/restore-completed/completed.js';
import { decideApproval } from '../../functions/domain/restores/decide-approval.js';
import { objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { restorePolicySchema, type PolicyRuleInput } from '../../functions/domain/rules/restore-policy.js';
import { eventually } from '../../local/eventually.js';
import { ACCOUNT, BUCKET, restoreCompletedEvent } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';
import { recordingLog } from '../support/log.js';
import { seedCycle } from '../support/records.js';
import { workflowWorld, type WorkflowWorld } from '../support/workflow.js';

const GiB = 1024 ** 3;
const HAPPY_PATH = ['Inspect object', 'What state is the object in?', 'Request restore and wait', 'Were the readers told it is ready?', 'File is ready'];
const APPROVER = 'approver@example.com';
const RULES: PolicyRuleInput[] = [
  { name: 'vault', prefix: 'vault/', restore: 'never', reason: 'the vault is kept for audits and never restored on a read' },
  { name: 'costly', prefix: 'costly/', approvalAboveUsd: 0.01 },
  { name: 'cheap when spent', prefix: 'downgrade/', downgradeToBulk: true },
];

let state: TestState;
let n = 0;
beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());

/** A world whose steps live in their own month, so each test has a budget of its own. */
function worldFor(options: { budgetUsd?: number; approvalTimeoutSeconds?: number } = {}): WorkflowWorld {
  const month = ++n;
  const now = () => new Date(Date.UTC(2030 + Math.floor(month / 12), month % 12, 15, 12));
  const policy = restorePolicySchema.parse({ rules: RULES, approvers: [APPROVER], ...(options.budgetUsd !== undefined ? { monthlyBudgetUsd: options.budgetUsd } : {}) });
  return workflowWorld(state, { approvalTimeoutSeconds: options.approvalTimeoutSeconds ?? 3600, stepDeps: { policy, now } });
}

async function archived(world: WorkflowWorld, key: string, size = GiB): Promise<ObjectRef> {
  const ref = { bucket: BUCKET, key: `${key} ${++n}.bin` };
  await seedCycle(state, ref, { readers: ['alice'] });
  world.s3.objects.set(`${ref.bucket}/${ref.key}`, { StorageClass: 'GLACIER', size });
  return ref;
}

function s3CompletesRestore(world: WorkflowWorld, ref: ObjectRef) {
  world.s3.objects.get(`${ref.bucket}/${ref.key}`)!.restore = 'done';
  return restoreCompleted(restoreCompletedEvent({ key: ref.key, id: `done-${ref.key}`, time: new Date().toISOString() }), {
    sfn: new SFNClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    records: state.records,
    audit: state.audit,
    notices: state.notices,
    watchedBuckets: [BUCKET],
    accountId: ACCOUNT,
    now: () => new Date(),
    log: recordingLog(),
  });
}

const record = (ref: ObjectRef) => state.records.get(objectIdOf(ref));
const waitingForRestore = (ref: ObjectRef) => eventually(async () => (await record(ref))?.taskToken, 'the task token to be stored');
/** The approval step's last write is its audit entry: by then the token is stored and the emails queued. */
const waitingForApproval = (ref: ObjectRef) =>
  eventually(async () => ((await state.audit.history(objectIdOf(ref))).some((e) => e.type === 'APPROVAL_REQUESTED') ? true : undefined), 'the approval request');
const pending = async (ref: ObjectRef) =>
  (await state.notices.pending())
    .filter((p) => p.file.key === ref.key)
    .map((p) => `${p.kind}:${p.reader.userName ?? p.reader.email ?? p.reader.id}`)
    .sort();
const history = async (ref: ObjectRef) => (await state.audit.history(objectIdOf(ref))).reverse();
const approverDeps = () => ({ sfn: new SFNClient({ region: 'us-east-1' }), records: state.records, audit: state.audit, now: () => new Date() });
const CAROL = 'arn:aws:iam::111122223333:user/carol';

describe('restore policy in the workflow', () => {
  let world: WorkflowWorld;
  beforeEach(() => {
    world = worldFor();
  });

  it('an object no rule limits takes the automatic path unchanged: 5 states, priced and counted', async () => {
    const ref = await archived(world, 'plain/object');
    const execution = world.run(ref);
    await waitingForRestore(ref);
    await s3CompletesRestore(world, ref);
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual(HAPPY_PATH);
    const requested = (await history(ref)).find((e) => e.type === 'RESTORE_REQUESTED')!;
    // 1 GiB from Glacier at Standard: $0.00005 request + $0.01 retrieval.
    expect(requested.detail).toMatchObject({ tier: 'Standard', rule: 'default', cost: { microUsd: 10_050, charged: true } });
    const month = (requested.detail.cost as { month: string }).month;
    expect((await world.stepDeps.ledger.month(month)).total).toEqual({ name: 'total', microUsd: 10_050, restores: 1 });
  });

  it('a read under a "never" prefix restores nothing and tells the reader why', async () => {
    const ref = await archived(world, 'vault/ledger ünïcødé');
    const { path, status } = await world.run(ref).done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Close cycle: not allowed by policy',
      'Notify readers of the failure',
      'How did it end?',
      'Ended: not allowed by policy',
    ]);
    expect(world.s3.mock.commandCalls(RestoreObjectCommand)).toHaveLength(0);
    expect(await record(ref)).toMatchObject({
      status: 'CLOSED',
      outcome: 'REFUSED',
      outcomeReason: 'the restore policy does not allow this restore: the vault is kept for audits and never restored on a read',
    });
    expect(await pending(ref)).toEqual(['failed:alice']);
  });
});

describe('approval', () => {
  it('over the rule limit: waits, the approvers are asked, the reader told; approved, it restores', async () => {
    const world = worldFor();
    const ref = await archived(world, 'costly/big', 10 * GiB);
    const execution = world.run(ref);
    await waitingForApproval(ref);
    expect(world.s3.mock.commandCalls(RestoreObjectCommand)).toHaveLength(0);
    expect(await pending(ref)).toEqual([`approval-requested:${APPROVER}`, 'awaiting-approval:alice']);
    const asked = (await state.notices.pending()).find((p) => p.file.key === ref.key && p.kind === 'approval-requested')!;
    expect(asked.file).toMatchObject({ costMicroUsd: 100_050, approvalReason: 'the restore costs $0.10005, over the $0.01 that rule costly allows without approval' });
    expect(asked.file.requestedBy).toContain('alice');

    expect(await decideApproval(approverDeps(), objectIdOf(ref), { decision: 'APPROVED', by: CAROL, reason: 'quarterly report' })).toMatchObject({ decided: true });
    await waitingForRestore(ref);
    await s3CompletesRestore(world, ref);
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Wait for approval',
      'Request restore and wait',
      'Were the readers told it is ready?',
      'File is ready',
    ]);
    expect(world.s3.mock.commandCalls(RestoreObjectCommand)).toHaveLength(1);
    const decided = (await history(ref)).find((e) => e.type === 'APPROVAL_DECIDED')!;
    expect(decided.detail).toEqual({ decision: 'APPROVED', by: CAROL, reason: 'quarterly report', costMicroUsd: 100_050 });
    expect((await record(ref))?.approval).toMatchObject({ decision: 'APPROVED', by: CAROL });
  });

  it('denied: nothing restored, the reader told who denied it and why; a second decision changes nothing', async () => {
    const world = worldFor();
    const ref = await archived(world, 'costly/denied', 10 * GiB);
    const execution = world.run(ref);
    await waitingForApproval(ref);
    expect(await decideApproval(approverDeps(), objectIdOf(ref), { decision: 'DENIED', by: CAROL, reason: 'use the copy in the warehouse' })).toMatchObject({ decided: true });
    expect(await decideApproval(approverDeps(), objectIdOf(ref), { decision: 'APPROVED', by: 'arn:aws:iam::111122223333:user/dave' })).toEqual({
      decided: false,
      why: `its approval was already decided: denied by ${CAROL}`,
    });
    const { path, status } = await execution.done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Wait for approval',
      'Close cycle: approval denied',
      'Notify readers of the failure',
      'How did it end?',
      'Ended: not approved',
    ]);
    expect(world.s3.mock.commandCalls(RestoreObjectCommand)).toHaveLength(0);
    expect(await record(ref)).toMatchObject({ outcome: 'DENIED', outcomeReason: `the restore was not approved: denied by ${CAROL}: use the copy in the warehouse` });
    expect(await pending(ref)).toContain('failed:alice');
  });

  it('expired: nobody decided in time, so it is denied, recorded and the reader told', async () => {
    const world = worldFor({ approvalTimeoutSeconds: 1 });
    const ref = await archived(world, 'costly/expired', 10 * GiB);
    const { path, status } = await world.run(ref).done;
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([
      'Inspect object',
      'What state is the object in?',
      'Request restore and wait',
      'Wait for approval',
      'Close cycle: approval denied',
      'Notify readers of the failure',
      'How did it end?',
      'Ended: not approved',
    ]);
    expect(await record(ref)).toMatchObject({ outcome: 'DENIED', outcomeReason: 'the restore was not approved: the approval request expired', approval: { decision: 'EXPIRED', by: 'expiry' } });
    expect((await history(ref)).filter((e) => e.type === 'APPROVAL_DECIDED').map((e) => e.detail)).toEqual([{ decision: 'EXPIRED', by: 'expiry' }]);
    expect(await pending(ref)).toContain('failed:alice');
    expect(await decideApproval(approverDeps(), objectIdOf(ref), { decision: 'APPROVED', by: CAROL })).toMatchObject({ decided: false });
  });
});

describe('monthly budget', () => {
  it('two restores racing for the last of the budget: one restores, the other waits for approval', async () => {
    // Room for one 1 GiB Standard restore ($0.01005), not two.
    const world = worldFor({ budgetUsd: 0.015 });
    const [a, b] = [await archived(world, 'race/a'), await archived(world, 'race/b')];
    const runs = [world.run(a), world.run(b)];
    const outcome = async (ref: ObjectRef) => {
      const r = await record(ref);
      return r?.taskToken ? 'restoring' : r?.approval?.decision === 'PENDING' ? 'waiting for approval' : undefined;
    };
    const outcomes = await eventually(async () => {
      const both = [await outcome(a), await outcome(b)];
      return both.every(Boolean) ? both.sort() : undefined;
    }, 'both restores to settle');
    expect(outcomes).toEqual(['restoring', 'waiting for approval']);
    expect(world.s3.mock.commandCalls(RestoreObjectCommand)).toHaveLength(1);
    const month = (await world.stepDeps.ledger.month(new Date(world.stepDeps.now()).toISOString().slice(0, 7))).total;
    expect(month).toEqual({ name: 'total', microUsd: 10_050, restores: 1 });
    // Settle both executions.
    const waiting = (await outcome(a)) === 'restoring' ? b : a;
    const restoring = waiting === a ? b : a;
    await decideApproval(approverDeps(), objectIdOf(waiting), { decision: 'DENIED', by: CAROL });
    await s3CompletesRestore(world, restoring);
    await Promise.all(runs.map((r) => r.done));
  });

  it('over the budget, a rule that allows it restores at Bulk instead of waiting, and the reader is told the later time', async () => {
    const world = worldFor({ budgetUsd: 0 });
    const ref = await archived(world, 'downgrade/raw');
    const execution = world.run(ref);
    await waitingForRestore(ref);
    expect(world.s3.mock.commandCalls(RestoreObjectCommand)[0]!.args[0].input.RestoreRequest).toEqual({ Days: 7, GlacierJobParameters: { Tier: 'Bulk' } });
    expect(await record(ref)).toMatchObject({ tier: 'Bulk', downgradedToBulk: true, costMicroUsd: 0 });
    const started = (await state.notices.pending()).find((p) => p.file.key === ref.key && p.kind === 'started')!;
    expect(started.file).toMatchObject({ tier: 'Bulk', downgradedToBulk: true });
    await s3CompletesRestore(world, ref);
    expect((await execution.done).path).toEqual(HAPPY_PATH);
  });
});
