/**
 * "Expires soon" reminders on the local cloud: a reader of a Glacier object gets "started",
 * "ready", then exactly one reminder before the restored copy expires; none for an
 * Intelligent-Tiering object (nothing expires) and none for a copy extended past the reminder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { runCli } from '../support/cli.js';

let h: Harness;
const BUCKET = 'reminded-archive';
const READERS = { glacier: 'AKIAREMINDGLACIER001', tiering: 'AKIAREMINDTIERING001', extended: 'AKIAREMINDEXTENDED01' } as const;
const EMAIL = { glacier: 'glacier@example.com', tiering: 'tiering@example.com', extended: 'extended@example.com' } as const;

beforeAll(async () => {
  // 200 ms per simulated hour: the 2-day copy lives 9.6 s, the reminder comes 12 h (2.4 s) before it expires. Standard tier
  // (4 h, 0.8 s): an Expedited restore could finish before the "started" email went out, and "ready" would replace it.
  h = await startHarness({ realMsPerSimulatedHour: 200, restoreDays: 2, expiryReminderHours: 12, restoreTiers: { GLACIER: 'Standard' } });
  await h.createBucket(BUCKET);
  for (const kind of ['glacier', 'tiering', 'extended'] as const) await h.principals.put(READERS[kind], EMAIL[kind], new Date());
  await h.putObject(BUCKET, 'glacier/scan.tif', 'GLACIER');
  await h.putObject(BUCKET, 'glacier/extended.tif', 'GLACIER');
  await h.putObject(BUCKET, 'tiering/scan.tif', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
});
afterAll(() => h.stop());

const subjectsTo = (email: string) =>
  h.cloud.ses
    .list()
    .filter((m) => m.to.includes(email))
    .map((m) => m.subject);

async function extend(key: string, days: number): Promise<number> {
  return (await runCli({ endpoint: h.cloud.endpoint, accessKeyId: 'AKIATESTADMIN0000001' }, ['extend', '--days', String(days), `s3://${BUCKET}/${key}`])).code;
}

describe('expiry reminders', () => {
  it('started, ready, then exactly one reminder; none for Intelligent-Tiering; none once extended past it', async () => {
    expect(await h.read(BUCKET, 'glacier/extended.tif', READERS.extended)).toBe('InvalidObjectState');
    const extendedId = objectIdOf({ bucket: BUCKET, key: 'glacier/extended.tif' });
    await eventually(async () => (await h.records.get(extendedId))?.status === 'RESTORED', 'the copy to extend restored', 30_000);
    expect(await extend('glacier/extended.tif', 30)).toBe(0);

    expect(await h.read(BUCKET, 'glacier/scan.tif', READERS.glacier)).toBe('InvalidObjectState');
    expect(await h.read(BUCKET, 'tiering/scan.tif', READERS.tiering)).toBe('InvalidObjectState');
    const glacierId = objectIdOf({ bucket: BUCKET, key: 'glacier/scan.tif' });

    // The copy expires only after its reminder went out.
    await eventually(async () => (await h.records.get(glacierId))?.status === 'EXPIRED', 'the Glacier copy expired', 60_000);
    const reminder = h.cloud.ses.list().find((m) => m.to.includes(EMAIL.glacier) && m.subject.includes('expires soon'));
    expect(reminder?.subject).toBe('The restored copy of 1 file expires soon');
    expect(reminder?.text).toContain('glacier/scan.tif');
    expect(reminder?.text).toContain("autorestore extend 's3://reminded-archive/glacier/scan.tif' --days 7");
    expect(reminder?.html).toContain('<code>autorestore keep');
    expect(subjectsTo(EMAIL.glacier)).toEqual(['Restoring 1 file from archive', '1 file restored and ready to download', 'The restored copy of 1 file expires soon']);
    // The history (and the console's timeline of it) shows when the copy was due to expire.
    const expiredEntry = await eventually(async () => (await h.audit.history(glacierId)).find((e) => e.type === 'RESTORE_EXPIRED'), 'the expiry in the history');
    expect(expiredEntry.detail).toMatchObject({ expiryDate: (await h.records.get(glacierId))!.expiryDate });
    const types = await h.auditTypes(BUCKET, 'glacier/scan.tif');
    expect(types.indexOf('RESTORE_EXPIRED')).toBeGreaterThan(types.lastIndexOf('EMAIL_SENT'));

    // Ready, and nothing about an expiry, for the others, and no reminder still on its way.
    await eventually(() => subjectsTo(EMAIL.tiering).length >= 2 || undefined, 'the Intelligent-Tiering reader told it is ready');
    expect(subjectsTo(EMAIL.tiering)).toEqual(['Restoring 1 file from archive', '1 file restored and ready to download']);
    expect(subjectsTo(EMAIL.extended)).toEqual(['Restoring 1 file from archive', '1 file restored and ready to download']);
    expect(await h.notices.pending()).toEqual([]);
    expect((await h.records.get(extendedId))?.status).toBe('RESTORED');
  });
});
