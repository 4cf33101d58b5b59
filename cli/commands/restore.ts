/** `autorestore restore s3://bucket/key-or-prefix`: plan, confirm, start the workflow per object. */
import { createInterface } from 'node:readline/promises';
import pLimit from 'p-limit';
import type { RestoreTier } from '../../functions/domain/rules/archive.js';
import { orderRestore, ordererReader } from '../../functions/domain/restores/order-restore.js';
import type { RestoreStart } from '../../functions/domain/restores/start-restore.js';
import type { Context } from '../context.js';
import { batchRestoreCommand, DEFAULT_BATCH_THRESHOLD } from './batch.js';
import { listObjects } from '../listing.js';
import { EXIT, formatBytes, logLine, printJson, printLine, progress } from '../output.js';
import { refuseBadRestoreOptions } from '../parsers.js';
import { needsConfirmation, planRestore, type Plan } from '../plan.js';
import { parseS3Url, UsageError } from '../s3-url.js';
import { deployedPolicy } from '../policy.js';
import { decideRestore, PolicyTierError, type PolicyDecision } from '../../functions/domain/rules/restore-policy.js';
import { formatUsd, restoreCost } from '../../functions/domain/rules/restore-cost.js';
import { loadPriceTable } from '../../infra/price-table.js';

export interface RestoreCommandOptions {
  days?: number;
  tier?: RestoreTier;
  notify?: string;
  dryRun: boolean;
  yes: boolean;
  concurrency: number;
  /** object, batch, or auto (batch above the threshold). */
  mode?: 'auto' | 'object' | 'batch';
  batchThreshold?: number;
}

