/** The ASL file: placeholders, lint, and the error-name contract with the code in both directions. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as errors from '../../functions/domain/rules/errors.js';
import { definitionTemplate, placeholdersIn, renderDefinition, type DefinitionSubstitutions } from '../../statemachines/definition.js';

const require = createRequire(import.meta.url);
const statelint = require('@wmfs/statelint') as () => { validate(definition: unknown): string[] };

const SUBSTITUTIONS: DefinitionSubstitutions = {
  RestoreStepsFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:restore-steps',
  NotifyAggregatorFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:notify-aggregator',
  WaitTimeoutSeconds: '86400',
  ApprovalTimeoutSeconds: '86400',
  ObjectsTableName: 'autorestore-objects',
};

interface State {
  Type: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
}
const definition = JSON.parse(renderDefinition(SUBSTITUTIONS)) as { States: Record<string, State> };

const typeScriptSources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? typeScriptSources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

/** The names our code throws with, read from the classes' `name` literals. */
function errorNamesInCode(): Set<string> {
  const names = new Set<string>();
  for (const file of typeScriptSources('functions')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/override readonly name = '([A-Za-z.]+)'/g)) names.add(m[1]!);
  }
  return names;
}

/** The error classes the code in `dirs` constructs (`new XError(`), the ones a workflow step can throw. */
function errorsConstructedIn(dirs: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of dirs.flatMap(typeScriptSources)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/new ([A-Z][A-Za-z]*Error)\(/g)) names.add(m[1]!);
  }
  return names;
}

describe('restore-object.asl.json', () => {
  it('every placeholder has a substitution and every substitution a placeholder', () => {
    expect(placeholdersIn(definitionTemplate())).toEqual(Object.keys(SUBSTITUTIONS).sort());
    expect(() => renderDefinition({ ...SUBSTITUTIONS, WaitTimeoutSeconds: undefined } as unknown as DefinitionSubstitutions)).toThrow(/WaitTimeoutSeconds/);
  });

  it('passes statelint after substitution', () => {
    expect(statelint().validate(definition)).toEqual([]);
  });

  it('every error name in Catch and Retry exists in code or is a Step Functions / Lambda service error the code lists', () => {
    const inCode = errorNamesInCode();
    for (const name of errors.WORKFLOW_ERROR_NAMES) expect(inCode).toContain(name);
    const known = new Set<string>([...inCode, ...errors.LAMBDA_TRANSIENT_ERROR_NAMES, ...errors.DYNAMODB_TRANSIENT_ERROR_NAMES, 'States.ALL', 'States.Timeout']);
    const used = Object.values(definition.States).flatMap((s) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(known, `${name} is routed on but thrown nowhere`).toContain(name);
  });

  it("every error a workflow step's code throws is retried or caught by name, or deliberately left to States.ALL", () => {
    // Left to the catch-all on purpose: each ends the cycle the way States.ALL routes it (restore failed, or the next closing step).
    const leftToCatchAll: Record<string, string> = {
      RestoreNotPossibleError: 'S3 refused the restore for good: the catch-all already closes the cycle as failed',
      InvalidInputError: 'a malformed input or a cycle that moved on: retrying cannot help, and the catch-all ends the cycle',
      ConfigurationError: 'a broken environment at cold start: only a new deployment fixes it, so the catch-all ends the cycle',
      UnpricedRestoreError: 'the price table has no price for a tier S3 offers: a defect of the table, which the catch-all ends as a failed restore',
      PolicyTierError: 'turned into RestoreRefusedByPolicyError by the restore request step before it leaves the function',
      RangeError: "a guard on the code's own arguments (object ids, restore requests): a defect, not a state to route on",
      KeepTooLargeError: 'thrown by the keep of a domain module the workflow never calls; the auto-keep (completion function) catches and logs it',
    };
    const used = new Set(Object.values(definition.States).flatMap((s) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals)));
    const thrown = new Set<string>([...errors.WORKFLOW_ERROR_NAMES, ...errorsConstructedIn(['functions/restore-steps', 'functions/notify-aggregator', 'functions/domain'])]);
    expect(thrown).toContain('ObjectGoneError');
    for (const name of thrown) {
      if (name in leftToCatchAll) expect(used, `${name} is listed as left to States.ALL but the ASL names it`).not.toContain(name);
      else expect(used, `${name} is thrown by a workflow step but the ASL neither retries nor catches it by name`).toContain(name);
    }
    for (const name of Object.keys(leftToCatchAll)) expect(thrown, `${name} is listed but thrown nowhere`).toContain(name);
  });

  it('retries only transient errors', () => {
    const retried = new Set(Object.values(definition.States).flatMap((s) => (s.Retry ?? []).flatMap((r) => r.ErrorEquals)));
    expect([...retried].sort()).toEqual([...errors.LAMBDA_TRANSIENT_ERROR_NAMES, ...errors.DYNAMODB_TRANSIENT_ERROR_NAMES, 'TransientServiceError'].sort());
  });

  it('both waits for the completion event (after the request, and after finding one running) have an explicit timeout and a HeadObject fallback on States.Timeout', () => {
    for (const name of ['Request restore and wait', 'Wait for restore']) {
      const wait = definition.States[name] as State & { Resource: string; TimeoutSeconds: number; Catch: { ErrorEquals: string[]; Next: string }[]; Next: string };
      expect(wait.Resource, name).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(wait.TimeoutSeconds, name).toBe(86_400);
      expect(
        wait.Catch.find((c) => c.ErrorEquals.includes('States.Timeout')),
        name,
      ).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'Check restore after timeout' });
      // Resumed, the readers hear the file is ready: from the completion, or else from the workflow.
      expect(wait.Next, name).toBe('Were the readers told it is ready?');
    }
    expect(definition.States['Were the readers told it is ready?']).toMatchObject({ Type: 'Choice', Default: 'Notify: file ready' });
  });

  it('no Task can fail silently: every Task catches States.ALL (a closing step that keeps failing still ends in a recorded Fail)', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      expect(
        (state.Catch ?? []).flatMap((c) => c.ErrorEquals),
        name,
      ).toContain('States.ALL');
    }
    const lastResort = definition.States['Close cycle: last resort'] as State & { Resource: string; Next: string; Catch: { Next: string }[] };
    expect(lastResort.Resource).toBe('arn:aws:states:::dynamodb:updateItem');
    expect(definition.States[lastResort.Catch[0]!.Next]).toMatchObject({ Type: 'Fail', Error: 'CycleCloseFailed' });
    // After the direct write the readers are told (the record left the open-cycles index, so the reconciler never will).
    expect((definition.States[lastResort.Next] as State & { Default: string }).Default).toBe('Notify readers of the failure');
  });

  it('a failed "ready" notice never leads to a "failed" notice', () => {
    const reachable = (from: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(from)) return seen;
      seen.add(from);
      const s = definition.States[from] as Omit<State, 'Catch'> & { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] };
      for (const next of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)]) if (next) reachable(next, seen);
      return seen;
    };
    const afterReady = reachable('Notify: file ready');
    expect(afterReady).not.toContain('Notify readers of the failure');
    expect(afterReady).toContain('Keep the ready notice pending');
  });

  it('every Task has a timeout (the local interpreter defaults to 60 s)', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Task') expect((state as { TimeoutSeconds?: number }).TimeoutSeconds, name).toBeGreaterThan(0);
    }
  });
});
