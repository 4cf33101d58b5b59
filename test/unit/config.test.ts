import { describe, expect, it } from 'vitest';
import { detectAccessEnvSchema, loadEnv, notifyAggregatorEnvSchema, restoreStepsEnvSchema } from '../../functions/domain/wiring/config.js';
import { parseDeploymentConfig } from '../../infra/config.js';

const policyEnv = { NOTICES_TABLE: 'n', RESTORE_POLICY: '{}', RESTORE_PRICES: JSON.stringify({ asOf: '2026-11-01', restore: {} }) };
const tiers = JSON.stringify({ GLACIER: 'Standard', DEEP_ARCHIVE: 'Bulk', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Bulk' });

describe('function environments', () => {
  it('names every missing variable in one ConfigurationError', () => {
    expect(() => loadEnv(detectAccessEnvSchema, {})).toThrow(/OBJECTS_TABLE.*AUDIT_TABLE.*NOTICES_TABLE.*STATE_MACHINE_ARN.*WATCHED_BUCKETS.*ACCOUNT_ID/);
    try {
      loadEnv(detectAccessEnvSchema, {});
    } catch (err) {
      expect((err as Error).name).toBe('ConfigurationError');
    }
  });

  it('parses lists, numbers and the tier map', () => {
    const env = loadEnv(restoreStepsEnvSchema, { OBJECTS_TABLE: 'o', AUDIT_TABLE: 'a', RESTORE_TIERS: tiers, RESTORE_DAYS: '3', MAX_WAIT_CYCLES: '2', ...policyEnv });
    expect(env.RESTORE_TIERS.DEEP_ARCHIVE).toBe('Bulk');
    expect(env.RESTORE_DAYS).toBe(3);
  });

  it('refuses Expedited for Deep Archive and a tier map that is not JSON', () => {
    const base = { OBJECTS_TABLE: 'o', AUDIT_TABLE: 'a', RESTORE_DAYS: '3', MAX_WAIT_CYCLES: '2', ...policyEnv };
    expect(() => loadEnv(restoreStepsEnvSchema, { ...base, RESTORE_TIERS: tiers.replace('"DEEP_ARCHIVE":"Bulk"', '"DEEP_ARCHIVE":"Expedited"') })).toThrow(/Expedited/);
    expect(() => loadEnv(restoreStepsEnvSchema, { ...base, RESTORE_TIERS: '{nope' })).toThrow(/not JSON/);
  });

  it('rejects a sender that is not an address', () => {
    const env = { OBJECTS_TABLE: 'o', AUDIT_TABLE: 'a', NOTICES_TABLE: 'n', PRINCIPALS_TABLE: 'p', DEBOUNCE_SECONDS: '120', MAX_WAIT_SECONDS: '900' };
    expect(() => loadEnv(notifyAggregatorEnvSchema, { ...env, SENDER_ADDRESS: 'nobody' })).toThrow(/SENDER_ADDRESS/);
    expect(loadEnv(notifyAggregatorEnvSchema, { ...env, SENDER_ADDRESS: 'a@b.co' }).MAX_FILES_PER_EMAIL).toBe(100);
    expect(loadEnv(notifyAggregatorEnvSchema, { ...env, SENDER_ADDRESS: 'a@b.co', SES_CONFIGURATION_SET: 'restore-mail' }).SES_CONFIGURATION_SET).toBe('restore-mail');
  });
});

describe('deployment configuration', () => {
  const valid = { watchedBuckets: ['archive-bucket'], senderAddress: 'restores@example.com', sesIdentity: 'example.com' };
  it('fills in defaults', () => {
    expect(parseDeploymentConfig(valid)).toMatchObject({ stage: 'dev', restoreDays: 7, debounceSeconds: 120, maxWaitSeconds: 900, waitTimeoutSeconds: 86_400, createTrail: true });
  });
  it('takes buckets with their Region and an existing trail instead of a new one', () => {
    const parsed = parseDeploymentConfig({
      ...valid,
      watchedBuckets: [{ name: 'archive-bucket', region: 'eu-west-1' }, 'other-bucket'],
      existingTrailArn: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/reads',
    });
    expect(parsed).toMatchObject({ watchedBuckets: ['archive-bucket', 'other-bucket'], watchedBucketRegions: { 'archive-bucket': 'eu-west-1' }, createTrail: false });
  });
  it("refuses more watched buckets than one EventBridge rule's pattern can name, and takes a dozen", () => {
    const buckets = (n: number) => Array.from({ length: n }, (_, i) => `archive-of-the-finance-department-${String(i).padStart(3, '0')}`);
    expect(() => parseDeploymentConfig({ ...valid, watchedBuckets: buckets(40) })).toThrow(/event pattern would exceed EventBridge's 2048 characters/);
    expect(parseDeploymentConfig({ ...valid, watchedBuckets: buckets(12) }).watchedBuckets).toHaveLength(12);
  });
  it.each([
    [{ ...valid, watchedBuckets: [] }, /watchedBuckets/],
    [{ ...valid, watchedBuckets: ['Bad_Bucket'] }, /not a valid S3 bucket name/],
    [{ ...valid, senderAddress: 'x@other.org' }, /senderAddress must be the SES identity/],
    [{ ...valid, restoreTiers: { GLACIER: 'Standard', DEEP_ARCHIVE: 'Expedited', INTELLIGENT_TIERING_ARCHIVE_ACCESS: 'Standard', INTELLIGENT_TIERING_DEEP_ARCHIVE_ACCESS: 'Bulk' } }, /Expedited/],
    [{ ...valid, debounceSeconds: 600, maxWaitSeconds: 300 }, /maxWaitSeconds/],
    [{ ...valid, account: '12' }, /account/],
    [{ ...valid, watchedBuckets: ['archive-bucket', { name: 'archive-bucket', region: 'eu-west-1' }] }, /a bucket is listed twice/],
    [{ ...valid, watchedBuckets: [{ name: 'archive-bucket', region: 'Europe' }] }, /not an AWS Region name/],
    [{ ...valid, sesConfigurationSet: 'has spaces' }, /SES configuration set name/],
    [{ ...valid, existingTrailArn: 'arn:aws:s3:::not-a-trail' }, /CloudTrail trail ARN/],
    [{ ...valid, stackName: 'A'.repeat(47) }, /stack name of 1-46/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseDeploymentConfig(raw)).toThrow(message);
  });
});
