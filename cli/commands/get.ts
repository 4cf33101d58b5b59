/** `autorestore get s3://bucket/key [dest]`: download, or start/join the restore and say when. */
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { inspectArchiveState } from '../../functions/domain/rules/archive.js';
import { ordererReader } from '../../functions/domain/restores/order-restore.js';
import { getObjectOrRestore, type GetObjectOrRestoreResult } from '../../lib/get-object-or-restore.js';
import { executionLink } from '../../functions/domain/rules/execution-link.js';
import type { Context } from '../context.js';
import { EXIT, logLine, printJson, printLine } from '../output.js';
import { refuseBadRestoreOptions } from '../parsers.js';
import { parseObjectUrl } from '../s3-url.js';
import { deployedPolicy } from '../policy.js';

export interface GetCommandOptions {
  wait: boolean;
  pollSeconds: number;
  notify?: string;
}

export async function getCommand(ctx: Context, target: string, dest: string | undefined, options: GetCommandOptions, signal: AbortSignal): Promise<number> {
  refuseBadRestoreOptions({ notify: options.notify });
  const url = parseObjectUrl(target);
  const ref = { bucket: url.bucket, key: url.key };
  const repos = await ctx.repositories();
  const accessKeyId = await ctx.callerAccessKey();
  const reader = ordererReader(accessKeyId, options.notify);
  const policy = await deployedPolicy(ctx);
  const deps = { s3: ctx.s3, sfn: ctx.sfn, records: repos.records, audit: repos.audit, notices: repos.notices, stateMachineArn: repos.stateMachineArn, ...(policy ? { policy } : {}) };
  const output = dest ?? basename(url.key);

  let result: GetObjectOrRestoreResult = await getObjectOrRestore(deps, ref, reader);
  if (result.kind === 'restore-refused') {
    if (ctx.options.json) printJson({ status: 'restore-refused', ...result });
    else printLine(`${target} is archived (${result.storageClass}) and not restored: ${result.reason} (rule ${result.rule})`);
    return EXIT.FAILED;
  }
  if (result.kind === 'restore-pending') {
    const pending = result;
    if (ctx.options.json && !options.wait) printJson({ status: 'restore-pending', ...pending });
    else {
      const line = `${target} is archived (${pending.storageClass}); restore ${pending.joined ? 'already under way' : 'started'}, expected by ${pending.expectedReadyAt ?? 'unknown'}`;
      (options.wait ? logLine : printLine)(line);
      (options.wait ? logLine : printLine)(`  execution: ${executionLink(pending.executionArn, ctx.options.endpointUrl ?? process.env.AWS_ENDPOINT_URL)}`);
    }
    if (!options.wait) return EXIT.RESTORE_PENDING;
    // Waits on S3's own word (HeadObject), so it works whether or not events arrive.
    for (;;) {
      if (signal.aborted) return EXIT.INTERRUPTED;
      await new Promise((r) => setTimeout(r, options.pollSeconds * 1000));
      const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      const state = inspectArchiveState(head).state;
      if (state === 'RESTORED' || state === 'NOT_ARCHIVED') break;
    }
    result = await getObjectOrRestore(deps, ref, reader);
    if (result.kind !== 'object') throw new Error(`${target} was restored but cannot be read yet`);
  }
  const body = result.object.Body as Readable;
  if (output === '-') await pipeline(body, process.stdout);
  else await pipeline(body, createWriteStream(output));
  if (ctx.options.json) printJson({ status: 'downloaded', target, file: output, size: result.object.ContentLength });
  else if (output !== '-') printLine(`downloaded ${target} to ${output}`);
  return EXIT.OK;
}
