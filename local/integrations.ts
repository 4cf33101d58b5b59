/**
 * Step Functions service integrations, served by the local services through the AWS SDK:
 * `arn:aws:states:::aws-sdk:<service>:<action>` for S3, DynamoDB, Step Functions and SES v2,
 * and the optimized `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem`.
 * Errors are renamed the way Step Functions names them (`S3.NoSuchKeyException`,
 * `DynamoDB.ConditionalCheckFailedException`), so Catch and Retry behave as on AWS.
 */
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as s3 from '@aws-sdk/client-s3';
import * as sesv2 from '@aws-sdk/client-sesv2';
import * as sfn from '@aws-sdk/client-sfn';
import type { IntegrationCaller } from './asl-runner.js';

type Client = { send(command: unknown): Promise<Record<string, unknown>>; destroy(): void };
type Module = Record<string, unknown>;

const SERVICES: Record<string, { module: Module; client: string; errorPrefix: string }> = {
  s3: { module: s3, client: 'S3Client', errorPrefix: 'S3' },
  dynamodb: { module: dynamodb, client: 'DynamoDBClient', errorPrefix: 'DynamoDb' },
  sfn: { module: sfn, client: 'SFNClient', errorPrefix: 'Sfn' },
  sesv2: { module: sesv2, client: 'SESv2Client', errorPrefix: 'SesV2' },
};
const OPTIMIZED_DYNAMODB = new Set(['getItem', 'putItem', 'updateItem', 'deleteItem']);

export function localIntegrations(endpoint: string, region: string): { call: IntegrationCaller; close(): void } {
  const clients = new Map<string, Client>();
  const clientFor = (service: string): Client => {
    let client = clients.get(service);
    if (!client) {
      const Ctor = SERVICES[service]!.module[SERVICES[service]!.client] as new (config: object) => Client;
      client = new Ctor({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId: 'AKIALOCALSTATES00000', secretAccessKey: 'local' } });
      clients.set(service, client);
    }
    return client;
  };

  const call: IntegrationCaller = async (resource, parameters) => {
    const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
    const optimized = /^arn:aws[a-z-]*:states:::dynamodb:([A-Za-z]+)$/.exec(resource);
    const [service, action, prefix] = sdk ? [sdk[1]!, sdk[2]!, SERVICES[sdk[1]!]?.errorPrefix] : optimized && OPTIMIZED_DYNAMODB.has(optimized[1]!) ? ['dynamodb', optimized[1]!, 'DynamoDB'] : [];
    if (!service || !action || !prefix || !SERVICES[service]) {
      throw Object.assign(new Error(`The resource ${resource} is not supported by the local Step Functions`), { name: 'States.Runtime' });
    }
    const Command = SERVICES[service].module[`${action[0]!.toUpperCase()}${action.slice(1)}Command`] as (new (input: unknown) => unknown) | undefined;
    if (!Command) throw Object.assign(new Error(`${service} has no action ${action}`), { name: 'States.Runtime' });
    try {
      const { $metadata: _metadata, ...output } = await clientFor(service).send(new Command(parameters ?? {}));
      return output;
    } catch (err) {
      const name = (err as Error).name || 'UnknownError';
      throw Object.assign(new Error((err as Error).message), { name: `${prefix}.${name.endsWith('Exception') ? name : `${name}Exception`}` });
    }
  };
  return {
    call,
    close: () => {
      for (const client of clients.values()) client.destroy();
    },
  };
}
