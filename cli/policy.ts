/**
 * The deployment's restore policy as the CLI sees it: the stack's RestorePolicy output. A stack
 * without it (deployed before policies existed) restores every object with its defaults, and
 * the CLI says it cannot tell which rule applies.
 */
import { policyFromPublished, publishedPolicySchema, type RestorePolicy } from '../functions/domain/rules/restore-policy.js';
import { describeIssues } from '../functions/domain/rules/zod-issues.js';
import type { Context } from './context.js';

export async function deployedPolicy(ctx: Context): Promise<RestorePolicy | undefined> {
  let raw: string | undefined;
  try {
    raw = (await ctx.outputs()).RestorePolicy;
  } catch {
    // No stack to ask (resources given by flags): the workflow still applies the policy.
    return undefined;
  }
  if (!raw) return undefined;
  const parsed = publishedPolicySchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`the stack's RestorePolicy output is not a policy: ${describeIssues(parsed.error)}`);
  return policyFromPublished(parsed.data);
}
