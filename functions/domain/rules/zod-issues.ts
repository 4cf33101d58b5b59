/** One formatting of zod's validation issues for every message that reports them. */
import type { z } from 'zod';

/** `path: message` for each issue, on one line (or one line each, with separator '\n'); `whole` names the value itself when an issue has no path. */
export function describeIssues(error: z.ZodError, whole = '(root)', separator = '; '): string {
  return error.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`).join(separator);
}
