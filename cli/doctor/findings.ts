/**
 * What `autorestore doctor` concludes from what it observed: pure, so each conclusion is
 * tested without AWS. observe.ts gathers the observations; every check yields ok, warning
 * (works, with a caveat the operator should know) or problem (something will not work), and
 * a fix for anything short of ok.
 */
import { REQUIRED_STACK_OUTPUTS, type StackOutputName } from '../../infra/outputs.js';
import { bucketObjectsArnPrefix, getObjectCoverage, partitionOf, type TrailSelectors } from '../../infra/trail-selectors.js';

export type Status = 'ok' | 'warning' | 'problem';

export interface Finding {
  check: string;
  status: Status;
  message: string;
  fix?: string;
}

/** A call that failed: its error name and message (AccessDenied, ResourceNotFound, ...). */
export interface Failure {
  callFailed: true;
  error: string;
  message: string;
}
type Observed<T> = T | Failure;
export const failed = (v: unknown): v is Failure => typeof v === 'object' && v !== null && (v as { callFailed?: unknown }).callFailed === true;

export interface BucketObservation {
  name: string;
  /** false: NoSuchBucket. */
  exists: Observed<boolean>;
  /** GetBucketLocation's answer, normalised (`us-east-1` for the empty LocationConstraint). */
  region?: Observed<string>;
  eventBridge?: Observed<boolean>;
}

export interface RuleObservation {
  name: string;
  /** undefined: ResourceNotFoundException. */
  state: Observed<string | undefined>;
  targets?: Observed<number>;
}

export interface Observations {
  stackName: string;
  region: string;
  outputs: Observed<Partial<Record<StackOutputName, string>>>;
  /** `*`: every bucket in the account and Region is watched. */
  watchedBuckets?: { all: boolean; buckets: BucketObservation[] };
  trail?: { arn: string; status: Observed<{ isLogging: boolean } | undefined>; selectors?: Observed<TrailSelectors> };
  rules: RuleObservation[];
  deadLetters?: { queueUrl: string; waiting: Observed<number> };
  ses?: { identity: string; verified: Observed<boolean | undefined>; account: Observed<{ sendingEnabled: boolean; productionAccess: boolean }> };
  principals?: Observed<number>;
  executions?: Observed<{ failed: string[]; timedOut: string[]; aborted: string[] }>;
}

const couldNotCheck = (check: string, what: string, f: Failure): Finding => ({
  check,
  status: 'warning',
  message: `could not check ${what}: ${f.error}: ${f.message}`,
  fix: 'run doctor with credentials that may read the deployment (see the README for the actions it calls)',
});

export function diagnose(o: Observations): Finding[] {
  return [...checkOutputs(o), ...checkBuckets(o), ...checkTrail(o), ...checkRules(o), ...checkDeadLetters(o), ...checkSes(o), ...checkPrincipals(o), ...checkExecutions(o)];
}

/** The worst status found decides the exit code. */
export function worst(findings: Finding[]): Status {
  if (findings.some((f) => f.status === 'problem')) return 'problem';
  return findings.some((f) => f.status === 'warning') ? 'warning' : 'ok';
}

function checkOutputs(o: Observations): Finding[] {
  if (failed(o.outputs)) {
    const missing = o.outputs.error === 'ValidationError';
    return [
      {
        check: 'stack',
        status: 'problem',
        message: missing ? `stack ${o.stackName} not found in ${o.region}` : `DescribeStacks failed: ${o.outputs.error}: ${o.outputs.message}`,
        fix: missing ? 'deploy it (`npx cdk deploy`), or name it with --stack-name and the Region with --region' : 'check the credentials and the Region',
      },
    ];
  }
  const outputs = o.outputs;
  const missing = REQUIRED_STACK_OUTPUTS.filter((name) => !outputs[name]);
  if (missing.length)
    return [{ check: 'stack outputs', status: 'problem', message: `stack ${o.stackName} has no output ${missing.join(', ')}`, fix: 'deploy the current version of the stack (`npx cdk deploy`)' }];
  const trail = outputs.TrailArn ? '' : ' (no TrailArn: no trail is known to log the reads)';
  return [
    {
      check: 'stack outputs',
      status: trail ? 'problem' : 'ok',
      message: `stack ${o.stackName} in ${o.region} has its outputs${trail}`,
      ...(trail ? { fix: 'let the stack create its trail, or name an existing trail in the configuration, and deploy again' } : {}),
    },
  ];
}

function checkBuckets(o: Observations): Finding[] {
  const watched = o.watchedBuckets;
  if (!watched) return [];
  if (watched.buckets.length === 0) {
    return [
      {
        check: 'watched buckets',
        status: watched.all ? 'warning' : 'problem',
        message: watched.all ? 'every bucket is watched, and there is none yet' : 'the stack watches no bucket',
        fix: watched.all ? 'create a bucket' : 'name the buckets to watch in the configuration and deploy again',
      },
    ];
  }
  return watched.buckets.flatMap((b) => checkBucket(b, o.region));
}

