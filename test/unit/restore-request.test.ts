import { describe, expect, it } from 'vitest';
import { refuseBadRestoreOptions } from '../../cli/parsers.js';
import { UsageError } from '../../cli/s3-url.js';
import { checkRestoreRequest, InvalidRestoreRequestError, RESTORE_DAYS } from '../../lib/restore-request.js';
import type { RestoreTier } from '../../functions/domain/rules/archive.js';

describe('checkRestoreRequest', () => {
  it.each([RESTORE_DAYS.min, 7, RESTORE_DAYS.max])('accepts %d days', (days) => {
    expect(() => checkRestoreRequest({ days })).not.toThrow();
  });

  it.each([0, -1, RESTORE_DAYS.max + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d days, naming the option and the range', (days) => {
    expect(() => checkRestoreRequest({ days })).toThrow(InvalidRestoreRequestError);
    expect(() => checkRestoreRequest({ days })).toThrow(
      expect.objectContaining({ name: 'InvalidRestoreRequestError', option: 'days', message: `days must be a whole number from 1 to 30000, got ${days}` }),
    );
  });

  it.each(['ops@example.com', 'first.last+tag@sub.example.co.uk', 'ops@xn--bcher-kva.example'])('accepts the address %s', (notify) => {
    expect(() => checkRestoreRequest({ notify })).not.toThrow();
  });

  it.each(['not-an-email', 'ops@localhost', 'two words@example.com', '<ops@example.com>', '', 'a@b@c.d', 'josé@example.com', 'ops@bücher.example', 'ops@example.com\n'])(
    'refuses %j as an address',
    (notify) => {
      expect(() => checkRestoreRequest({ notify })).toThrow(expect.objectContaining({ name: 'InvalidRestoreRequestError', option: 'notify' }));
    },
  );

  it('refuses an unknown tier (a library caller is not held to the type)', () => {
    expect(() => checkRestoreRequest({ tier: 'Fast' as RestoreTier })).toThrow(expect.objectContaining({ option: 'tier' }));
    expect(() => checkRestoreRequest({ tier: 'Bulk' })).not.toThrow();
  });

  it('accepts a request that sets nothing', () => {
    expect(() => checkRestoreRequest({})).not.toThrow();
  });
});

describe('refuseBadRestoreOptions (the CLI)', () => {
  it('turns a refused option into a usage error that names the flag', () => {
    expect(() => refuseBadRestoreOptions({ days: 30_001 })).toThrow(UsageError);
    expect(() => refuseBadRestoreOptions({ days: 30_001 })).toThrow('--days: days must be a whole number from 1 to 30000, got 30001');
    expect(() => refuseBadRestoreOptions({ notify: 'nobody' })).toThrow('--notify: not an email address: "nobody"');
    expect(() => refuseBadRestoreOptions({ days: 2, notify: 'ops@example.com' })).not.toThrow();
  });
});
