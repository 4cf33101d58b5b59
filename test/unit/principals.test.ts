import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readerFromIdentity } from '../../functions/domain/rules/reader.js';
import { documentedIdentity } from '../fixtures/events.js';
import { startTestState, type TestState } from '../support/dynamo.js';

let state: TestState;
const now = new Date('2026-11-22T10:00:00Z');

beforeAll(async () => {
  state = await startTestState();
});
afterAll(() => state.stop());

describe('principal map', () => {
  it('resolves a reader from another account by its account id when nothing more specific is mapped', async () => {
    const reader = readerFromIdentity(documentedIdentity('AWSAccount'))!;
    await state.principals.put('444455556666', 'partner-team@example.com', now);
    expect((await state.principals.resolve([reader])).get(reader.id)).toBe('partner-team@example.com');
  });

  it('the most specific mapping wins: the principal id over the account', async () => {
    const reader = readerFromIdentity(documentedIdentity('AWSAccount'))!;
    await state.principals.put('AIDAQRSTUVWXYZEXAMPLE', 'partner-person@example.com', now);
    expect((await state.principals.resolve([reader])).get(reader.id)).toBe('partner-person@example.com');
  });

  it('resolves an IAM Identity Center user by their identity store user id', async () => {
    const reader = readerFromIdentity(documentedIdentity('IdentityCenterUser'))!;
    await state.principals.put('544894e8-80c1-707f-60e3-3ba6510dfac1', 'carol@example.com', now);
    expect((await state.principals.resolve([reader])).get(reader.id)).toBe('carol@example.com');
  });

  it('resolves an assumed-role session by the role that issued it, when only the role is mapped', async () => {
    const reader = readerFromIdentity(documentedIdentity('AssumedRole'))!;
    await state.principals.put('arn:aws:iam::111122223333:role/RoleToBeAssumed', 'data-team@example.com', now);
    expect((await state.principals.resolve([reader])).get(reader.id)).toBe('data-team@example.com');
    await state.principals.put('MySessionName', 'dave@example.com', now);
    expect((await state.principals.resolve([reader])).get(reader.id)).toBe('dave@example.com');
  });

  it('an AWS service that nobody mapped stays unresolved', async () => {
    const reader = readerFromIdentity(documentedIdentity('AWSService'))!;
    expect((await state.principals.resolve([reader])).has(reader.id)).toBe(false);
  });
});
