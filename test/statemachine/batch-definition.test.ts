/** statemachines/restore-batch.asl.json: every placeholder substituted, every Task bounded, every error name real. */
import { describe, expect, it } from 'vitest';
import { LAMBDA_TRANSIENT_ERROR_NAMES, WORKFLOW_ERROR_NAMES } from '../../functions/domain/rules/errors.js';
import { batchDefinitionTemplate, renderBatchDefinition, type BatchDefinitionSubstitutions } from '../../infra/constructs/batch-definition.js';
import { validateDefinition, type Definition } from '../../local/asl-runner.js';
import { placeholdersIn } from '../../statemachines/definition.js';

const substitutions: BatchDefinitionSubstitutions = {
  RestoreBatchFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:restore-batch',
  AccountId: '111122223333',
  BatchOperationsRoleArn: 'arn:aws:iam::111122223333:role/batch',
  ManifestBucketArn: 'arn:aws:s3:::manifests',
  JobPollSeconds: '300',
  ReadyPollSeconds: '1800',
};

type State = { Type: string; Resource?: string; TimeoutSeconds?: number; Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[] }[]; Parameters?: Record<string, unknown> };
const definition = JSON.parse(renderBatchDefinition(substitutions)) as Definition & { States: Record<string, State> };

describe('restore-batch.asl.json', () => {
  it('has a substitution for every placeholder, and no substitution without a placeholder', () => {
    expect(placeholdersIn(batchDefinitionTemplate())).toEqual(Object.keys(substitutions).sort());
  });

  it('is a definition the interpreter accepts', () => {
    expect(() => validateDefinition(definition)).not.toThrow();
  });

  it('bounds every Task with a timeout', () => {
    for (const [name, state] of Object.entries(definition.States)) if (state.Type === 'Task') expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
  });

  it('retries and catches only error names that exist: ours, the Lambda integration’s, S3 Control’s, or States.ALL', () => {
    const known = new Set<string>([...WORKFLOW_ERROR_NAMES, ...LAMBDA_TRANSIENT_ERROR_NAMES, 'States.ALL']);
    for (const [name, state] of Object.entries(definition.States)) {
      for (const rule of [...(state.Retry ?? []), ...(state.Catch ?? [])])
        for (const error of rule.ErrorEquals) expect(known.has(error) || error.startsWith('S3Control.'), `${name}: ${error}`).toBe(true);
    }
  });

  it('creates jobs through the S3 Control SDK integration with the stack’s role and report bucket, reporting failed tasks only', () => {
    const creates = Object.values(definition.States).filter((s) => s.Resource === 'arn:aws:states:::aws-sdk:s3control:createJob');
    expect(creates).toHaveLength(2);
    for (const state of creates) {
      expect(state.Parameters).toMatchObject({
        AccountId: '111122223333',
        RoleArn: 'arn:aws:iam::111122223333:role/batch',
        ConfirmationRequired: false,
        Report: { Enabled: true, Bucket: 'arn:aws:s3:::manifests', ReportScope: 'FailedTasksOnly' },
      });
      expect(state.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Report: S3 refused the job' });
    }
  });
});
