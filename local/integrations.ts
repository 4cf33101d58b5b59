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
import { S3ControlClient, S3ControlError, type RestoreJobRequest } from '../functions/restore-batch/s3control.js';
import type { IntegrationCaller } from './asl-runner.js';

/** The account S3 Control calls run as when the request names none (every local call names one). */
const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * `aws-sdk:s3control:*`: there is no S3 Control client in the SDK here, so the call goes out
 * signed by the project's own (functions/restore-batch/s3control.ts), with the account the
 * parameters name; errors are named `S3Control.<Code>` as Step Functions names them.
 */
async function callS3Control(control: S3ControlClient, action: string, parameters: Record<string, unknown>): Promise<unknown> {
  const { AccountId, ...input } = parameters;
  const client = typeof AccountId === 'string' && AccountId !== LOCAL_ACCOUNT_ID ? control.forAccount(AccountId) : control;
  try {
    switch (action) {
      case 'createJob':
        return await client.createJob(input as unknown as RestoreJobRequest);
      case 'describeJob':
        return { Job: await client.describeJob(String(input.JobId)) };
      case 'listJobs':
        return await client.listJobs(input);
      case 'updateJobStatus':
        return await client.updateJobStatus(String(input.JobId), input.RequestedJobStatus as 'Cancelled' | 'Ready', input.StatusUpdateReason as string | undefined);
      default:
        throw Object.assign(new Error(`s3control has no action ${action} in the local Step Functions`), { name: 'States.Runtime' });
    }
  } catch (err) {
    if (err instanceof S3ControlError) throw Object.assign(new Error(err.message), { name: `S3Control.${err.code}` });
    throw err;
  }
}

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

  let control: S3ControlClient | undefined;
  const call: IntegrationCaller = async (resource, parameters) => {
    const s3control = /^arn:aws[a-z-]*:states:::aws-sdk:s3control:([A-Za-z]+)$/.exec(resource);
    if (s3control) {
      control ??= new S3ControlClient({ accountId: LOCAL_ACCOUNT_ID, region, endpoint, credentials: { accessKeyId: 'AKIALOCALSTATES00000', secretAccessKey: 'local' } });
      return callS3Control(control, s3control[1]!, (parameters ?? {}) as Record<string, unknown>);
    }
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
