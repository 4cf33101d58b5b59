/** `autorestore history s3://bucket/key`: the bulk restore the object is part of, if any, and its audit timeline, oldest first. */
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { executionLink } from '../../functions/domain/rules/execution-link.js';
import type { Context } from '../context.js';
import { EXIT, printJson, printLine } from '../output.js';
import { parseObjectUrl } from '../s3-url.js';
import { formatUsd } from '../../functions/domain/rules/restore-cost.js';
import { describeMembership } from '../../functions/domain/rules/batch-membership.js';
import { membershipOfObject } from './batch-membership.js';

/** A restore's cost, as the RESTORE_REQUESTED entry (and an approval's) records it. */
function costOf(detail: Record<string, unknown>): string | undefined {
  const cost = detail.cost as { microUsd?: unknown } | undefined;
  const microUsd = typeof cost?.microUsd === 'number' ? cost.microUsd : typeof detail.costMicroUsd === 'number' ? detail.costMicroUsd : undefined;
  return microUsd === undefined ? undefined : `cost ${formatUsd(microUsd)}`;
}

export async function historyCommand(ctx: Context, target: string, options: { versionId?: string }): Promise<number> {
  const url = parseObjectUrl(target);
  const ref = { bucket: url.bucket, key: url.key, ...(options.versionId ? { versionId: options.versionId } : {}) };
  const objectId = objectIdOf(ref);
  const { audit } = await ctx.repositories();
  const entries = (await audit.history(objectId)).reverse();
  const batch = await membershipOfObject(ctx, ref);
  const endpoint = ctx.options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
  if (ctx.options.json) {
    printJson({ objectId, ...(batch ? { batch } : {}), entries });
    return EXIT.OK;
  }
  if (batch) printLine(`${objectId}: ${describeMembership(batch)}`);
  if (entries.length === 0) printLine(`no history for ${objectId}`);
  for (const e of entries) {
    const detail = { ...e.detail };
    const link = typeof detail.executionArn === 'string' ? `  ${executionLink(detail.executionArn, endpoint)}` : '';
    delete detail.executionArn;
    const cost = costOf(detail);
    printLine(`${e.time}  c${e.cycle ?? '-'}  ${e.type.padEnd(30)} ${cost ? `${cost}  ` : ''}${JSON.stringify(detail)}${link}`);
  }
  return EXIT.OK;
}
