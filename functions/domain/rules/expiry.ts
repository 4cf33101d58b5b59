/**
 * The second half of an object's life, as pure rules: which objects a restored copy can be
 * extended or kept for, and into which storage classes a kept object may go.
 * A Glacier or Deep Archive restore makes a temporary copy that S3 deletes at its expiry;
 * RestoreObject again on that copy moves the expiry (no new retrieval), and a copy of the
 * object onto itself into a non-archive class makes it readable for good.
 */

/** What a listing (ListObjectsV2 with RestoreStatus) says about one object. */
export interface ListedRestoreState {
  key: string;
  storageClass: string;
  restoreInProgress?: boolean;
  /** ISO time the restored copy expires, when there is one. */
  restoreExpiry?: string;
}

/** Storage classes a kept object may be copied into: readable at once, never archived. */
export const KEEP_STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'] as const;
export type KeepStorageClass = (typeof KEEP_STORAGE_CLASSES)[number];

const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/**
 * Why the restored copy of this object cannot be extended or kept, or undefined when it can:
 * only a Glacier or Deep Archive object whose restore is done has a copy that expires.
 * Intelligent-Tiering restores move the object back to a frequent tier: nothing expires.
 */
export function restoredCopyRefusal(o: ListedRestoreState): string | undefined {
  if (o.storageClass === 'INTELLIGENT_TIERING') return 'Intelligent-Tiering: a restore moves it back to a frequent access tier, no copy expires';
  if (!ARCHIVE_CLASSES.has(o.storageClass)) return `not archived (${o.storageClass})`;
  if (o.restoreInProgress) return 'the restore is still in progress';
  if (!o.restoreExpiry) return 'not restored (restore it first: autorestore restore)';
  return undefined;
}

/** Objects split into those with a restored copy and those refused, each with its one-line reason. */
export function splitByRestoredCopy<T extends ListedRestoreState>(objects: readonly T[]): { eligible: T[]; refused: { key: string; reason: string }[] } {
  const eligible: T[] = [];
  const refused: { key: string; reason: string }[] = [];
  for (const o of objects) {
    const reason = restoredCopyRefusal(o);
    if (reason) refused.push({ key: o.key, reason });
    else eligible.push(o);
  }
  return { eligible, refused };
}

export function isKeepStorageClass(value: string): value is KeepStorageClass {
  return (KEEP_STORAGE_CLASSES as readonly string[]).includes(value);
}

/** CopyObject copies at most 5 GiB in one request; above it the copy is a multipart upload of part copies. */
export const SINGLE_COPY_LIMIT_BYTES = 5 * 1024 ** 3;

/** Part ranges for a multipart copy: `partSize` each (the last one shorter), at most 10,000 parts. */
export function copyPartRanges(size: number, partSize: number): { partNumber: number; range: string }[] {
  if (!(partSize > 0)) throw new RangeError('the part size must be positive');
  const count = Math.max(1, Math.ceil(size / partSize));
  if (count > 10_000) throw new RangeError(`${count} parts of ${partSize} bytes: S3 allows at most 10,000`);
  return Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, range: `bytes=${i * partSize}-${Math.min(size, (i + 1) * partSize) - 1}` }));
}

/**
 * The part size for a multipart copy: 512 MiB, or larger when that would need more than
 * 10,000 parts (S3's limit; an object is at most 5 TiB, so parts stay under S3's 5 GiB cap).
 */
export function copyPartSize(size: number, minimum = 512 * 1024 ** 2): number {
  return Math.max(minimum, Math.ceil(size / 10_000));
}

/** Keep an object for good once it was restored `afterRestores` times within `withinDays` days (the stack's `autoKeep`). */
export interface AutoKeepPolicy {
  afterRestores: number;
  withinDays: number;
  storageClass: KeepStorageClass;
}

export interface AutoKeepDecision {
  keep: boolean;
  /** Restores (cycles) completed within the window, the one just completed included. */
  restores: number;
}

/**
 * Whether the restore just completed is the K-th within D days. `completions` are the
 * completed restores of the object (one per cycle counts; duplicates of an event do not).
 */
export function decideAutoKeep(policy: AutoKeepPolicy, completions: readonly { cycle?: number; time: string }[], now: Date): AutoKeepDecision {
  const since = now.getTime() - policy.withinDays * 86_400_000;
  const cycles = new Set(completions.filter((c) => Date.parse(c.time) >= since).map((c) => c.cycle ?? c.time));
  return { keep: cycles.size >= policy.afterRestores, restores: cycles.size };
}