export async function restoreCommand(ctx: Context, target: string, options: RestoreCommandOptions, signal: AbortSignal): Promise<number> {
  refuseBadRestoreOptions({ days: options.days, tier: options.tier, notify: options.notify });
  const url = parseS3Url(target);
  // The bulk path lists as it writes the manifest: no listing is held whole.
  if (options.mode === 'batch' && !options.dryRun) return batchRestoreCommand(ctx, url, options, signal);
  const objects = await listObjects(ctx.s3, url, { resolveTiers: true });
  if (objects.length === 0) throw new UsageError(`nothing at ${target}`);
  const planned = planRestore(objects, { tier: options.tier, days: options.days }, new Date());
  // The workflow applies the deployment's policy to every object; the CLI shows it up front and leaves out what it refuses.
  const policy = await deployedPolicy(ctx);
  const prices = loadPriceTable();
  const decisions = new Map<string, PolicyDecision>();
  for (const o of planned.restore) {
    if (!policy) break;
    try {
      decisions.set(o.key, decideRestore(policy, { bucket: url.bucket, key: o.key, kind: o.kind, size: o.size }, { tier: options.tier, days: options.days }));
    } catch (err) {
      if (err instanceof PolicyTierError) throw new UsageError(err.message);
      throw err;
    }
  }
  const refused = planned.restore.filter((o) => decisions.get(o.key)?.allowed === false);
  const restore = planned.restore.filter((o) => !refused.includes(o));
  const plan: Plan = {
    ...planned,
    restore,
    skipped: [...planned.skipped, ...refused.map((o) => ({ key: o.key, reason: `not allowed by the restore policy: ${(decisions.get(o.key) as { reason: string }).reason}` as const }))],
    totals: { objects: restore.length, bytes: restore.reduce((n, o) => n + o.size, 0) },
  };
  const byPolicy = plan.restore.flatMap((o) => {
    const d = decisions.get(o.key);
    return d?.allowed ? [{ key: o.key, rule: d.rule, tier: d.tier, days: d.days, costUsd: formatUsd(restoreCost(prices, o.kind, d.tier, o.size).microUsd) }] : [];
  });

  if (!ctx.options.json) {
    printLine(`${plan.restore.length} to restore (${formatBytes(plan.totals.bytes)}), ${plan.skipped.length} skipped`);
    for (const s of plan.skipped.slice(0, 20)) printLine(`  skip  ${s.key}  (${s.reason})`);
    if (plan.skipped.length > 20) printLine(`  ... and ${plan.skipped.length - 20} more skipped`);
    for (const e of plan.estimates) printLine(`  ${e.tier.padEnd(9)} ${e.available ? `$${e.costUsd.toFixed(4)}, ready by ${e.readyBy ?? '-'}` : 'not available for these objects'}`);
    if (!policy) printLine('  policy: the stack publishes no restore policy; the workflow applies the deployed one');
    for (const p of byPolicy.slice(0, 20)) printLine(`  rule  ${p.key}  (${p.rule}: ${p.tier}, ${p.days} days, ${p.costUsd})`);
    if (byPolicy.length > 20) printLine(`  ... and ${byPolicy.length - 20} more`);
  }
  const summary = {
    target,
    toRestore: plan.restore.map((o) => {
      const p = byPolicy.find((b) => b.key === o.key);
      return { key: o.key, storageClass: o.storageClass, archiveKind: o.kind, size: o.size, ...(p ? { rule: p.rule, tier: p.tier, days: p.days, cost: p.costUsd } : {}) };
    }),
    skipped: plan.skipped,
    estimates: plan.estimates,
  };
  if (options.dryRun || plan.restore.length === 0) {
    if (ctx.options.json) printJson({ ...summary, dryRun: options.dryRun, started: [] });
    return EXIT.OK;
  }
  const threshold = options.batchThreshold ?? (Number(process.env.AUTORESTORE_BATCH_THRESHOLD) || DEFAULT_BATCH_THRESHOLD);
  if ((options.mode ?? 'auto') === 'auto' && plan.restore.length >= threshold) {
    logLine(`${plan.restore.length} objects to restore (threshold ${threshold}): taking the bulk path (S3 Batch Operations); --mode object to restore them one by one`);
    return batchRestoreCommand(ctx, url, options, signal);
  }
  if (needsConfirmation(plan, options.tier) && !options.yes) {
    if (!process.stdin.isTTY)
      throw new UsageError(`restoring ${plan.restore.length} objects${options.tier === 'Expedited' ? ' with Expedited retrieval' : ''} needs confirmation: run again with --yes`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Restore ${plan.restore.length} objects (${formatBytes(plan.totals.bytes)})? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      logLine('nothing started');
      return EXIT.DECLINED;
    }
  }

  const repos = await ctx.repositories();
  const accessKeyId = await ctx.callerAccessKey();
  const reader = ordererReader(accessKeyId, options.notify);
  const deps = { sfn: ctx.sfn, records: repos.records, audit: repos.audit, notices: repos.notices, stateMachineArn: repos.stateMachineArn, now: () => new Date() };
  const limit = pLimit(options.concurrency);
  const bar = progress(plan.restore.length);
  const started: (RestoreStart & { key: string })[] = [];
  const failed: { key: string; error: string }[] = [];
  await Promise.all(
    plan.restore.map((o) =>
      limit(async () => {
        if (signal.aborted) return;
        const ref = { bucket: url.bucket, key: o.key };
        try {
          const result = await orderRestore(deps, ref, reader, { ...(options.tier ? { tier: options.tier } : {}), ...(options.days ? { days: options.days } : {}) });
          started.push({ ...result, key: o.key });
        } catch (err) {
          failed.push({ key: o.key, error: `${(err as Error).name}: ${(err as Error).message}` });
        }
        bar.tick();
      }),
    ),
  );
  bar.done();
  const interrupted = signal.aborted;
  if (ctx.options.json) printJson({ ...summary, started: started.map((s) => ({ key: s.key, executionArn: s.executionArn, cycle: s.cycle, joined: !s.opened })), failed, interrupted });
  else {
    printLine(`${started.length} started${interrupted ? ` before the interruption (${plan.restore.length - started.length - failed.length} not started)` : ''}, ${failed.length} failed`);
    for (const f of failed) printLine(`  failed  ${f.key}: ${f.error}`);
  }
  if (interrupted) return EXIT.INTERRUPTED;
  return failed.length ? EXIT.FAILED : EXIT.OK;
}
