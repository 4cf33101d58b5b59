/**
 * Pure planning for `autorestore keep`: how each object is copied (one CopyObject up to 5 GiB,
 * a multipart upload of part copies above), and what it costs: the copy requests once, and the
 * difference in storage per month between the new class and the archive class it leaves.
 */
import { readFileSync } from 'node:fs';
import { copyPartRanges, copyPartSize, SINGLE_COPY_LIMIT_BYTES, type KeepStorageClass } from '../functions/domain/rules/expiry.js';
import type { ListedObject } from './plan.js';

export interface StoragePriceTable {
  asOf: string;
  storagePerGBMonth: Record<string, number>;
  putCopyPer1000Requests: Record<string, number>;
}

export function loadStoragePrices(): StoragePriceTable {
  return JSON.parse(readFileSync(new URL('../pricing/us-east-1-storage.json', import.meta.url), 'utf8')) as StoragePriceTable;
}

export interface CopyLimits {
  /** Objects larger than this are copied in parts (S3: 5 GiB). */
  singleCopyLimit: number;
  /** The part size of a multipart copy; by default 512 MiB, more for objects that would need over 10,000 parts. */
  partSize?: number;
}

export type KeepMethod = { method: 'CopyObject' } | { method: 'multipart'; ranges: { partNumber: number; range: string }[] };

export interface KeepStep {
  key: string;
  size: number;
  fromStorageClass: string;
  copy: KeepMethod;
}

export interface KeepPlan {
  steps: KeepStep[];
  storageClass: KeepStorageClass;
  bytes: number;
  estimate: { requests: number; requestsUsd: number; storageDeltaUsdPerMonth: number; asOf: string };
}

export function planKeep(objects: readonly ListedObject[], storageClass: KeepStorageClass, limits: CopyLimits = { singleCopyLimit: SINGLE_COPY_LIMIT_BYTES }, prices = loadStoragePrices()): KeepPlan {
  const steps = objects.map((o): KeepStep => {
    const copy: KeepMethod = o.size > limits.singleCopyLimit ? { method: 'multipart', ranges: copyPartRanges(o.size, limits.partSize ?? copyPartSize(o.size)) } : { method: 'CopyObject' };
    return { key: o.key, size: o.size, fromStorageClass: o.storageClass, copy };
  });
  // A multipart copy is CreateMultipartUpload, one UploadPartCopy per part, CompleteMultipartUpload: all billed as PUT requests.
  const requests = steps.reduce((n, s) => n + (s.copy.method === 'CopyObject' ? 1 : s.copy.ranges.length + 2), 0);
  const perRequest = (prices.putCopyPer1000Requests[storageClass] ?? 0) / 1000;
  const storageDelta = steps.reduce((usd, s) => usd + (s.size / 1024 ** 3) * ((prices.storagePerGBMonth[storageClass] ?? 0) - (prices.storagePerGBMonth[s.fromStorageClass] ?? 0)), 0);
  return {
    steps,
    storageClass,
    bytes: steps.reduce((n, s) => n + s.size, 0),
    estimate: { requests, requestsUsd: round(requests * perRequest), storageDeltaUsdPerMonth: round(storageDelta), asOf: prices.asOf },
  };
}

/** A keep this big is confirmed before it starts, as a restore is. */
export function keepNeedsConfirmation(plan: KeepPlan): boolean {
  return plan.steps.length > 100 || plan.bytes > 100 * 1024 ** 3;
}

/** Three significant digits: a small object's monthly delta is a fraction of a cent, and still not zero. */
function round(usd: number): number {
  return Number(usd.toPrecision(3));
}
