/** `autorestore approve|deny <s3url or request id> [--reason]`: decide a restore that waits for approval. */
import { decideApproval } from '../../functions/domain/restores/decide-approval.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import type { Context } from '../context.js';
import { EXIT, printJson, printLine } from '../output.js';
import { parseObjectUrl, UsageError } from '../s3-url.js';

export interface ApproveOptions {
  reason?: string;
  versionId?: string;
}

/**
 * The object's id from what the approver pasted: an S3 URL (with --version-id for a version),
 * or the request id the approval email names (the object id itself).
 */
export function objectIdFromTarget(target: string, versionId?: string): string {
  if (target.startsWith('s3://')) {
    const url = parseObjectUrl(target);
    return objectIdOf({ bucket: url.bucket, key: url.key, ...(versionId ? { versionId } : {}) });
  }
  if (versionId) throw new UsageError('--version-id goes with an s3:// URL; a request id names the version already');
  if (!target.trim()) throw new UsageError('name the restore: s3://bucket/key, or the request id from the approval email');
  return target;
}

export async function approveCommand(ctx: Context, decision: 'APPROVED' | 'DENIED', target: string, options: ApproveOptions): Promise<number> {
  if (options.reason !== undefined && !options.reason.trim()) throw new UsageError('--reason needs some text');
  const objectId = objectIdFromTarget(target, options.versionId);
  const repos = await ctx.repositories();
  const accessKeyId = await ctx.callerAccessKey();
  // Who decided: the caller's access key, with the address the principal map gives it, if any.
  const email = (await repos.principals.resolve([{ id: accessKeyId, accessKeyId }])).get(accessKeyId);
  const by = email ? `${email} (${accessKeyId})` : accessKeyId;
  const result = await decideApproval({ sfn: ctx.sfn, records: repos.records, audit: repos.audit, now: () => new Date() }, objectId, {
    decision,
    by,
    ...(options.reason ? { reason: options.reason.trim() } : {}),
  });
  if (ctx.options.json) printJson({ objectId, decision, by, decided: result.decided, ...(result.decided ? { cycle: result.record.cycle } : { why: result.why }) });
  else if (result.decided) printLine(`${decision === 'APPROVED' ? 'approved' : 'denied'}: ${objectId} (cycle ${result.record.cycle}) by ${by}`);
  else printLine(`nothing decided for ${objectId}: ${result.why}`);
  return result.decided ? EXIT.OK : EXIT.FAILED;
}
