import { describe, expect, it } from 'vitest';
import { distinctFiles, planBatches } from '../../functions/notify-aggregator/batching.js';
import { escapeHtml, fetchCommand, renderEmail } from '../../functions/notify-aggregator/email.js';
import type { Notice, NoticeFile } from '../../functions/domain/stores/notices.js';

const file = (key: string, extra: Partial<NoticeFile> = {}): NoticeFile => ({
  objectId: `s3://b/${key}`,
  cycle: 1,
  bucket: 'b',
  key,
  storageClass: 'GLACIER',
  tier: 'Standard',
  expectedReadyAt: '2026-11-22T15:00:00Z',
  expiryDate: '2026-11-29T00:00:00Z',
  ...extra,
});

const HOSTILE = ['<script>alert("x")</script>.csv', 'with space.csv', 'a+b.csv', '100%25.csv', 'ünïcødé 文件.csv', 'é'.repeat(512), `it's "quoted" & <b>bold</b>`];

describe('email content', () => {
  it.each(HOSTILE)('shows %s as text in HTML, never as markup', (key) => {
    for (const kind of ['started', 'ready', 'failed'] as const) {
      const { html, text } = renderEmail(kind, [file(key, { failureReason: key })], 100);
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('<b>bold');
      expect(html).toContain(escapeHtml(key));
      expect(text).toContain(key);
    }
  });

  it('a 1,024-byte key is listed whole', () => {
    const key = 'k'.repeat(1024);
    expect(Buffer.byteLength(key)).toBe(1024);
    expect(renderEmail('started', [file(key)], 100).html).toContain(key);
  });

  it('"started" lists bucket, key, class, tier and expected time; "ready" the expiry and how to fetch', () => {
    const started = renderEmail('started', [file('a.csv')], 100).text;
    expect(started).toContain('Bucket: b');
    expect(started).toContain('Storage class: GLACIER');
    expect(started).toContain('Retrieval tier: Standard');
    expect(started).toContain('Expected ready by: 2026-11-22 15:00 UTC');
    const ready = renderEmail('ready', [file('dir/my file.csv')], 100).text;
    expect(ready).toContain('Available until: 2026-11-29 00:00 UTC');
    expect(ready).toContain(`aws s3 cp 's3://b/dir/my file.csv' .`);
  });

  it('the fetch command is shell-safe and names the version when there is one', () => {
    expect(fetchCommand({ bucket: 'b', key: "it's $(rm -rf).csv" })).toBe(`aws s3 cp 's3://b/it'\\''s $(rm -rf).csv' .`);
    expect(fetchCommand({ bucket: 'b', key: 'x/y.csv', versionId: 'v1' })).toBe(`aws s3api get-object --bucket 'b' --key 'x/y.csv' --version-id 'v1' 'y.csv'`);
  });

  it("a bulk restore's notice downloads its whole prefix, not the batch's label", () => {
    expect(fetchCommand({ bucket: 'b', key: 'raw/2019/ [batch b-1: 3 of 3 objects ready]', prefix: 'raw/2019/' })).toBe(`aws s3 cp --recursive 's3://b/raw/2019/' .`);
  });

  it("the subject counts the files of a bulk restore's folder, beside single files", () => {
    const folder = file('raw/2019/ [batch b-1: 43 objects]', { prefix: 'raw/2019/', fileCount: 43 });
    expect(renderEmail('started', [folder], 100).subject).toBe('Restoring 43 files from archive');
    expect(renderEmail('ready', [folder, file('other.csv')], 100).subject).toBe('44 files restored and ready to download');
  });

  it('long lists are cut with a count, never silently', () => {
    const files = Array.from({ length: 250 }, (_, i) => file(`f-${i}.csv`));
    const { subject, html, text } = renderEmail('ready', files, 100);
    expect(subject).toBe('250 files restored and ready to download');
    expect(text).toContain('... and 150 files more, not listed here (250 in all).');
    expect(html).toContain('and 150 files more');
    expect(text).toContain('f-99.csv');
    expect(text).not.toContain('f-249.csv');
  });
});

describe('batching', () => {
  const notice = (reader: string, key: string, createdAt: string, kind: Notice['kind'] = 'started'): Notice => ({
    readerId: reader,
    noticeKey: `s3://b/${key}#1#${kind}`,
    kind,
    reader: { id: reader },
    file: file(key),
    createdAt,
    status: 'pending',
  });
  const rules = { debounceMs: 120_000, maxWaitMs: 900_000 };
  const emails: Record<string, string> = { alice: 'a@x', alice2: 'a@x', bob: 'b@x' };
  const emailOf = (n: Notice) => emails[n.readerId];

  it('groups by recipient and kind, waits for quiet, and keeps unknown readers apart', () => {
    const pending = [
      notice('alice', '1', '2026-01-01T00:00:00Z'),
      notice('alice2', '2', '2026-01-01T00:00:30Z'),
      notice('alice', '3', '2026-01-01T00:00:10Z', 'ready'),
      notice('bob', '4', '2026-01-01T00:01:50Z'),
      notice('carol', '5', '2026-01-01T00:00:00Z'),
    ];
    const plan = planBatches(pending, emailOf, new Date('2026-01-01T00:02:31Z'), rules);
    expect(plan.due.map((b) => [b.email, b.kind, b.notices.length])).toEqual([
      ['a@x', 'ready', 1],
      ['a@x', 'started', 2],
    ]);
    expect(plan.unresolved.map((n) => n.readerId)).toEqual(['carol']);
  });

  it('a "started" seen together with its "ready" is withdrawn, not sent after it', () => {
    const both = [notice('alice', '1', '2026-01-01T00:00:00Z'), notice('alice', '1', '2026-01-01T00:00:01Z', 'ready'), notice('alice', '2', '2026-01-01T00:00:00Z')];
    const plan = planBatches(both, emailOf, new Date('2026-01-01T01:00:00Z'), rules);
    expect(plan.superseded.map((n) => [n.file.key, n.kind])).toEqual([['1', 'started']]);
    expect(plan.due.map((b) => [b.kind, b.notices.map((n) => n.file.key)])).toEqual([
      ['ready', ['1']],
      ['started', ['2']],
    ]);
  });

  it('plans a batch larger than a function call takes arguments (200,000 notices for one reader)', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => notice('alice', `k${i}`, new Date(Date.UTC(2026, 0, 1) + i).toISOString()));
    const plan = planBatches(many, emailOf, new Date('2026-01-01T01:00:00Z'), rules);
    expect(plan.due.map((b) => [b.email, b.kind, b.notices.length])).toEqual([['a@x', 'started', 200_000]]);
  });

  it('a file appears once per email even when queued for two identities of one person', () => {
    const same = [notice('alice', '1', '2026-01-01T00:00:00Z'), notice('alice2', '1', '2026-01-01T00:00:00Z')];
    expect(distinctFiles(same)).toHaveLength(1);
  });
});
