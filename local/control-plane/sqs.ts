/**
 * The stack's dead-letter queue over the local bus's dead-letter list (AWS JSON 1.0,
 * `AmazonSQS.<Operation>`, query-compatible errors): GetQueueUrl and GetQueueAttributes, the
 * read-only calls an operator (and `doctor`) makes to see how many events wait.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 */
import type { DeadLetter } from '../event-bus.js';
import { ServiceError } from '../wire.js';

export const DEAD_LETTER_QUEUE_NAME = 'autorestore-undelivered-events';

/** An SQS error: its JSON `__type` and the code the query protocol used (x-amzn-query-error). */
export class SqsError extends ServiceError {
  constructor(
    code: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(400, code, message);
  }
}

const ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'MessageRetentionPeriod',
  'QueueArn',
  'VisibilityTimeout',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  'SqsManagedSseEnabled',
];

export class DeadLetterQueue {
  readonly url: string;
  readonly arn: string;
  private readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(
    endpoint: string,
    private readonly account: string,
    region: string,
    private readonly deadLetters: DeadLetter[],
  ) {
    this.url = `${endpoint}/${account}/${DEAD_LETTER_QUEUE_NAME}`;
    this.arn = `arn:aws:sqs:${region}:${account}:${DEAD_LETTER_QUEUE_NAME}`;
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'GetQueueUrl':
        if (input.QueueName !== DEAD_LETTER_QUEUE_NAME || (input.QueueOwnerAWSAccountId !== undefined && input.QueueOwnerAWSAccountId !== this.account)) throw notFound();
        return { QueueUrl: this.url };
      case 'GetQueueAttributes': {
        if (input.QueueUrl !== this.url) throw notFound();
        const asked = Array.isArray(input.AttributeNames) ? input.AttributeNames.map(String) : [];
        const unknown = asked.find((a) => a !== 'All' && !ATTRIBUTES.includes(a));
        if (unknown) throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${unknown}.`);
        const values = this.attributes();
        const names = asked.includes('All') ? ATTRIBUTES : asked;
        return names.length ? { Attributes: Object.fromEntries(names.map((n) => [n, values[n]!])) } : {};
      }
      default:
        throw new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `Operation ${operation} is not supported by the local SQS (the dead-letter queue is read-only here)`);
    }
  }

  private attributes(): Record<string, string> {
    return {
      ApproximateNumberOfMessages: String(this.deadLetters.length),
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: String(this.createdAt),
      LastModifiedTimestamp: String(this.createdAt),
      MessageRetentionPeriod: '1209600',
      QueueArn: this.arn,
      VisibilityTimeout: '30',
      DelaySeconds: '0',
      MaximumMessageSize: '262144',
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
    };
  }
}

/**
 * The same calls over SQS's query protocol (form-encoded `Action=...`, XML answers), which
 * older clients such as AWS CLI 2.9 still use.
 */
export function queryInput(body: string): { operation: string; input: Record<string, unknown> } {
  const form = new URLSearchParams(body);
  const attributeNames = [...form.entries()].filter(([k]) => /^AttributeName(\.\d+)?$/.test(k)).map(([, v]) => v);
  const input: Record<string, unknown> = { ...(attributeNames.length ? { AttributeNames: attributeNames } : {}) };
  for (const name of ['QueueUrl', 'QueueName', 'QueueOwnerAWSAccountId']) if (form.has(name)) input[name] = form.get(name);
  return { operation: form.get('Action') ?? '', input };
}

export function queryResponseXml(operation: string, output: Record<string, unknown>): string {
  const attributes = (output.Attributes ?? {}) as Record<string, string>;
  const result =
    operation === 'GetQueueUrl'
      ? `<QueueUrl>${escapeXml(String(output.QueueUrl))}</QueueUrl>`
      : Object.entries(attributes)
          .map(([k, v]) => `<Attribute><Name>${escapeXml(k)}</Name><Value>${escapeXml(v)}</Value></Attribute>`)
          .join('');
  return `<${operation}Response xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`;
}

export function queryErrorXml(err: SqsError): string {
  return `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>${escapeXml(err.queryCode)}</Code><Message>${escapeXml(err.message)}</Message><Detail/></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`;
}

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

const notFound = () => new SqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
