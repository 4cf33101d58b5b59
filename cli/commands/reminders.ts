/** `autorestore reminders off|on <email>`: whether an address gets "expires soon" reminders. */
import { EMAIL_ADDRESS } from '../../functions/domain/rules/email-address.js';
import { ExpiryReminderOptOuts } from '../../functions/domain/stores/expiry-opt-outs.js';
import type { Context } from '../context.js';
import { EXIT, printJson, printLine } from '../output.js';
import { UsageError } from '../s3-url.js';

async function optOuts(ctx: Context, email: string): Promise<ExpiryReminderOptOuts> {
  if (!EMAIL_ADDRESS.test(email)) throw new UsageError(`not an email address: ${JSON.stringify(email)}`);
  return new ExpiryReminderOptOuts(ctx.ddb, (await ctx.stack()).noticesTable);
}

export async function remindersOff(ctx: Context, email: string): Promise<number> {
  await (await optOuts(ctx, email)).optOut(email, new Date());
  if (ctx.options.json) printJson({ email, reminders: false });
  else printLine(`${email}: no "expires soon" reminders`);
  return EXIT.OK;
}

export async function remindersOn(ctx: Context, email: string): Promise<number> {
  const wasOff = await (await optOuts(ctx, email)).optIn(email);
  if (ctx.options.json) printJson({ email, reminders: true, changed: wasOff });
  else printLine(wasOff ? `${email}: "expires soon" reminders again` : `${email} already gets "expires soon" reminders`);
  return EXIT.OK;
}
