/**
 * The restore workflow's definition, one file for every consumer: the CDK stack (which lets
 * CloudFormation substitute the ARNs), the tests and the local cloud (which substitute here).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFINITION_PATH = fileURLToPath(new URL('./restore-object.asl.json', import.meta.url));

export interface DefinitionSubstitutions {
  RestoreStepsFunctionArn: string;
  NotifyAggregatorFunctionArn: string;
  /** How long one wait for the completion event lasts before S3 is asked directly. */
  WaitTimeoutSeconds: string;
  /** The objects table, for the last-resort close that writes to it directly. */
  ObjectsTableName: string;
  /** How long a restore waits for a person's approval before it is denied. */
  ApprovalTimeoutSeconds: string;
}

export function definitionTemplate(): string {
  return readFileSync(DEFINITION_PATH, 'utf8');
}

/** The `${Name}` placeholders the template uses. */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();
}

/** The definition with every placeholder replaced, as CloudFormation's Fn::Sub would. */
export function renderDefinition(substitutions: DefinitionSubstitutions): string {
  return definitionTemplate().replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = (substitutions as unknown as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}}`);
    return value;
  });
}
