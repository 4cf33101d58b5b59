/**
 * SDK clients, created once per process. With AWS_ENDPOINT_URL set (the local cloud) S3 is
 * addressed path-style, which every S3-compatible local server understands.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './document-client.js';

const localEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);

let s3: S3Client | undefined;
let sfn: SFNClient | undefined;
let ddb: DynamoDBDocumentClient | undefined;
let ses: SESv2Client | undefined;

export const clients = {
  s3: () => (s3 ??= new S3Client({ forcePathStyle: localEndpoint })),
  /** StartExecution is throttled under bursts: more attempts than the default three. */
  sfn: () => (sfn ??= new SFNClient({ maxAttempts: 8 })),
  ddb: () => (ddb ??= documentClient({ maxAttempts: 8 })),
  ses: () => (ses ??= new SESv2Client({})),
};
