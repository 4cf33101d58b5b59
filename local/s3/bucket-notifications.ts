/**
 * S3 Get/PutBucketNotificationConfiguration, for the one destination the local cloud has:
 * EventBridge. S3 sends a bucket's events (here: Object Restore Completed / Expired) to
 * EventBridge only while its configuration holds `EventBridgeConfiguration`:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 * A bucket the deployment watches gets it when it is created, as the stack's
 * enableBucketEventBridge does for an existing bucket. SNS, SQS and Lambda destinations do not
 * exist here, so S3's destination check refuses them, as it refuses any destination it cannot
 * validate. The setting is kept in a JSON file in the data folder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import S3ErrorModule from 's3rver/lib/models/error.js';
import { readRequest, splitPath } from './archive-layer.js';

const S3Error = S3ErrorModule as new (code: string, message: string, detail?: Record<string, unknown>) => Error & { status: number };

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  body: unknown;
  type: string;
  req: { on(event: string, cb: (chunk?: Buffer) => void): void };
}

export class BucketNotifications {
  private readonly eventBridge: Set<string>;

  constructor(
    private readonly file: string,
    /** Whether the deployment watches this bucket (it then gets EventBridge at creation). */
    private readonly watched: (bucket: string) => boolean,
    private readonly bucketExists: (bucket: string) => Promise<boolean>,
  ) {
    this.eventBridge = new Set(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : []);
  }

  /** Whether S3 sends this bucket's events to EventBridge. */
  sendsToEventBridge(bucket: string): boolean {
    return this.eventBridge.has(bucket);
  }

  /** The deployment turns EventBridge on for an existing watched bucket (the stack's enableBucketEventBridge). */
  deploy(bucket: string): void {
    this.set(bucket, true);
  }

  middleware() {
    return async (ctx: KoaContext, next: () => Promise<void>) => {
      const { bucket, key } = splitPath(ctx.path);
      if (!bucket || key) return next();
      if ('notification' in ctx.query) {
        if (!(await this.bucketExists(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
        if (ctx.method === 'GET') return this.get(ctx, bucket);
        if (ctx.method === 'PUT') return this.put(ctx, bucket);
        return next();
      }
      await next();
      if (Object.keys(ctx.query).length > 0) return;
      if (ctx.method === 'PUT' && ctx.status === 200 && this.watched(bucket)) this.set(bucket, true);
      if (ctx.method === 'DELETE' && ctx.status === 204) this.set(bucket, false);
    };
  }

  private get(ctx: KoaContext, bucket: string): void {
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${this.eventBridge.has(bucket) ? '<EventBridgeConfiguration></EventBridgeConfiguration>' : ''}</NotificationConfiguration>`;
  }

  /** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html */
  private async put(ctx: KoaContext, bucket: string): Promise<void> {
    const body = (await readRequest(ctx)).trim();
    if (!/^(<\?xml[^>]*\?>\s*)?<NotificationConfiguration[\s>/][\s\S]*$/.test(body))
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    const destinations = /<(TopicConfiguration|QueueConfiguration|CloudFunctionConfiguration)[\s>]/.exec(body);
    if (destinations)
      throw new S3Error('InvalidArgument', 'Unable to validate the following destination configurations', { ArgumentName: destinations[1]!, ArgumentValue: 'the local cloud has EventBridge only' });
    this.set(bucket, /<EventBridgeConfiguration\s*(\/>|>)/.test(body));
    ctx.status = 200;
    ctx.body = '';
  }

  private set(bucket: string, on: boolean): void {
    if (on === this.eventBridge.has(bucket)) return;
    if (on) this.eventBridge.add(bucket);
    else this.eventBridge.delete(bucket);
    writeFileSync(this.file, JSON.stringify([...this.eventBridge]));
  }
}
