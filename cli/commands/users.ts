/** `autorestore users add|remove|list`: the principal -> email map. */
import { EMAIL_ADDRESS } from '../../functions/domain/rules/email-address.js';
import type { Context } from '../context.js';
import { EXIT, printJson, printLine } from '../output.js';
import { UsageError } from '../s3-url.js';

export async function usersAdd(ctx: Context, principal: string, email: string): Promise<number> {
  if (!principal.trim()) throw new UsageError('the principal is empty (an access key id, IAM ARN, user name or role session name)');
  if (!EMAIL_ADDRESS.test(email)) throw new UsageError(`not an email address: ${JSON.stringify(email)}`);
  await (await ctx.repositories()).principals.put(principal, email, new Date());
  if (ctx.options.json) printJson({ principal, email });
  else printLine(`${principal} -> ${email}`);
  return EXIT.OK;
}

export async function usersRemove(ctx: Context, principal: string): Promise<number> {
  const removed = await (await ctx.repositories()).principals.remove(principal);
  if (ctx.options.json) printJson({ principal, removed });
  else printLine(removed ? `removed ${principal}` : `${principal} was not mapped`);
  return removed ? EXIT.OK : EXIT.FAILED;
}

export async function usersList(ctx: Context): Promise<number> {
  const mappings = await (await ctx.repositories()).principals.list();
  if (ctx.options.json) printJson({ users: mappings });
  else for (const m of mappings) printLine(`${m.principal}\t${m.email}`);
  return EXIT.OK;
}
