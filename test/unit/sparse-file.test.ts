import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatenateSparse, multipartETag, writeSparse } from '../../local/s3/sparse-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sparse-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1024 * 1024;

async function* chunks(...pieces: Buffer[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield piece;
}

describe('sparse files of the local S3', () => {
  it("multipartETag is the MD5 of the parts' binary MD5s, a dash and the part count (Cloudflare R2's worked example of S3's rule)", () => {
    expect(multipartETag(['bce6bf66aeb76c7040fdd5f4eccb78e6', '8165449fc15bbf43d3b674595cbcc406'])).toBe('f77dc0eecdebcd774a2a22cb393ad2ff-2');
  });

  it('writeSparse stores the same bytes, with zero runs as holes, and answers their size and MD5', async () => {
    const head = randomBytes(4096);
    const tail = randomBytes(100);
    const zeros = Buffer.alloc(8 * MIB);
    const path = join(dir, 'part');
    const written = await writeSparse(path, chunks(head, zeros, zeros, tail, Buffer.alloc(MIB)));
    const expected = Buffer.concat([head, zeros, zeros, tail, Buffer.alloc(MIB)]);
    expect(written).toEqual({ size: expected.length, md5: createHash('md5').update(expected).digest('hex') });
    expect(readFileSync(path).equals(expected)).toBe(true);
    expect(statSync(path).blocks * 512).toBeLessThan(MIB);
  });

  it('concatenateSparse joins part files in order, still sparse', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const one = Buffer.concat([Buffer.alloc(3 * MIB), Buffer.from('end of one')]);
    const two = Buffer.concat([Buffer.from('start of two'), Buffer.alloc(5 * MIB)]);
    await writeSparse(a, chunks(one));
    await writeSparse(b, chunks(two));
    const joined = join(dir, 'joined');
    expect(await concatenateSparse(joined, [a, b])).toBe(one.length + two.length);
    expect(readFileSync(joined).equals(Buffer.concat([one, two]))).toBe(true);
    expect(statSync(joined).blocks * 512).toBeLessThan(MIB);
  });
});
