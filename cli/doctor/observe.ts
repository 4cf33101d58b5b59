/**
 * The read-only AWS calls behind `autorestore doctor`: each observation is either what the
 * service answered or the call's failure, never a guess; findings.ts draws the conclusions.
 * Calls (and so the permissions doctor needs): cloudformation:DescribeStacks,
 * s3:ListAllMyBuckets (only for `*`), s3:GetBucketLocation, s3:GetBucketNotification,
 * cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors, events:DescribeRule,
 * events:ListTargetsByRule, sqs:GetQueueAttributes, ses:GetEmailIdentity, ses:GetAccount,
 * dynamodb:Scan (one item, count only), states:ListExecutions.
 */
import { CloudTrailClient, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetBucketLocationCommand, GetBucketNotificationConfigurationCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { ListExecutionsCommand, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from '../context.js';
import { failed, type BucketObservation, type Failure, type Observations, type RuleObservation } from './findings.js';

const DAY_MS = 24 * 3_600_000;
/** ListExecutions pages read per status at most: enough to count, bounded in cost. */
const MAX_PAGES = 10;

/** The call's answer, or its failure. */
async function attempt<T>(call: () => Promise<T>): Promise<T | Failure> {
  try {
    return await call();
  } catch (err) {
    return { callFailed: true, error: (err as Error).name, message: (err as Error).message };
  }
}

/** The same, with `undefined` for the error that says the resource does not exist. */
async function attemptUnlessAbsent<T>(call: () => Promise<T>, absent: (err: Error) => boolean): Promise<T | undefined | Failure> {
  try {
    return await call();
  } catch (err) {
    if (absent(err as Error)) return undefined;
    return { callFailed: true, error: (err as Error).name, message: (err as Error).message };
  }
}

export async function observe(ctx: Context, now: Date): Promise<Observations> {
  const region = await ctx.region();
  const base = { stackName: ctx.options.stackName, region, rules: [] };
  const outputs = await attempt(() => ctx.outputs());
  if (failed(outputs)) return { ...base, outputs };

  const config = ctx.clientConfig;
  const s3 = new S3Client({ ...config, forcePathStyle: Boolean(config.endpoint), followRegionRedirects: true });
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  const ses = new SESv2Client(config);
  const trailRegion = outputs.TrailArn?.split(':')[3];
  const cloudtrail = new CloudTrailClient({ ...config, ...(trailRegion ? { region: trailRegion } : {}) });
  try {
    const [watchedBuckets, trail, rules, deadLetters, sesObservation, principals, executions] = await Promise.all([
      outputs.WatchedBuckets !== undefined ? observeBuckets(s3, outputs.WatchedBuckets) : undefined,
      outputs.TrailArn ? observeTrail(cloudtrail, outputs.TrailArn) : undefined,
      Promise.all([outputs.ArchivedReadRuleName, outputs.RestoreLifecycleRuleName].filter((n): n is string => Boolean(n)).map((name) => observeRule(events, name))),
      outputs.DeadLetterQueueUrl ? observeQueue(sqs, outputs.DeadLetterQueueUrl) : undefined,
      outputs.SesIdentity ? observeSes(ses, outputs.SesIdentity) : undefined,
      outputs.PrincipalsTableName ? attempt(async () => (await ctx.ddb.send(new ScanCommand({ TableName: outputs.PrincipalsTableName, Limit: 1, Select: 'COUNT' }))).Count ?? 0) : undefined,
      outputs.StateMachineArn ? observeExecutions(ctx, outputs.StateMachineArn, now) : undefined,
    ]);
    return { ...base, outputs, watchedBuckets, trail, rules, deadLetters, ses: sesObservation, principals, executions };
  } finally {
    for (const client of [s3, events, sqs, ses, cloudtrail]) client.destroy();
  }
}

async function observeBuckets(s3: S3Client, output: string): Promise<NonNullable<Observations['watchedBuckets']>> {
  const named = output
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const all = named.includes('*');
  let names = named.filter((b) => b !== '*');
  if (all) {
    const listed = await attempt(async () => (await s3.send(new ListBucketsCommand({}))).Buckets ?? []);
    if (!failed(listed)) names = listed.map((b) => b.Name!).filter(Boolean);
    else return { all, buckets: [{ name: '*', exists: listed }] };
  }
  return { all, buckets: await Promise.all(names.map((name) => observeBucket(s3, name))) };
}

async function observeBucket(s3: S3Client, name: string): Promise<BucketObservation> {
  const noSuchBucket = (e: Error) => e.name === 'NoSuchBucket';
  // GetBucketLocation answers an empty LocationConstraint for us-east-1 (and EU for eu-west-1 buckets of old).
  const location = await attemptUnlessAbsent(async () => {
    const out = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
    const constraint = out.LocationConstraint as string | undefined;
    return !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
  }, noSuchBucket);
  if (location === undefined) return { name, exists: false };
  if (failed(location) && location.error !== 'AccessDenied') return { name, exists: location };
  const eventBridge = await attemptUnlessAbsent(async () => (await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: name }))).EventBridgeConfiguration !== undefined, noSuchBucket);
  if (eventBridge === undefined) return { name, exists: false };
  return { name, exists: true, region: location, eventBridge };
}

