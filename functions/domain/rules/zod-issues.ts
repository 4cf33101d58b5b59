/** One formatting of zod's validation issues for every message that reports them. */
import type { z } from 'zod';

/** `path: message` for each issue, on one line; `whole` names the value itself when an issue has no path. */
export function describeIssues(error: z.ZodError, whole = '(root)'): string {
  return error.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`).join('; ');
}
