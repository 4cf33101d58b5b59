/** The construct in a stack of a user's own app: props validated, findings acknowledged where it is. */
import { App, CfnParameter, RemovalPolicy, Stack, Stage, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { InvalidDeploymentConfigError } from '../../infra/config.js';
import { S3Autorestore, type S3AutorestoreProps } from '../../infra/s3-autorestore.js';

// Bundling is switched off (no esbuild run per test); the functions' code is not under test here.
const userStack = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'UserStack', { env: { account: '111122223333', region: 'eu-west-1' } });
const props = (extra: Partial<S3AutorestoreProps> = {}): S3AutorestoreProps => ({ watchedBuckets: ['archive-one'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', ...extra });

describe('S3Autorestore', () => {
  it('watches buckets given as constructs (name known only at deployment) and as names, and stays cdk-nag clean', () => {
    const stack = userStack();
    const deployTimeName = new CfnParameter(stack, 'ArchiveBucketName').valueAsString;
    new S3Autorestore(stack, 'Autorestore', props({ watchedBuckets: [Bucket.fromBucketName(stack, 'Archive', deployTimeName), 'archive-one'] }));
    Validations.of(stack).addPlugins(new AwsSolutionsChecks(stack));

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ $or: Match.arrayWith([{ requestParameters: { bucketName: [{ Ref: 'ArchiveBucketName' }, 'archive-one'] } }]) }) }),
    });
    expect(() => Stage.of(stack)!.synth()).not.toThrow();
  });

  it('refuses invalid props with every problem named, and adds nothing to the stack', () => {
    const stack = userStack();
    const invalid = () => new S3Autorestore(stack, 'Autorestore', props({ senderAddress: 'restores@elsewhere.org', watchedBuckets: ['Not_A_Bucket'] }));
    expect(invalid).toThrow(InvalidDeploymentConfigError);
    expect(invalid).toThrow(/watchedBuckets\.0: not a valid S3 bucket name\nsenderAddress/);
    expect(stack.node.children).toEqual([]);
  });

  it('applies the removal policy to the log groups', () => {
    const stack = userStack();
    new S3Autorestore(stack, 'Autorestore', props({ removalPolicy: RemovalPolicy.RETAIN }));
    const logGroups = Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(0);
    for (const group of logGroups) expect(group).toMatchObject({ DeletionPolicy: 'Retain' });
  });
});
