/** The local S3's archive index survives restarts, and task tokens close with their execution. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveIndex } from '../../local/s3/archive-index.js';
import { TaskTokens } from '../../local/task-tokens.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autorestore-local-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('local S3 archive index', () => {
  it('replays its journal of changes after a restart, as the entries were last set', () => {
    const file = join(dir, 's3-archive.jsonl');
    const before = new ArchiveIndex(file);
    const entry = { storageClass: 'GLACIER' };
    before.set('b', 'kept', entry);
    before.set('b', 'gone', { storageClass: 'DEEP_ARCHIVE' });
    before.set('other', 'k', { storageClass: 'GLACIER' });
    Object.assign(entry, { restore: { ongoing: true, tier: 'Standard', requestedAt: 1, completesAt: 2 } });
    before.set('b', 'kept', entry);
    before.delete('b', 'gone');
    before.deleteBucket('other');
    before.flush();

    const after = new ArchiveIndex(file);
    expect(after.get('b', 'kept')).toEqual({ storageClass: 'GLACIER', restore: { ongoing: true, tier: 'Standard', requestedAt: 1, completesAt: 2 } });
    expect(after.get('b', 'gone')).toBeUndefined();
    expect(after.get('other', 'k')).toBeUndefined();
    // Compacted at start: one line per entry left.
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('takes over the whole-map file of an earlier version and removes it', () => {
    const legacy = join(dir, 's3-archive.json');
    writeFileSync(legacy, JSON.stringify({ 'b/old key.csv': { storageClass: 'DEEP_ARCHIVE' } }));
    const index = new ArchiveIndex(join(dir, 's3-archive.jsonl'), legacy);
    expect(index.get('b', 'old key.csv')).toEqual({ storageClass: 'DEEP_ARCHIVE' });
    expect(existsSync(legacy)).toBe(false);
    expect(new ArchiveIndex(join(dir, 's3-archive.jsonl'), legacy).get('b', 'old key.csv')).toEqual({ storageClass: 'DEEP_ARCHIVE' });
  });
});

describe('local task tokens', () => {
  it('closing an execution times out its own tokens and no other', async () => {
    const tokens = new TaskTokens();
    const mine = tokens.mint('arn:execution:mine');
    const theirs = tokens.mint('arn:execution:theirs');
    void tokens.wait(mine, 60_000);
    const waiting = tokens.wait(theirs, 60_000);
    tokens.closeExecution('arn:execution:mine');
    expect(() => tokens.succeed(mine, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    tokens.succeed(theirs, { ok: true });
    await expect(waiting).resolves.toEqual({ ok: true });
  });
});
