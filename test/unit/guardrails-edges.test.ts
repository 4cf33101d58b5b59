/** The edges of the guardrails: a reader joining a restore that waits for approval, the approval emails, the CLI's parsing. */
import { RestoreObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { runStep } from '../../functions/restore-steps/steps.js';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderRestore, ordererReader } from '../../functions/domain/restores/order-restore.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { renderEmail } from '../../functions/notify-aggregator/email.js';
import { objectIdFromTarget } from '../../cli/commands/approve.js';
import { parseMonth } from '../../cli/commands/costs.js';
import { UsageError } from '../../cli/s3-url.js';
import { ACCOUNT, BUCKET } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';

const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:restore-object`;
let state: TestState;
beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());

describe('a reader joining a restore that waits for approval', () => {
  it('is told it waits, with the reason', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const deps = { sfn: new SFNClient({ region: 'us-east-1' }), records: state.records, audit: state.audit, notices: state.notices, stateMachineArn: STATE_MACHINE, now: () => new Date() };
    const ref = { bucket: BUCKET, key: 'costly/joined.bin' };
    await orderRestore(deps, ref, ordererReader('AKIAFIRSTREADER00001'));
    await state.records.requestApproval(objectIdOf(ref), 1, { reason: 'over the limit', requestedAt: new Date(), taskToken: 'token-1', costMicroUsd: 70_000 });
    await orderRestore(deps, ref, ordererReader('AKIASECONDREADER0001', 'bea@example.com'));
    const pending = (await state.notices.pending()).filter((n) => n.file.key === ref.key);
    expect(pending.map((n) => [n.kind, n.reader.email, n.file.approvalReason])).toEqual([['awaiting-approval', 'bea@example.com', 'over the limit']]);
    sfn.restore();
  });
});

describe('the approval emails', () => {
  const file = {
    objectId: 'o',
    cycle: 1,
    bucket: 'b',
    key: `<img src=x onerror=alert(1)>'s file.bin`,
    costMicroUsd: 100_050,
    requestedBy: 'arn:aws:iam::1:user/<alice>',
    approvalReason: 'over <the> limit',
  };

  it('asks the approver with who, what, the cost and the commands, every user value escaped or quoted', () => {
    const email = renderEmail('approval-requested', [file], 100);
    expect(email.subject).toBe('Approve or deny the restore of 1 file');
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(email.html).toContain('arn:aws:iam::1:user/&lt;alice&gt;');
    expect(email.text).toContain('Restore cost: $0.10005');
    expect(email.text).toContain(`How to decide: autorestore approve 's3://b/<img src=x onerror=alert(1)>'\\''s file.bin'`);
  });

  it('names the version of a versioned object in the commands', () => {
    expect(renderEmail('approval-requested', [{ ...file, key: 'k', versionId: "v'1" }], 100).text).toContain(`autorestore approve 's3://b/k' --version-id 'v'\\''1'`);
  });

  it('tells the reader it waits, and why', () => {
    const email = renderEmail('awaiting-approval', [file], 100);
    expect(email.subject).toBe('1 file waiting for approval before restore');
    expect(email.text).toContain('Why approval is needed: over <the> limit');
    expect(email.html).toContain('over &lt;the&gt; limit');
  });

  it('says a downgraded restore is later than usual', () => {
    const email = renderEmail('started', [{ ...file, tier: 'Bulk', downgradedToBulk: true, costMicroUsd: 0 }], 100);
    expect(email.text).toContain("Retrieval tier: Bulk (this month's restore budget is spent, so the cheapest tier: later than usual)");
    expect(email.text).toContain('Restore cost: $0.00');
  });
});

describe('the CLI arguments', () => {
  it('takes an S3 URL or the request id', () => {
    expect(objectIdFromTarget('s3://bucket-a/k ü.bin')).toBe(objectIdOf({ bucket: 'bucket-a', key: 'k ü.bin' }));
    expect(objectIdFromTarget('s3://bucket-a/k', 'v1')).toBe(objectIdOf({ bucket: 'bucket-a', key: 'k', versionId: 'v1' }));
    expect(objectIdFromTarget('some-request-id')).toBe('some-request-id');
    expect(() => objectIdFromTarget('s3://bucket-a/prefix/')).toThrow(UsageError);
    expect(() => objectIdFromTarget('id', 'v1')).toThrow(/--version-id goes with an s3:\/\/ URL/);
  });

  it('wants a month as YYYY-MM', () => {
    expect(parseMonth(undefined, new Date('2026-11-23T05:00:00Z'))).toBe('2026-11');
    expect(parseMonth('2026-02', new Date())).toBe('2026-02');
    for (const bad of ['2026-13', '2026-00', '2026-1', 'november']) expect(() => parseMonth(bad, new Date())).toThrow(UsageError);
  });
});

describe('the ledger follows what S3 actually runs', () => {
  const GiB = 1024 ** 3;
  const setup = async (key: string) => {
    const { seedCycle } = await import('../support/records.js');
    const { stepDepsFor } = await import('../support/deps.js');
    const ref = { bucket: BUCKET, key };
    await seedCycle(state, ref);
    const now = new Date('2032-03-10T00:00:00Z');
    return {
      ref,
      deps: stepDepsFor(state, {
        now: () => now,
        tiers: { GLACIER: 'Expedited', DEEP_ARCHIVE: 'Standard', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Standard' },
      }),
    };
  };
  const s3Error = (name: string, status: number) => new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });

  it('Expedited without capacity: the Standard restore is what is charged, and what the audit entry says', async () => {
    const s3 = mockClient(S3Client);
    s3.on(RestoreObjectCommand)
      .rejectsOnce(s3Error('GlacierExpeditedRetrievalNotAvailable', 503))
      .resolves({ $metadata: { httpStatusCode: 202 } });
    const { ref, deps } = await setup('ledger/expedited.bin');
    const before = await deps.ledger.spent('2032-03');
    await runStep({ action: 'requestRestore', object: ref, objectId: objectIdOf(ref), cycle: 1, archiveKind: 'GLACIER', size: GiB }, deps);
    // 1 GiB at Standard: $0.00005 + $0.01, not Expedited's $0.01 + $0.03.
    expect((await deps.ledger.spent('2032-03')) - before).toBe(10_050);
    const requested = (await state.audit.history(objectIdOf(ref))).find((e) => e.type === 'RESTORE_REQUESTED')!;
    expect(requested.detail).toMatchObject({ tier: 'Standard', cost: { microUsd: 10_050, charged: true } });
    s3.restore();
  });

  it('a restore S3 refuses is taken back out of the ledger', async () => {
    const s3 = mockClient(S3Client);
    s3.on(RestoreObjectCommand).rejects(s3Error('InvalidObjectState', 403));
    const { ref, deps } = await setup('ledger/refused.bin');
    const before = await deps.ledger.spent('2032-03');
    await expect(runStep({ action: 'requestRestore', object: ref, objectId: objectIdOf(ref), cycle: 1, archiveKind: 'GLACIER', size: GiB }, deps)).rejects.toMatchObject({
      name: 'RestoreNotPossibleError',
    });
    expect(await deps.ledger.spent('2032-03')).toBe(before);
    s3.restore();
  });
});
