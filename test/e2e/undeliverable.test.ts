/**
 * A notice whose address SES refuses, on the local cloud: the local SES answers SendEmail with
 * BadRequestException as SES does for an invalid address; the aggregator tries a bounded
 * number of times, then gives the notice up with an audit entry.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ATTEMPTS_WHEN_REJECTED } from '../../functions/notify-aggregator/aggregator.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: 1000 });
});
afterAll(() => h.stop());

it('an address SES refuses is given up after a bounded number of attempts; the next reader is still emailed', async () => {
  const file = { objectId: objectIdOf({ bucket: 'b', key: 'k.csv' }), cycle: 1, bucket: 'b', key: 'k.csv' };
  // Written before addresses were checked at the door: a notice for an address SES will never take.
  await h.notices.enqueue({ id: 'email:ops@nowhere', email: 'ops@nowhere' }, 'started', file, new Date());
  await h.notices.enqueue({ id: 'email:ops@example.com', email: 'ops@example.com' }, 'started', file, new Date());

  const entries = await eventually(
    async () => {
      const found = (await h.audit.history(file.objectId)).filter((e) => e.type === 'NOTICE_UNDELIVERABLE');
      return found.length > 0 ? found : undefined;
    },
    'the notice given up',
    20_000,
  );
  expect(entries).toHaveLength(1);
  expect(entries[0]!.detail).toMatchObject({ recipient: 'ops@nowhere', reason: 'rejected by SES', error: 'BadRequestException', attempts: ATTEMPTS_WHEN_REJECTED });
  expect((await h.notices.pending()).filter((n) => n.file.objectId === file.objectId)).toEqual([]);
  expect(h.cloud.ses.list().map((m) => m.to)).toEqual([['ops@example.com']]);
});
