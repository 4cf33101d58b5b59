/**
 * The dated price table (pricing/us-east-1.json), read once: the CLI estimates with it, and
 * the deployment hands its restore prices to the workflow, which prices every restore.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RestorePrices } from '../functions/domain/rules/restore-cost.js';

/** Where the table is from this file: in the repository (infra/), and in the package (dist/infra/, with pricing/ at the package root). */
const CANDIDATES = [new URL('../pricing/us-east-1.json', import.meta.url), new URL('../../pricing/us-east-1.json', import.meta.url)];

export function loadPriceTable(): RestorePrices {
  const table = CANDIDATES.find((url) => existsSync(url));
  if (!table) throw new Error(`the price table pricing/us-east-1.json is missing (looked at ${CANDIDATES.map((u) => u.pathname).join(', ')})`);
  return JSON.parse(readFileSync(table, 'utf8')) as RestorePrices;
}

/** Only what the workflow needs (the whole table would crowd Lambda's 4 KB of environment). */
export function restorePricesOf(table: RestorePrices): RestorePrices {
  return { asOf: table.asOf, restore: table.restore };
}
