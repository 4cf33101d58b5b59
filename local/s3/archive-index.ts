/**
 * What the local S3 knows beyond bytes: each object's storage class, Intelligent-Tiering
 * archive tier, and restore. Kept in memory and in one JSON file beside the objects.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export type ArchiveStatus = 'ARCHIVE_ACCESS' | 'DEEP_ARCHIVE_ACCESS';

export interface RestoreState {
  ongoing: boolean;
  tier: string;
  days?: number;
  requestedAt: number;
  completesAt: number;
  /** Glacier and Deep Archive copies expire; an Intelligent-Tiering restore moves the object back to a frequent tier. */
  expiresAt?: number;
}

export interface ArchiveEntry {
  storageClass: string;
  archiveStatus?: ArchiveStatus;
  restore?: RestoreState;
}

export const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export function isArchived(entry: ArchiveEntry | undefined): boolean {
  if (!entry) return false;
  return ARCHIVE_CLASSES.has(entry.storageClass) || (entry.storageClass === 'INTELLIGENT_TIERING' && entry.archiveStatus !== undefined);
}

/** Whether GetObject may return the bytes now. */
export function isReadable(entry: ArchiveEntry | undefined, now: number): boolean {
  if (!isArchived(entry)) return true;
  const restore = entry!.restore;
  return Boolean(restore && !restore.ongoing && (restore.expiresAt === undefined || restore.expiresAt > now));
}

/** The `x-amz-restore` header, as S3 writes it. */
export function restoreHeader(entry: ArchiveEntry | undefined): string | undefined {
  const restore = entry?.restore;
  if (!restore) return undefined;
  if (restore.ongoing) return 'ongoing-request="true"';
  return restore.expiresAt === undefined ? 'ongoing-request="false"' : `ongoing-request="false", expiry-date="${new Date(restore.expiresAt).toUTCString()}"`;
}

export class ArchiveIndex {
  private readonly entries = new Map<string, ArchiveEntry>();
  private saveTimer?: NodeJS.Timeout;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, ArchiveEntry>)) this.entries.set(k, v);
    }
  }

  static id(bucket: string, key: string): string {
    return `${bucket}/${key}`;
  }

  get(bucket: string, key: string): ArchiveEntry | undefined {
    return this.entries.get(ArchiveIndex.id(bucket, key));
  }

  set(bucket: string, key: string, entry: ArchiveEntry): void {
    this.entries.set(ArchiveIndex.id(bucket, key), entry);
    this.save();
  }

  delete(bucket: string, key: string): void {
    this.entries.delete(ArchiveIndex.id(bucket, key));
    this.save();
  }

  deleteBucket(bucket: string): void {
    for (const id of this.entries.keys()) if (id.startsWith(`${bucket}/`)) this.entries.delete(id);
    this.save();
  }

  /** Every entry with a restore still to finish or to expire. */
  *withPendingRestore(): Generator<[string, string, ArchiveEntry]> {
    for (const [id, entry] of this.entries) {
      if (!entry.restore) continue;
      const slash = id.indexOf('/');
      yield [id.slice(0, slash), id.slice(slash + 1), entry];
    }
  }

  save(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), 100);
    this.saveTimer.unref();
  }

  flush(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.file) writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.entries)));
  }
}
