/**
 * The trail the local "deployment" creates (AWS JSON 1.1, `CloudTrail_20131101.<Operation>`):
 * it logs GetObject data events of the watched buckets with an advanced event selector, as
 * the stack's trail does, and its state decides which refused reads reach the bus: a stopped
 * trail, or one whose selectors leave a bucket out, records nothing for it.
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
 * Each start of the local cloud is a deployment: the trail starts logging with the stack's
 * selectors again.
 */
import { logsGetObject, type TrailSelectors } from '../../infra/trail-selectors.js';
import { ServiceError } from '../wire.js';

export const LOCAL_TRAIL_NAME = 'autorestore-reads';

/** The stack's selector: GetObject on the watched buckets' objects (every bucket for `*`). */
export function getObjectSelectors(watched: string[]): TrailSelectors {
  const all = watched.includes('*');
  return {
    AdvancedEventSelectors: [
      {
        Name: 'GetObject on the watched buckets',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'eventName', Equals: ['GetObject'] },
          ...(all ? [] : [{ Field: 'resources.ARN', StartsWith: watched.map((b) => `arn:aws:s3:::${b}/`) }]),
        ],
      },
    ],
  };
}

export class LocalTrail {
  readonly arn: string;
  private logging = true;
  private selectors: TrailSelectors;
  private startedAt = new Date();
  private stoppedAt?: Date;

  constructor(
    private readonly account: string,
    private readonly region: string,
    watched: string[],
  ) {
    this.arn = `arn:aws:cloudtrail:${region}:${account}:trail/${LOCAL_TRAIL_NAME}`;
    this.selectors = getObjectSelectors(watched);
  }

  /** Whether a GetObject of this object is recorded (and so delivered to EventBridge). */
  records(bucket: string, key: string): boolean {
    return this.logging && logsGetObject(this.selectors, bucket, key);
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'GetTrailStatus':
        this.find(input.Name);
        return { IsLogging: this.logging, StartLoggingTime: this.startedAt.getTime() / 1000, ...(this.stoppedAt ? { StopLoggingTime: this.stoppedAt.getTime() / 1000 } : {}) };
      case 'GetTrail':
        this.find(input.Name);
        return { Trail: this.describe() };
      case 'DescribeTrails':
        return { trailList: Array.isArray(input.trailNameList) && input.trailNameList.length && !input.trailNameList.some((n) => n === LOCAL_TRAIL_NAME || n === this.arn) ? [] : [this.describe()] };
      case 'GetEventSelectors':
        this.find(input.TrailName);
        return { TrailARN: this.arn, ...this.selectors };
      case 'PutEventSelectors':
        this.find(input.TrailName);
        this.selectors = validSelectors(input);
        return { TrailARN: this.arn, ...this.selectors };
      case 'StartLogging':
      case 'StopLogging':
        this.find(input.Name);
        this.logging = operation === 'StartLogging';
        if (this.logging) this.startedAt = new Date();
        else this.stoppedAt = new Date();
        return {};
      default:
        throw new ServiceError(400, 'UnknownOperationException', `Operation ${operation} is not supported by the local CloudTrail`);
    }
  }

  private describe() {
    return {
      Name: LOCAL_TRAIL_NAME,
      TrailARN: this.arn,
      HomeRegion: this.region,
      IsMultiRegionTrail: false,
      IsOrganizationTrail: false,
      IncludeGlobalServiceEvents: false,
      LogFileValidationEnabled: true,
      HasCustomEventSelectors: true,
      HasInsightSelectors: false,
      S3BucketName: `autorestore-trail-${this.account}`,
    };
  }

  private find(name: unknown): void {
    if (typeof name !== 'string' || !name) throw new ServiceError(400, 'InvalidTrailNameException', 'Trail name cannot be empty');
    if (name !== LOCAL_TRAIL_NAME && name !== this.arn) throw new ServiceError(400, 'TrailNotFoundException', `Unknown trail: ${name} for the user: ${this.account}`);
  }
}

/** PutEventSelectors takes basic or advanced selectors, not both; advanced ones need eventCategory. */
function validSelectors(input: Record<string, unknown>): TrailSelectors {
  const basic = input.EventSelectors;
  const advanced = input.AdvancedEventSelectors;
  if ((basic === undefined) === (advanced === undefined)) throw new ServiceError(400, 'InvalidParameterCombinationException', 'Specify either EventSelectors or AdvancedEventSelectors, not both');
  if (basic !== undefined) {
    if (!Array.isArray(basic) || basic.length > 5) throw new ServiceError(400, 'InvalidEventSelectorsException', 'EventSelectors must be a list of at most 5 selectors');
    return { EventSelectors: basic as TrailSelectors['EventSelectors'] };
  }
  if (!Array.isArray(advanced) || advanced.length === 0) throw new ServiceError(400, 'InvalidEventSelectorsException', 'AdvancedEventSelectors must be a non-empty list');
  for (const selector of advanced as NonNullable<TrailSelectors['AdvancedEventSelectors']>) {
    const category = selector.FieldSelectors?.find((f) => f.Field === 'eventCategory');
    if (!category?.Equals?.length) throw new ServiceError(400, 'InvalidEventSelectorsException', 'Each advanced event selector needs an eventCategory field selector with Equals');
  }
  return { AdvancedEventSelectors: advanced as TrailSelectors['AdvancedEventSelectors'] };
}