function checkBucket(b: BucketObservation, region: string): Finding[] {
  const check = `bucket ${b.name}`;
  if (failed(b.exists)) return [couldNotCheck(check, 'the bucket', b.exists)];
  if (!b.exists) return [{ check, status: 'problem', message: 'the watched bucket does not exist', fix: 'create it, or remove it from the watched buckets and deploy again' }];
  const findings: Finding[] = [];
  if (b.region !== undefined) {
    if (failed(b.region)) findings.push(couldNotCheck(check, 'its Region', b.region));
    else if (b.region !== region)
      findings.push({
        check,
        status: 'problem',
        message: `the bucket is in ${b.region}, the stack in ${region}: its events never reach the stack's rules`,
        fix: `deploy the detection to ${b.region} too, or watch only buckets in ${region}`,
      });
  }
  if (b.eventBridge !== undefined) {
    if (failed(b.eventBridge)) findings.push(couldNotCheck(check, 'its event notifications', b.eventBridge));
    else if (!b.eventBridge)
      findings.push({
        check,
        status: 'problem',
        message: 'the bucket does not send events to EventBridge: restores complete but nobody is told before the timeout recheck',
        fix: `aws s3api put-bucket-notification-configuration --bucket ${b.name} --notification-configuration '{"EventBridgeConfiguration":{}}' (keeping any other notifications it has)`,
      });
  }
  if (findings.length === 0) findings.push({ check, status: 'ok', message: `exists in ${region} and sends events to EventBridge` });
  return findings;
}

/** A bucket name no selector can name (S3 bucket names are lower case): only a selector for every bucket covers it. */
const ANY_BUCKET = 'ANY-BUCKET';

/**
 * The partition the stack is deployed in (its S3 ARNs, and so the trail's selectors, carry it):
 * read from the trail's ARN, else from the state machine's.
 */
function deploymentPartition(o: Observations): string {
  const stateMachineArn = failed(o.outputs) ? undefined : o.outputs.StateMachineArn;
  for (const arn of [o.trail?.arn, stateMachineArn]) {
    const partition = arn ? partitionOf(arn) : undefined;
    if (partition) return partition;
  }
  return 'aws';
}

function checkTrail(o: Observations): Finding[] {
  const trail = o.trail;
  if (!trail) return [];
  const check = 'trail';
  if (failed(trail.status)) return [couldNotCheck(check, trail.arn, trail.status)];
  if (!trail.status)
    return [
      {
        check,
        status: 'problem',
        message: `trail ${trail.arn} does not exist: no read is detected`,
        fix: 'deploy the stack again (it creates its trail), or name an existing trail in the configuration',
      },
    ];
  const findings: Finding[] = [];
  if (!trail.status.isLogging) findings.push({ check, status: 'problem', message: `trail ${trail.arn} is not logging: no read is detected`, fix: `aws cloudtrail start-logging --name ${trail.arn}` });
  if (trail.selectors && o.watchedBuckets) {
    if (failed(trail.selectors)) findings.push(couldNotCheck(check, 'its event selectors', trail.selectors));
    else {
      const selectors = trail.selectors;
      const partition = deploymentPartition(o);
      for (const bucket of o.watchedBuckets.buckets.filter((b) => b.exists === true)) {
        const coverage = getObjectCoverage(selectors, bucket.name, partition);
        if (coverage === 'all') continue;
        findings.push({
          check,
          status: 'problem',
          message:
            coverage === 'some'
              ? `the trail logs GetObject for only part of bucket ${bucket.name}: reads of the rest are never detected`
              : `the trail does not log GetObject data events for bucket ${bucket.name}: its reads are never detected`,
          fix: `give ${trail.arn} an advanced event selector with eventCategory Data, resources.type AWS::S3::Object, eventName GetObject and resources.ARN StartsWith ${bucketObjectsArnPrefix(bucket.name, partition)} (or deploy the stack again)`,
        });
      }
      // Every bucket is watched: a bucket created tomorrow is watched too, so the trail must cover any bucket.
      if (o.watchedBuckets.all && getObjectCoverage(selectors, ANY_BUCKET, partition) !== 'all') {
        findings.push({
          check,
          status: 'warning',
          message: 'every bucket is watched, but the trail logs GetObject only for some buckets: reads in a new bucket go unnoticed',
          fix: `drop the resources.ARN condition from the GetObject selector of ${trail.arn}, or watch named buckets`,
        });
      }
    }
  }
  if (findings.length === 0) findings.push({ check, status: 'ok', message: `${trail.arn} is logging and records GetObject for the watched buckets` });
  return findings;
}

