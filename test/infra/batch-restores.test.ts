/** The bulk path's resources: the manifest bucket, the role Batch Operations assumes, the workflow's grants. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { parseDeploymentConfig } from '../../infra/config.js';

let template: Template;
beforeAll(() => {
  const config = parseDeploymentConfig({ account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one'], senderAddress: 'restores@example.com', sesIdentity: 'example.com' });
  template = Template.fromStack(buildApp(config, new App({ context: { 'aws:cdk:bundling-stacks': [] } })).stack);
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
const statementsOf = (policyIdPrefix: string) =>
  Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(policyIdPrefix))
    .flatMap(([, r]) => (r as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);

describe('bulk restores', () => {
  it('keeps manifests and reports in an encrypted, TLS-only, private bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('gives S3 Batch Operations a role of its own that restores the watched objects and touches only the batches/ folder', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'batchoperations.s3.amazonaws.com' } })] },
    });
    const statements = statementsOf('BatchRestoresBatchOperationsRole');
    expect(statements.map((s) => s.Action).sort()).toEqual([['s3:GetObject', 's3:GetObjectVersion'], 's3:GetBucketLocation', 's3:PutObject', 's3:RestoreObject'].sort());
    expect(statements.find((s) => s.Action === 's3:RestoreObject')!.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::archive-one/*']] });
    expect(JSON.stringify(statements.find((s) => s.Action === 's3:PutObject')!.Resource)).toContain('/batches/*/reports/*');
  });

  it('lets the workflow create jobs and pass only the batch role, to S3', () => {
    const statements = statementsOf('BatchRestoresRestoreBatchWorkflowRole');
    expect(statements.find((s) => s.Action === 's3:CreateJob')).toMatchObject({ Resource: '*' });
    expect(statements.find((s) => s.Action === 'iam:PassRole')).toMatchObject({
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BatchRestoresBatchOperationsRole/), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 's3.amazonaws.com' } },
    });
  });

  it('names the workflow and the bucket in the stack outputs', () => {
    template.hasOutput('BatchStateMachineArn', Match.anyValue());
    template.hasOutput('ManifestBucketName', Match.anyValue());
  });
});
