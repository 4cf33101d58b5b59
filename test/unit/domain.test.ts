import { describe, expect, it } from 'vitest';
import { expectedReadyAt, inspectArchiveState, parseRestoreHeader, restoreRequestFor } from '../../functions/domain/rules/archive.js';
import { decodeS3EventKey, encodeS3EventKey, eventKeyCandidates, executionNameOf, objectIdOf, parseObjectId, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { principalLookupKeys, readerFromIdentity } from '../../functions/domain/rules/reader.js';
import { decideCycle, type ObjectRecord } from '../../functions/domain/stores/records.js';
import { assumedRole, documentedIdentity, iamUser, type IdentityKind } from '../fixtures/events.js';

describe('archive state from HeadObject', () => {
  it.each([
    [{}, 'NOT_ARCHIVED'],
    [{ StorageClass: 'GLACIER_IR' }, 'NOT_ARCHIVED'],
    [{ StorageClass: 'STANDARD_IA' }, 'NOT_ARCHIVED'],
    [{ StorageClass: 'INTELLIGENT_TIERING' }, 'NOT_ARCHIVED'],
    [{ StorageClass: 'GLACIER' }, 'ARCHIVED'],
    [{ StorageClass: 'DEEP_ARCHIVE' }, 'ARCHIVED'],
    [{ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'ARCHIVE_ACCESS' }, 'ARCHIVED'],
    [{ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'DEEP_ARCHIVE_ACCESS' }, 'ARCHIVED'],
    [{ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' }, 'RESTORE_IN_PROGRESS'],
    [{ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"' }, 'RESTORED'],
  ])('%j -> %s', (head, state) => {
    expect(inspectArchiveState(head).state).toBe(state);
  });

  it('reads the expiry date of a restored copy', () => {
    expect(parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"')).toEqual({ ongoing: false, expiryDate: '2012-12-21T00:00:00.000Z' });
    expect(parseRestoreHeader('garbage')).toBeUndefined();
  });

  it('names the Intelligent-Tiering archive tier', () => {
    expect(inspectArchiveState({ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'DEEP_ARCHIVE_ACCESS' }).archiveKind).toBe('INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS');
  });
});

describe('restore request shape', () => {
  it('sends Days for Glacier and Deep Archive', () => {
    expect(restoreRequestFor('GLACIER', 'Bulk', 3)).toEqual({ Days: 3, GlacierJobParameters: { Tier: 'Bulk' } });
    expect(restoreRequestFor('DEEP_ARCHIVE', 'Standard', 7)).toEqual({ Days: 7, GlacierJobParameters: { Tier: 'Standard' } });
  });

  it('omits Days for Intelligent-Tiering archive tiers', () => {
    expect(restoreRequestFor('INTELLIGENT_TIERING_ARCHIVE_ACCESS', 'Standard', 7)).toEqual({ GlacierJobParameters: { Tier: 'Standard' } });
  });

  it('refuses Expedited for Deep Archive', () => {
    expect(() => restoreRequestFor('DEEP_ARCHIVE', 'Expedited', 1)).toThrow(/not available/);
    expect(() => restoreRequestFor('INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS', 'Expedited', 1)).toThrow(/not available/);
  });

  it('expects Deep Archive Bulk within 48 hours and Flexible Expedited within 5 minutes', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect(expectedReadyAt('DEEP_ARCHIVE', 'Bulk', t0)).toBe('2026-01-03T00:00:00.000Z');
    expect(expectedReadyAt('GLACIER', 'Expedited', t0)).toBe('2026-01-01T00:05:00.000Z');
  });
});

describe('execution names', () => {
  const hostile = ['a b+c%20<script>alert(1)</script>', 'ünïcødé/файл.txt', 'x'.repeat(1024), 'dir/', '+++'];
  it.each(hostile)('is valid for %s', (key) => {
    const name = executionNameOf({ bucket: 'b', key }, 12);
    expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
  });

  it('is deterministic, readable, and differs per version and cycle', () => {
    const ref = { bucket: 'archive-bucket', key: 'reports/2019/q4.csv' };
    expect(executionNameOf(ref, 1)).toBe(executionNameOf(ref, 1));
    expect(executionNameOf(ref, 1)).toMatch(/^q4_csv-[0-9a-f]{16}-c1$/);
    expect(executionNameOf(ref, 2)).not.toBe(executionNameOf(ref, 1));
    expect(executionNameOf({ ...ref, versionId: 'v1' }, 1)).not.toBe(executionNameOf(ref, 1));
  });

  it('object ids keep the version', () => {
    expect(objectIdOf({ bucket: 'b', key: 'k', versionId: 'v' })).toBe('s3://b/k?versionId=v');
  });
});

describe('object identity', () => {
  const keys = [
    'a',
    'a?versionId=v1',
    'a%3FversionId=v1',
    'a%',
    'a%25',
    'with space.txt',
    'plus+sign.txt',
    '100% done.csv',
    'ünïcødé/файл 📄.txt',
    'line\nbreak',
    'tab\tand\u007fdel',
    '?',
    '%',
    'dir/',
    '#frag?x=1&y=2',
  ];
  const refs: ObjectRef[] = [
    ...keys.map((key) => ({ bucket: 'b', key })),
    ...keys.map((key) => ({ bucket: 'b', key, versionId: 'v1' })),
    { bucket: 'b', key: 'a', versionId: 'v1?versionId=v2' },
    { bucket: 'b', key: 'a?versionId=v1', versionId: 'v2' },
  ];

  it('the key a?versionId=v1 and the key a at version v1 are different objects, with different executions', () => {
    const literal = { bucket: 'b', key: 'a?versionId=v1' };
    const versioned = { bucket: 'b', key: 'a', versionId: 'v1' };
    expect(objectIdOf(literal)).not.toBe(objectIdOf(versioned));
    expect(executionNameOf(literal, 1)).not.toBe(executionNameOf(versioned, 1));
  });

  it('every tricky key and version gets its own id and execution name', () => {
    expect(new Set(refs.map(objectIdOf)).size).toBe(refs.length);
    expect(new Set(refs.map((r) => executionNameOf(r, 1))).size).toBe(refs.length);
  });

  it.each(refs.map((r) => [JSON.stringify(r), r] as const))('parses back: %s', (_, ref) => {
    expect(parseObjectId(objectIdOf(ref))).toEqual(ref);
  });

  it('stays readable: plain keys, spaces, + and unicode are not escaped; ids are one line', () => {
    expect(objectIdOf({ bucket: 'b', key: 'media/interview (final) + notes ü.mp4' })).toBe('s3://b/media/interview (final) + notes ü.mp4');
    expect(objectIdOf({ bucket: 'b', key: 'a?versionId=v1' })).toBe('s3://b/a%3FversionId=v1');
    expect(objectIdOf({ bucket: 'b', key: '100%\n' })).toBe('s3://b/100%25%0A');
  });

  it.each(['s3://b', 'b/k', 's3://b/a%3f', 's3://b/a%41', 's3://b/a%', 's3://b/a?v=1'])('refuses %s as an object id', (id) => {
    expect(() => parseObjectId(id)).toThrow(expect.objectContaining({ name: 'InvalidInputError' }));
  });
});

describe('S3 event keys', () => {
  it.each(['with space.txt', 'plus+sign.txt', '100%.txt', 'ünïcødé.txt', 'a/b/c d+e%f.txt'])('round-trips %s', (key) => {
    expect(decodeS3EventKey(encodeS3EventKey(key))).toBe(key);
  });

  it('tries the key as given, then form-decoded', () => {
    expect(eventKeyCandidates('a+b%2Bc.txt')).toEqual([
      { key: 'a+b%2Bc.txt', form: 'raw' },
      { key: 'a b+c.txt', form: 'decoded' },
    ]);
  });

  it('skips a decoded form equal to the key, and one that cannot be decoded, without throwing', () => {
    expect(eventKeyCandidates('plain.txt')).toEqual([{ key: 'plain.txt', form: 'raw' }]);
    expect(eventKeyCandidates('100% done.csv')).toEqual([{ key: '100% done.csv', form: 'raw' }]);
    expect(decodeS3EventKey('%E0%A4%A')).toBeUndefined();
  });
});

describe('readers', () => {
  it('an IAM user is looked up by access key, ARN, principal id, user name, then account', () => {
    const reader = readerFromIdentity(iamUser('alice', 'AKIAALICE'))!;
    expect(principalLookupKeys(reader)).toEqual(['AKIAALICE', 'arn:aws:iam::111122223333:user/alice', 'AIDAALICE', 'alice', '111122223333']);
  });

  const IC_STORE = 'arn:aws:identitystore::111122223333:identitystore/d-9067642ac7';
  const IC_USER = '544894e8-80c1-707f-60e3-3ba6510dfac1';
  it.each<[IdentityKind, string, string[]]>([
    ['IAMUser', 'arn:aws:iam::111122223333:user/Alice', ['AKIAIOSFODNN7EXAMPLE', 'arn:aws:iam::111122223333:user/Alice', 'AIDAJ45Q7YFFAREXAMPLE', 'Alice', '111122223333']],
    [
      'AssumedRole',
      'arn:aws:sts::111122223333:assumed-role/RoleToBeAssumed/MySessionName',
      [
        'ASIAIOSFODNN7EXAMPLE',
        'arn:aws:sts::111122223333:assumed-role/RoleToBeAssumed/MySessionName',
        'AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName',
        'MySessionName',
        'arn:aws:iam::111122223333:role/RoleToBeAssumed',
        'RoleToBeAssumed',
        '111122223333',
      ],
    ],
    [
      'FederatedUser',
      'arn:aws:sts::111122223333:federated-user/Bob',
      ['ASIAI44QH8DHBEXAMPLE', 'arn:aws:sts::111122223333:federated-user/Bob', '111122223333:Bob', 'Bob', 'arn:aws:iam::111122223333:user/Alice', 'Alice', '111122223333'],
    ],
    ['IdentityCenterUser', `identity-center:${IC_STORE}/${IC_USER}`, [IC_USER, '111122223333']],
    ['WebIdentityUser', 'accounts.google.com:application-id.apps.googleusercontent.com:user-id', ['accounts.google.com:application-id.apps.googleusercontent.com:user-id', 'user-id']],
    ['SAMLUser', 'SampleUkh1i4+ExampleuLoX4Jq3Fr7k=:SamlExample', ['SampleUkh1i4+ExampleuLoX4Jq3Fr7k=:SamlExample', 'SamlExample']],
    ['AWSAccount', 'AIDAQRSTUVWXYZEXAMPLE', ['AIDAQRSTUVWXYZEXAMPLE', '444455556666']],
    ['AWSService', 'service:backup.amazonaws.com', ['backup.amazonaws.com']],
  ])('a documented %s reader: id and every identifier as a lookup key, most specific first', (kind, id, keys) => {
    const reader = readerFromIdentity(documentedIdentity(kind))!;
    expect(reader).toMatchObject({ id, type: kind });
    expect(principalLookupKeys(reader)).toEqual(keys);
  });

  it('an anonymous caller gives no reader (it is recorded by source address instead)', () => {
    expect(readerFromIdentity(documentedIdentity('Anonymous'))).toBeUndefined();
  });

  it('an assumed role is looked up by session name too', () => {
    const reader = readerFromIdentity(assumedRole('DataEngineers', 'bob@example.com'))!;
    expect(reader.sessionName).toBe('bob@example.com');
    expect(principalLookupKeys(reader)).toContain('bob@example.com');
  });

  it('an identity with nothing to name the caller gives no reader', () => {
    expect(readerFromIdentity({ type: 'AWSService' })).toBeUndefined();
  });
});

describe('restore cycles', () => {
  const base: ObjectRecord = { objectId: 'id', bucket: 'b', key: 'k', cycle: 3, status: 'RESTORING', cycleStartedAt: '', executionName: 'n', subscribers: {}, updatedAt: '' };
  it('opens the first cycle for an unknown object', () => expect(decideCycle(undefined, new Date())).toEqual({ action: 'open', cycle: 1 }));
  it('joins a running cycle', () => expect(decideCycle(base, new Date())).toEqual({ action: 'join', cycle: 3 }));
  it('opens a new cycle after close or expiry', () => {
    expect(decideCycle({ ...base, status: 'CLOSED' }, new Date())).toEqual({ action: 'open', cycle: 4, previousCycle: 3 });
    expect(decideCycle({ ...base, status: 'EXPIRED' }, new Date())).toEqual({ action: 'open', cycle: 4, previousCycle: 3 });
  });
  it('a read from before the restore finished belongs to that cycle; one after means the copy expired', () => {
    const restored = { ...base, status: 'RESTORED' as const, restoredAt: '2026-01-01T12:00:00Z' };
    expect(decideCycle(restored, new Date('2026-01-01T11:00:00Z'))).toEqual({ action: 'join', cycle: 3 });
    expect(decideCycle(restored, new Date('2026-01-09T00:00:00Z'))).toEqual({ action: 'open', cycle: 4, previousCycle: 3 });
  });
});