function checkRules(o: Observations): Finding[] {
  return o.rules.map((r) => {
    const check = `rule ${r.name}`;
    if (failed(r.state)) return couldNotCheck(check, 'the rule', r.state);
    if (r.state === undefined) return { check, status: 'problem', message: 'the EventBridge rule does not exist on the default bus', fix: 'deploy the stack again' };
    if (r.state === 'DISABLED') return { check, status: 'problem', message: 'the EventBridge rule is disabled: its events go nowhere', fix: `aws events enable-rule --name ${r.name}` };
    if (r.targets !== undefined && failed(r.targets)) return couldNotCheck(check, 'its targets', r.targets);
    if (r.targets === 0) return { check, status: 'problem', message: 'the EventBridge rule has no target: its events go nowhere', fix: 'deploy the stack again (it sets the target)' };
    return { check, status: 'ok', message: `${r.state.toLowerCase()}, ${r.targets ?? 'unknown'} target${r.targets === 1 ? '' : 's'}` };
  });
}

function checkDeadLetters(o: Observations): Finding[] {
  const d = o.deadLetters;
  if (!d) return [];
  const check = 'dead-letter queue';
  if (failed(d.waiting)) {
    if (d.waiting.error === 'QueueDoesNotExist' || d.waiting.error === 'AWS.SimpleQueueService.NonExistentQueue')
      return [{ check, status: 'problem', message: `${d.queueUrl} does not exist: events that fail are lost`, fix: 'deploy the stack again' }];
    return [couldNotCheck(check, d.queueUrl, d.waiting)];
  }
  if (d.waiting === 0) return [{ check, status: 'ok', message: 'empty' }];
  return [
    {
      check,
      status: 'warning',
      message: `${d.waiting} event${d.waiting === 1 ? '' : 's'} could not be delivered and wait${d.waiting === 1 ? 's' : ''} in ${d.queueUrl}`,
      fix: `read them (aws sqs receive-message --queue-url ${d.queueUrl} --attribute-names All), fix the cause, and replay or delete them`,
    },
  ];
}

function checkSes(o: Observations): Finding[] {
  const ses = o.ses;
  if (!ses) return [];
  const findings: Finding[] = [];
  if (failed(ses.verified)) findings.push(couldNotCheck('ses identity', ses.identity, ses.verified));
  else if (ses.verified === undefined)
    findings.push({
      check: 'ses identity',
      status: 'problem',
      message: `the SES identity ${ses.identity} does not exist in ${o.region}: no email can be sent`,
      fix: `aws sesv2 create-email-identity --email-identity ${ses.identity}, then verify it`,
    });
  else if (!ses.verified)
    findings.push({
      check: 'ses identity',
      status: 'problem',
      message: `the SES identity ${ses.identity} is not verified for sending: every email is refused`,
      fix: 'finish its verification (the DNS records or the link SES sent), then run doctor again',
    });
  else findings.push({ check: 'ses identity', status: 'ok', message: `${ses.identity} is verified for sending` });
  if (failed(ses.account)) findings.push(couldNotCheck('ses account', 'the SES account', ses.account));
  else if (!ses.account.sendingEnabled)
    findings.push({
      check: 'ses account',
      status: 'problem',
      message: `sending is paused for the SES account in ${o.region}: no email goes out`,
      fix: 'aws sesv2 put-account-sending-attributes --sending-enabled (or, if SES paused it, see the account dashboard)',
    });
  else if (!ses.account.productionAccess)
    findings.push({
      check: 'ses account',
      status: 'warning',
      message: `the SES account in ${o.region} is in the sandbox: emails reach only verified addresses (at most 200 a day), other readers get none`,
      fix: 'request production access (SES console, Account dashboard), or verify each reader address',
    });
  else findings.push({ check: 'ses account', status: 'ok', message: 'sending enabled, production access: any reader address can be emailed' });
  return findings;
}

function checkPrincipals(o: Observations): Finding[] {
  if (o.principals === undefined) return [];
  const check = 'principal map';
  if (failed(o.principals)) return [couldNotCheck(check, 'the principals table', o.principals)];
  if (o.principals === 0)
    return [
      {
        check,
        status: 'warning',
        message: 'no reader is mapped to an email: restores run, but nobody is told',
        fix: 'autorestore users add <access key id | IAM ARN | user name | role session name> <email>',
      },
    ];
  return [{ check, status: 'ok', message: 'readers are mapped to emails' }];
}

function checkExecutions(o: Observations): Finding[] {
  const e = o.executions;
  if (e === undefined) return [];
  const check = 'executions (24 h)';
  if (failed(e)) return [couldNotCheck(check, 'the executions', e)];
  const parts = [
    [e.failed, 'failed'],
    [e.timedOut, 'timed out'],
    [e.aborted, 'aborted'],
  ] as const;
  const bad = parts.filter(([list]) => list.length > 0);
  if (bad.length === 0) return [{ check, status: 'ok', message: 'none failed, timed out or aborted in the last 24 hours' }];
  const example = bad[0]![0][0]!;
  return [
    {
      check,
      status: 'problem',
      message: `${bad.map(([list, what]) => `${list.length} ${what}`).join(', ')} in the last 24 hours (e.g. ${example})`,
      fix: `look at the history: aws stepfunctions get-execution-history --execution-arn ${example}; then restore the objects again with autorestore restore`,
    },
  ];
}
