/**
 * Pure rules about S3 archive tiers: what a HeadObject answer means, how to ask for a restore,
 * how long it takes. Facts from the S3 user guide (restoring archived objects, archive
 * retrieval options) and the RestoreObject API reference.
 */

export const RESTORE_TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];

/** Where an archived object sits; each has its own tiers, durations and request shape. */
export const ARCHIVE_KINDS = ['GLACIER', 'DEEP_ARCHIVE', 'INTELLIGENT_TIERING_ARCHIVE_ACCESS', 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS'] as const;
export type ArchiveKind = (typeof ARCHIVE_KINDS)[number];

export type ArchiveState = 'NOT_ARCHIVED' | 'ARCHIVED' | 'RESTORE_IN_PROGRESS' | 'RESTORED';

export interface HeadObjectFacts {
  StorageClass?: string;
  Restore?: string;
  ArchiveStatus?: string;
}

export interface ArchiveInspection {
  state: ArchiveState;
  storageClass: string;
  /** Set whenever the object lives (or lived, before a restore) in an archive tier. */
  archiveKind?: ArchiveKind;
  /** ISO-8601, when a restored copy exists and S3 says when it goes away. */
  expiryDate?: string;
}

const RESTORE_HEADER = /ongoing-request="(true|false)"(?:,\s*expiry-date="([^"]+)")?/;

/** Parses the `x-amz-restore` header (`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`). */
export function parseRestoreHeader(header: string | undefined): { ongoing: boolean; expiryDate?: string } | undefined {
  if (!header) return undefined;
  const match = RESTORE_HEADER.exec(header);
  if (!match) return undefined;
  const expiry = match[2] ? new Date(match[2]) : undefined;
  return {
    ongoing: match[1] === 'true',
    ...(expiry && !Number.isNaN(expiry.getTime()) ? { expiryDate: expiry.toISOString() } : {}),
  };
}

/** The archive tier an object lives in, from its storage class and Intelligent-Tiering archive status; undefined when it is readable as it is. */
export function archiveKindOf(facts: Pick<HeadObjectFacts, 'StorageClass' | 'ArchiveStatus'>): ArchiveKind | undefined {
  switch (facts.StorageClass) {
    case 'GLACIER':
      return 'GLACIER';
    case 'DEEP_ARCHIVE':
      return 'DEEP_ARCHIVE';
    case 'INTELLIGENT_TIERING':
      if (facts.ArchiveStatus === 'ARCHIVE_ACCESS') return 'INTELLIGENT_TIERING_ARCHIVE_ACCESS';
      if (facts.ArchiveStatus === 'DEEP_ARCHIVE_ACCESS') return 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS';
      return undefined;
    default:
      // STANDARD (absent header), GLACIER_IR, STANDARD_IA, ONEZONE_IA, ... are readable as they are.
      return undefined;
  }
}

/** What a HeadObject answer says about the object's archive state. */
export function inspectArchiveState(facts: HeadObjectFacts): ArchiveInspection {
  const storageClass = facts.StorageClass ?? 'STANDARD';
  const restore = parseRestoreHeader(facts.Restore);
  const archiveKind = archiveKindOf(facts);
  const base = { storageClass, ...(archiveKind ? { archiveKind } : {}) };
  if (restore?.ongoing) return { ...base, state: 'RESTORE_IN_PROGRESS' };
  if (restore) {
    // A finished restore leaves a readable copy whatever the class says.
    return { ...base, state: 'RESTORED', ...(restore.expiryDate ? { expiryDate: restore.expiryDate } : {}) };
  }
  if (archiveKind) return { ...base, state: 'ARCHIVED' };
  return { ...base, state: 'NOT_ARCHIVED' };
}

/**
 * What a HeadObject answer means in a cycle that found the object archived. A restored
 * Intelligent-Tiering object moves to the Frequent Access tier: it is no longer archived and
 * may carry no `x-amz-restore` header. So once the cycle has seen the object archived, "not
 * archived" means the restore is done (the same holds if someone copied it to a readable class).
 */
export function inspectAfterArchived(facts: HeadObjectFacts): ArchiveInspection {
  const inspection = inspectArchiveState(facts);
  return inspection.state === 'NOT_ARCHIVED' ? { ...inspection, state: 'RESTORED' } : inspection;
}

export function isDeepArchive(kind: ArchiveKind): boolean {
  return kind === 'DEEP_ARCHIVE' || kind === 'INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS';
}

export function isIntelligentTiering(kind: ArchiveKind): boolean {
  return kind.startsWith('INTELLIGENT_TIERING');
}

export function tierAllowed(kind: ArchiveKind, tier: RestoreTier): boolean {
  return !(tier === 'Expedited' && isDeepArchive(kind));
}

export interface RestoreRequestShape {
  Days?: number;
  GlacierJobParameters: { Tier: RestoreTier };
}

/**
 * The RestoreRequest for an object: Days for GLACIER and DEEP_ARCHIVE, none for the
 * Intelligent-Tiering archive tiers (S3 answers 400 if Days is sent there).
 */
export function restoreRequestFor(kind: ArchiveKind, tier: RestoreTier, days: number): RestoreRequestShape {
  if (!tierAllowed(kind, tier)) throw new RangeError(`${tier} retrieval is not available for ${kind}`);
  if (isIntelligentTiering(kind)) return { GlacierJobParameters: { Tier: tier } };
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`restore days must be a positive integer, got ${days}`);
  return { Days: days, GlacierJobParameters: { Tier: tier } };
}

const HOUR = 3_600_000;
/** Upper bounds of the documented retrieval times, in milliseconds. */
const RESTORE_DURATION: Record<'flexible' | 'deep', Partial<Record<RestoreTier, number>>> = {
  flexible: { Expedited: 5 * 60_000, Standard: 5 * HOUR, Bulk: 12 * HOUR },
  deep: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
};

/** The longest a restore of this kind and tier is documented to take. */
export function restoreDurationMs(kind: ArchiveKind, tier: RestoreTier): number {
  const duration = RESTORE_DURATION[isDeepArchive(kind) ? 'deep' : 'flexible'][tier];
  if (duration === undefined) throw new RangeError(`${tier} retrieval is not available for ${kind}`);
  return duration;
}

/** When the reader can expect the file, as an ISO time: request time + the tier's upper bound. */
export function expectedReadyAt(kind: ArchiveKind, tier: RestoreTier, requestedAt: Date): string {
  return new Date(requestedAt.getTime() + restoreDurationMs(kind, tier)).toISOString();
}
