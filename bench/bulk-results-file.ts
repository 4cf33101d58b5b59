/** bench/bulk-results.json: each bulk benchmark replaces its own section and keeps the others. */
import { readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('./bulk-results.json', import.meta.url);

export function saveBulkResults(section: string, value: unknown): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // No results yet (or an unreadable file): start a new one.
  }
  all[section] = value;
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
}
