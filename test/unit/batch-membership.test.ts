/** Which bulk restore an object belongs to: pure rules over its record, the running batches and what S3 says. */
import { describe, expect, it } from 'vitest';
import { describeMembership, membershipOf, type BatchFacts, type RecordFacts } from '../../functions/domain/rules/batch-membership.js';

const batch = (batchId: string, prefix: string, createdAt: string, status = 'RUNNING'): BatchFacts => ({ batchId, bucket: 'b', prefix, status, createdAt });
const record = (fields: RecordFacts) => fields;
const known = (running: BatchFacts[], named: BatchFacts[] = []) => ({ bucket: 'b', running, named: new Map(named.map((n) => [n.batchId, n])) });

describe('batch membership', () => {
  it('an archived object under a running batch’s prefix is part of the newest such batch, in the state S3 gives', () => {
    const running = [batch('old', 'p/', '2026-11-23T01:00:00Z'), batch('new', 'p/q/', '2026-11-23T02:00:00Z'), batch('other', 'x/', '2026-11-23T03:00:00Z')];
    expect(membershipOf({ key: 'p/q/1', state: 'ARCHIVED' }, undefined, known(running))).toEqual({ batchId: 'new', batchStatus: 'RUNNING', objectState: 'not yet known' });
    expect(membershipOf({ key: 'p/1', state: 'RESTORE_IN_PROGRESS' }, undefined, known(running))).toMatchObject({ batchId: 'old', objectState: 'restoring' });
    expect(membershipOf({ key: 'p/1', state: 'RESTORED', restoredUntil: '2026-11-30T00:00:00.000Z' }, undefined, known(running))).toMatchObject({
      objectState: 'restored',
      restoredUntil: '2026-11-30T00:00:00.000Z',
    });
    expect(membershipOf({ key: 'p/1', state: 'UNKNOWN_TIER' }, undefined, known(running))).toMatchObject({ objectState: 'not yet known' });
  });

  it('an object not archived, outside every prefix, or with a restore of its own under way is no batch’s', () => {
    const running = [batch('run', 'p/', '2026-11-23T01:00:00Z')];
    expect(membershipOf({ key: 'p/plain', state: 'NOT_ARCHIVED' }, undefined, known(running))).toBeUndefined();
    expect(membershipOf({ key: 'elsewhere/1', state: 'ARCHIVED' }, undefined, known(running))).toBeUndefined();
    expect(membershipOf({ key: 'p/1', state: 'RESTORE_IN_PROGRESS' }, record({ status: 'RESTORING' }), known(running))).toBeUndefined();
    // A copy of an earlier cycle that has expired: the running batch restores it now.
    expect(membershipOf({ key: 'p/1', state: 'ARCHIVED' }, record({ status: 'EXPIRED' }), known(running))).toMatchObject({ batchId: 'run' });
  });

  it('a record naming a batch: restored by that batch, until the copy expires', () => {
    const ended = batch('done', 'p/', '2026-11-22T01:00:00Z', 'READY');
    const restored = record({ status: 'RESTORED', batchId: 'done', expiryDate: '2026-11-25T00:00:00.000Z' });
    const membership = membershipOf({ key: 'k', state: 'RESTORED' }, restored, known([], [ended]));
    expect(membership).toEqual({ batchId: 'done', batchStatus: 'READY', objectState: 'restored', restoredUntil: '2026-11-25T00:00:00.000Z' });
    expect(describeMembership(membership!)).toBe('part of batch done (READY): restored until 2026-11-25T00:00:00.000Z');
    expect(membershipOf({ key: 'k', state: 'ARCHIVED' }, record({ status: 'EXPIRED', batchId: 'done' }), known([], [ended]))).toBeUndefined();
  });
});
