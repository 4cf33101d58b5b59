/** Dollars from counts, with the dated price table the CLI uses too. */
import type { PriceTable } from '../cli/plan.js';

export interface FullPriceTable extends PriceTable {
  stepFunctionsStandardPer1000Transitions: number;
  lambdaPerMillionRequests: number;
  lambdaPerGBSecond: number;
  dynamodbOnDemandPerMillionWrites: number;
  dynamodbOnDemandPerMillionReads: number;
  s3PerThousandGetHeadRequests: number;
  sesPerThousandEmails: number;
  cloudtrailDataEventsPer100000: number;
  /** CloudTrail's events reach the default bus as AWS service events. */
  eventbridgeAwsServiceEventsPerMillion: number;
  eventbridgeCustomEventsPerMillion: number;
}

export interface PerObjectCounts {
  stateTransitions: number;
  lambdaInvocations: number;
  dynamodbWrites: number;
  dynamodbReads: number;
  s3GetHead: number;
  emails: number;
  /** Read events that reached detect-access: one CloudTrail GetObject data event each. */
  readEvents: number;
}

const WRITE_OPS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const READ_OPS = ['GetItem', 'Query', 'BatchGetItem', 'Scan'];

/**
 * Work per object. The aggregator's schedule is a fixed cost (one tick a minute on AWS, however
 * many objects), so each tick's idle work (its invocation, the lease put and release, one Query
 * of the pending index) is taken out; what a tick does for pending notices stays in.
 */
export function perObject(run: {
  objects: number;
  stateTransitions: number;
  s3: Record<string, number>;
  dynamodb: Record<string, number>;
  lambda: Record<string, number>;
  sesSent: number;
  ticks: number;
}): PerObjectCounts {
  const sum = (m: Record<string, number>, keys: string[]) => keys.reduce((n, k) => n + (m[k] ?? 0), 0);
  const n = run.objects;
  return {
    stateTransitions: run.stateTransitions / n,
    lambdaInvocations: (Object.values(run.lambda).reduce((a, b) => a + b, 0) - run.ticks) / n,
    dynamodbWrites: (sum(run.dynamodb, WRITE_OPS) - 2 * run.ticks) / n,
    dynamodbReads: (sum(run.dynamodb, READ_OPS) - run.ticks) / n,
    s3GetHead: sum(run.s3, ['GetObject', 'HeadObject']) / n,
    emails: run.sesSent / n,
    readEvents: (run.lambda['detect-access'] ?? 0) / n,
  };
}

/** Assumed average Lambda duration: 512 MB for 100 ms (the handlers are short AWS calls). */
const LAMBDA_GB_SECONDS = 0.5 * 0.1;

/**
 * What detecting one read costs: the trail logs every GetObject on a watched bucket, refused or
 * not, as one data event, and hands it to the default event bus as an AWS service event.
 */
export function detectionCostPerRead(prices: FullPriceTable) {
  const parts = {
    cloudTrailDataEvent: prices.cloudtrailDataEventsPer100000 / 100_000,
    eventBridge: prices.eventbridgeAwsServiceEventsPerMillion / 1e6,
  };
  return { ...parts, total: parts.cloudTrailDataEvent + parts.eventBridge };
}

export function costPer1000(counts: PerObjectCounts, prices: FullPriceTable) {
  const k = 1000;
  const parts = {
    stepFunctions: (counts.stateTransitions * k * prices.stepFunctionsStandardPer1000Transitions) / 1000,
    lambda: counts.lambdaInvocations * k * (prices.lambdaPerMillionRequests / 1e6 + LAMBDA_GB_SECONDS * prices.lambdaPerGBSecond),
    dynamodb: (counts.dynamodbWrites * k * prices.dynamodbOnDemandPerMillionWrites) / 1e6 + (counts.dynamodbReads * k * prices.dynamodbOnDemandPerMillionReads) / 1e6,
    s3Requests: (counts.s3GetHead * k * prices.s3PerThousandGetHeadRequests) / 1000,
    ses: (counts.emails * k * prices.sesPerThousandEmails) / 1000,
    detection: counts.readEvents * k * detectionCostPerRead(prices).total,
  };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}
