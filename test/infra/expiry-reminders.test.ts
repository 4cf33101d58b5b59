/** The expiry reminders in the synthesized template: the sparse index by expiry, the aggregator's setting and its grant on the index. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { parseDeploymentConfig } from '../../infra/config.js';

const template = (extra: object = {}) =>
  Template.fromStack(
    buildApp(
      parseDeploymentConfig({ account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', ...extra }),
      new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
    ).stack,
  );

describe('expiry reminders in the stack', () => {
  const defaults = template();

  it('the objects table has the sparse expiring-copies index, by expiry', () => {
    defaults.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'objectId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'expiring-copies',
          KeySchema: [
            { AttributeName: 'expiringPartition', KeyType: 'HASH' },
            { AttributeName: 'expiryDate', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
  });

  it('the aggregator reminds 24 hours ahead by default; 0 turns reminders off', () => {
    const aggregatorReminding = (seconds: string) => ({ Environment: { Variables: Match.objectLike({ EXPIRY_REMINDER_SECONDS: seconds, DEBOUNCE_SECONDS: '120' }) } });
    defaults.hasResourceProperties('AWS::Lambda::Function', aggregatorReminding('86400'));
    template({ expiryReminderHours: 0 }).hasResourceProperties('AWS::Lambda::Function', aggregatorReminding('0'));
  });

  it('the aggregator may query the table and its indexes', () => {
    defaults.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:Query']),
            Resource: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['/index/*'])]) })]),
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^NotificationsNotifyAggregator') }],
    });
  });
});

describe('the auto-keep policy in the stack', () => {
  const copyActions = ['s3:PutObject', 's3:GetObjectTagging', 's3:PutObjectTagging', 's3:AbortMultipartUpload'];
  const copyGrant = {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: copyActions, Resource: { 'Fn::Join': ['', Match.arrayWith([':s3:::archive-one/*'])] } })]) },
    Roles: [{ Ref: Match.stringLikeRegexp('RestoreCompleted') }],
  };

  it('off by default: the completion function may not write objects', () => {
    // The completion function's policies only (the bulk path's role writes reports to its own bucket).
    const statements = Object.values(template().findResources('AWS::IAM::Policy'))
      .map((r) => (r as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] }; Roles: { Ref?: string }[] } }).Properties)
      .filter((p) => p.Roles.some((role) => role.Ref?.includes('RestoreCompleted')))
      .flatMap((p) => p.PolicyDocument.Statement);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.flatMap((s) => s.Action)).not.toContain('s3:PutObject');
  });

  it('on: the completion function gets the policy and the copy grant on the watched buckets only', () => {
    const on = template({ autoKeep: { afterRestores: 3, withinDays: 30 } });
    on.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ AUTO_KEEP: JSON.stringify({ afterRestores: 3, withinDays: 30, storageClass: 'STANDARD' }) }) } });
    on.hasResourceProperties('AWS::IAM::Policy', copyGrant);
  });

  const kmsKey = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const kmsActionsOfKeeper = (t: Template) =>
    Object.values(t.findResources('AWS::IAM::Policy'))
      .map((r) => (r as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] }; Roles: { Ref?: string }[] } }).Properties)
      .filter((p) => p.Roles.some((role) => role.Ref?.includes('RestoreCompleted')))
      .flatMap((p) => p.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));

  it('with autoKeepKmsKeyArns the completion function may kms:Decrypt and kms:GenerateDataKey with exactly those keys; without, no KMS action', () => {
    expect(kmsActionsOfKeeper(template({ autoKeep: { afterRestores: 3, withinDays: 30 } }))).toEqual([]);
    const withKey = template({ autoKeep: { afterRestores: 3, withinDays: 30 }, autoKeepKmsKeyArns: [kmsKey] });
    expect(kmsActionsOfKeeper(withKey)).toEqual([expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: kmsKey })]);
  });

  it('autoKeepKmsKeyArns is refused without autoKeep, and for an alias or a malformed ARN', () => {
    const base = { account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one'], senderAddress: 'restores@example.com', sesIdentity: 'example.com' };
    expect(() => parseDeploymentConfig({ ...base, autoKeepKmsKeyArns: [kmsKey] })).toThrow(/autoKeepKmsKeyArns applies to the autoKeep policy/);
    for (const bad of ['arn:aws:kms:eu-west-1:111122223333:alias/archive', 'not-an-arn', 'arn:aws:kms:eu-west-1:111122223333:key/*'])
      expect(() => parseDeploymentConfig({ ...base, autoKeep: { afterRestores: 2, withinDays: 7 }, autoKeepKmsKeyArns: [bad] })).toThrow(/a KMS key ARN/);
  });

  it('stays cdk-nag clean with the KMS grant', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    buildApp(
      parseDeploymentConfig({
        account: '111122223333',
        region: 'eu-west-1',
        watchedBuckets: ['archive-one'],
        senderAddress: 'restores@example.com',
        sesIdentity: 'example.com',
        autoKeep: { afterRestores: 3, withinDays: 30 },
        autoKeepKmsKeyArns: [kmsKey],
      }),
      app,
    );
    expect(() => app.synth()).not.toThrow();
  });
});
