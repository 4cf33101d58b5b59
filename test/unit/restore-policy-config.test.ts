import { describe, expect, it } from 'vitest';
import { InvalidDeploymentConfigError, parseDeploymentConfig } from '../../infra/config.js';
import { functionEnvironments } from '../../infra/function-environments.js';
import { loadEnv, restoreStepsEnvSchema } from '../../functions/domain/wiring/config.js';
import { localDeploymentConfig } from '../../local/deployment-config.js';

const base = { watchedBuckets: ['archive'], senderAddress: 'restores@example.com', sesIdentity: 'example.com' };
const problemsOf = (restorePolicy: unknown): string[] => {
  try {
    parseDeploymentConfig({ ...base, restorePolicy });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDeploymentConfigError);
    return (err as Error).message.split('\n').slice(1);
  }
  throw new Error('the configuration was accepted');
};

describe('the restore policy in the deployment configuration', () => {
  it('defaults to no rules and no budget: every read restored as before', () => {
    expect(parseDeploymentConfig(base).restorePolicy).toEqual({ rules: [], approvers: [], approvalTimeoutSeconds: 86_400 });
  });

  it('names each problem on a line of its own: rules that can never match and Expedited for Deep Archive', () => {
    expect(
      problemsOf({
        rules: [
          { name: 'raw', prefix: 'raw/' },
          { name: 'raw 2024', prefix: 'raw/2024/' },
          { name: 'deep fast', prefix: 'deep/', tiers: { DEEP_ARCHIVE: 'Expedited' } },
        ],
      }),
    ).toEqual([
      'restorePolicy: rules[1] ("raw 2024") can never match: "raw" before it covers bucket * prefix "raw/2024/"',
      'restorePolicy: rules[2] ("deep fast"): Expedited retrieval is not available for DEEP_ARCHIVE',
    ]);
  });

  it('an unknown tier and a negative budget are one line each', () => {
    expect(problemsOf({ monthlyBudgetUsd: -5, rules: [{ prefix: 'a/', tiers: { GLACIER: 'Quick' } }] })).toEqual([
      'restorePolicy.rules.0.tiers.GLACIER: a tier is one of Expedited, Standard, Bulk',
      'restorePolicy.monthlyBudgetUsd: a budget cannot be negative',
    ]);
  });

  it('a policy too large for the function environment (4 KB in all) is refused', () => {
    const rules = Array.from({ length: 60 }, (_, i) => ({ name: `rule number ${i}`, bucket: 'archive', prefix: `department-${i}/projects/`, approvalAboveUsd: 10 }));
    expect(problemsOf({ rules })).toEqual([expect.stringMatching(/^restorePolicy: the policy is \d+ characters as JSON; at most 2500 fit in the restore function's environment/)]);
  });

  it('the local cloud refuses the same configuration at start', () => {
    expect(() => localDeploymentConfig({ restorePolicy: { monthlyBudgetUsd: -1 } })).toThrow(/restorePolicy.monthlyBudgetUsd: a budget cannot be negative/);
  });

  it('reaches the restore steps function intact', () => {
    const config = parseDeploymentConfig({ ...base, restorePolicy: { rules: [{ name: 'vault', prefix: 'vault/', restore: 'never' }], monthlyBudgetUsd: 100, approvers: ['ops@example.com'] } });
    const env = functionEnvironments(config, {
      tables: { objects: 'o', audit: 'a', notices: 'n', principals: 'p' },
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:x',
      account: '111122223333',
    })['restore-steps'];
    const parsed = loadEnv(restoreStepsEnvSchema, env);
    expect(parsed.RESTORE_POLICY).toEqual(config.restorePolicy);
    expect(parsed.RESTORE_PRICES.restore.GLACIER?.Standard).toEqual({ perGB: 0.01, per1000Requests: 0.05 });
  });
});
