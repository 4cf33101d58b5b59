/**
 * Writes object bodies and parts so that runs of zero bytes become holes in the file instead
 * of blocks on the disk: a storage detail (every read gives back the same bytes), which lets
 * the local S3 hold a multi-gigabyte object that is mostly zeros, such as the sparse bodies
 * that exercise multipart copies, in a few kilobytes of disk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Reads of a part file when it is assembled into its object. */
const READ_CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(64 * 1024);

function isZero(bytes: Buffer): boolean {
  return bytes.equals(ZEROS.subarray(0, bytes.length));
}

/** Appends chunks at the end of a file, seeking over each all-zero 64 KiB block (the file grows to the full length at `finish`). */
class SparseWriter {
  private position = 0;

  constructor(private readonly file: FileHandle) {}

  async write(chunk: Buffer): Promise<void> {
    // Runs of non-zero blocks are written at once; zero blocks between them stay holes.
    let run: number | undefined;
    for (let at = 0; at < chunk.length; at += ZEROS.length) {
      const zero = isZero(chunk.subarray(at, at + ZEROS.length));
      if (!zero && run === undefined) run = at;
      if (zero && run !== undefined) {
        await this.file.write(chunk, run, at - run, this.position + run);
        run = undefined;
      }
    }
    if (run !== undefined) await this.file.write(chunk, run, chunk.length - run, this.position + run);
    this.position += chunk.length;
  }

  /** Sets the length: a file that ends in zeros ends in a hole. */
  async finish(): Promise<number> {
    await this.file.truncate(this.position);
    return this.position;
  }
}

/** Stores a stream at `path` (replacing it), sparse where the stream is zero; its size and MD5 (hex), as S3 computes a part's ETag. */
export async function writeSparse(path: string, content: AsyncIterable<Buffer | string>): Promise<{ size: number; md5: string }> {
  const file = await open(path, 'w');
  try {
    const writer = new SparseWriter(file);
    const md5 = createHash('md5');
    for await (const piece of content) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece, 'binary') : piece;
      md5.update(chunk);
      await writer.write(chunk);
    }
    return { size: await writer.finish(), md5: md5.digest('hex') };
  } finally {
    await file.close();
  }
}

/** Stores the concatenation of `parts` (files) at `path`, sparse where they are zero; the total size. */
export async function concatenateSparse(path: string, parts: readonly string[]): Promise<number> {
  const file = await open(path, 'w');
  try {
    const writer = new SparseWriter(file);
    for (const part of parts) for await (const chunk of createReadStream(part, { highWaterMark: READ_CHUNK })) await writer.write(chunk as Buffer);
    return await writer.finish();
  } finally {
    await file.close();
  }
}

/**
 * The ETag S3 gives an object made by a multipart upload: the MD5 of the concatenated binary
 * MD5s of its parts, a dash, and the number of parts.
 */
export function multipartETag(partMd5s: readonly string[]): string {
  const md5 = createHash('md5');
  for (const part of partMd5s) md5.update(Buffer.from(part, 'hex'));
  return `${md5.digest('hex')}-${partMd5s.length}`;
}
