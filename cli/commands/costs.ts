/** `autorestore costs [--month YYYY-MM] [--by bucket|reader|tier]`: what restores cost, from the monthly ledger (one Query). */
import { formatUsd, monthOf } from '../../functions/domain/rules/restore-cost.js';
import { CostLedger, type LedgerDimension } from '../../functions/domain/stores/ledger.js';
import type { Context } from '../context.js';
import { EXIT, printJson, printLine } from '../output.js';
import { UsageError } from '../s3-url.js';

export interface CostsOptions {
  month?: string;
  by?: LedgerDimension;
}

export function parseMonth(value: string | undefined, now: Date): string {
  if (value === undefined) return monthOf(now);
  const match = /^(\d{4})-(\d{2})$/.exec(value);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) throw new UsageError(`--month wants YYYY-MM, got ${JSON.stringify(value)}`);
  return value;
}

export async function costsCommand(ctx: Context, options: CostsOptions): Promise<number> {
  const month = parseMonth(options.month, new Date());
  const { auditTable } = await ctx.stack();
  const figures = await new CostLedger(ctx.ddb, auditTable).month(month);
  const lines = options.by ? figures.by[options.by] : [];
  if (ctx.options.json) {
    printJson({ month, total: figures.total, ...(options.by ? { by: options.by, lines } : {}) });
    return EXIT.OK;
  }
  printLine(`${month}: ${formatUsd(figures.total.microUsd)} for ${figures.total.restores} restore${figures.total.restores === 1 ? '' : 's'}`);
  const width = Math.max(0, ...lines.map((l) => l.name.length));
  for (const line of lines) printLine(`  ${line.name.padEnd(width)}  ${formatUsd(line.microUsd).padStart(12)}  ${line.restores}`);
  return EXIT.OK;
}
