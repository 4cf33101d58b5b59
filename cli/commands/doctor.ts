/** `autorestore doctor`: a read-only check of a deployment, one line per check with its fix. */
import type { Context } from '../context.js';
import { diagnose, worst, type Finding } from '../doctor/findings.js';
import { observe } from '../doctor/observe.js';
import { EXIT, printJson, printLine } from '../output.js';

const LABEL: Record<Finding['status'], string> = { ok: 'ok', warning: 'warning', problem: 'PROBLEM' };

export async function doctorCommand(ctx: Context, now = new Date()): Promise<number> {
  const observations = await observe(ctx, now);
  const findings = diagnose(observations);
  const verdict = worst(findings);
  const count = (status: Finding['status']) => findings.filter((f) => f.status === status).length;
  if (ctx.options.json) {
    printJson({ stack: observations.stackName, region: observations.region, verdict, findings });
  } else {
    for (const f of findings) {
      printLine(`${LABEL[f.status].padEnd(8)} ${f.check}: ${f.message}`);
      if (f.fix) printLine(`${' '.repeat(9)}fix: ${f.fix}`);
    }
    printLine();
    printLine(
      `${observations.stackName} in ${observations.region}: ${count('ok')} ok, ${count('warning')} warning${count('warning') === 1 ? '' : 's'}, ${count('problem')} problem${count('problem') === 1 ? '' : 's'}`,
    );
  }
  return verdict === 'problem' ? EXIT.PROBLEM_FOUND : EXIT.OK;
}