async function observeTrail(client: CloudTrailClient, arn: string): Promise<NonNullable<Observations['trail']>> {
  const notFound = (e: Error) => e.name === 'TrailNotFoundException';
  const status = await attemptUnlessAbsent(async () => ({ isLogging: (await client.send(new GetTrailStatusCommand({ Name: arn }))).IsLogging === true }), notFound);
  if (status === undefined || failed(status)) return { arn, status };
  const selectors = await attempt(async () => {
    const out = await client.send(new GetEventSelectorsCommand({ TrailName: arn }));
    return { ...(out.EventSelectors ? { EventSelectors: out.EventSelectors } : {}), ...(out.AdvancedEventSelectors ? { AdvancedEventSelectors: out.AdvancedEventSelectors } : {}) };
  });
  return { arn, status, selectors };
}

async function observeRule(client: EventBridgeClient, name: string): Promise<RuleObservation> {
  const notFound = (e: Error) => e.name === 'ResourceNotFoundException';
  const state = await attemptUnlessAbsent(async () => (await client.send(new DescribeRuleCommand({ Name: name }))).State ?? 'ENABLED', notFound);
  if (state === undefined || failed(state)) return { name, state };
  const targets = await attempt(async () => (await client.send(new ListTargetsByRuleCommand({ Rule: name }))).Targets?.length ?? 0);
  return { name, state, targets };
}

async function observeQueue(client: SQSClient, queueUrl: string): Promise<NonNullable<Observations['deadLetters']>> {
  const waiting = await attempt(async () =>
    Number((await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages ?? 0),
  );
  return { queueUrl, waiting };
}

async function observeSes(client: SESv2Client, identity: string): Promise<NonNullable<Observations['ses']>> {
  const [verified, account] = await Promise.all([
    attemptUnlessAbsent(
      async () => (await client.send(new GetEmailIdentityCommand({ EmailIdentity: identity }))).VerifiedForSendingStatus === true,
      (e) => e.name === 'NotFoundException',
    ),
    attempt(async () => {
      const out = await client.send(new GetAccountCommand({}));
      return { sendingEnabled: out.SendingEnabled === true, productionAccess: out.ProductionAccessEnabled === true };
    }),
  ]);
  return { identity, verified, account };
}

/** Executions that ended badly in the last 24 hours, by status (newest first, as ListExecutions sorts them). */
async function observeExecutions(ctx: Context, stateMachineArn: string, now: Date): Promise<Observations['executions']> {
  const since = now.getTime() - DAY_MS;
  const ended = async (statusFilter: ExecutionStatus): Promise<string[]> => {
    const arns: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await ctx.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter, maxResults: 1000, nextToken }));
      for (const e of out.executions ?? []) if ((e.stopDate ?? e.startDate ?? now).getTime() >= since) arns.push(e.executionArn!);
      nextToken = out.nextToken;
      // Newest first; an execution runs at most a year, so one that started a year before the
      // window ended before it, and so did every older one.
      const oldest = out.executions?.at(-1)?.startDate;
      if (!nextToken || (oldest && oldest.getTime() < since - 365 * DAY_MS)) break;
    }
    return arns;
  };
  return attempt(async () => {
    const [failedArns, timedOut, aborted] = await Promise.all([ended('FAILED'), ended('TIMED_OUT'), ended('ABORTED')]);
    return { failed: failedArns, timedOut, aborted };
  });
}
