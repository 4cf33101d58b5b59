/**
 * What every command needs: AWS clients (default credential chain, or any endpoint) and where
 * the stack's resources are, from the CloudFormation stack's outputs or from flags.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditLog } from '../functions/domain/stores/audit.js';
import { NoticeBook } from '../functions/domain/stores/notices.js';
import { PrincipalMap } from '../functions/domain/stores/principals.js';
import { ObjectRecords } from '../functions/domain/stores/records.js';
import type { StackOutputName } from '../infra/outputs.js';
import { UsageError } from './s3-url.js';
import { documentClient } from '../functions/domain/wiring/document-client.js';

export interface GlobalOptions {
  endpointUrl?: string;
  region?: string;
  stackName: string;
  stateMachineArn?: string;
  objectsTable?: string;
  auditTable?: string;
  noticesTable?: string;
  principalsTable?: string;
  json: boolean;
}

export interface Resources {
  stateMachineArn: string;
  objectsTable: string;
  auditTable: string;
  noticesTable: string;
  principalsTable: string;
}

const OUTPUTS: Record<keyof Resources, StackOutputName> = {
  stateMachineArn: 'StateMachineArn',
  objectsTable: 'ObjectsTableName',
  auditTable: 'AuditTableName',
  noticesTable: 'NoticesTableName',
  principalsTable: 'PrincipalsTableName',
};

export class Context {
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly ddb: DynamoDBDocumentClient;
  private readonly cfn: CloudFormationClient;
  /** Endpoint and Region as given (flags, then environment), for any further client. */
  readonly clientConfig: { endpoint?: string; region?: string };
  private resources?: Resources;
  private stackOutputs?: Promise<Partial<Record<StackOutputName, string>>>;

  constructor(readonly options: GlobalOptions) {
    const endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
    // The AWS CLI reads AWS_DEFAULT_REGION; the SDK only AWS_REGION and the profile.
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const config = { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) };
    this.clientConfig = config;
    this.s3 = new S3Client({ ...config, forcePathStyle: Boolean(endpoint) });
    this.sfn = new SFNClient({ ...config, maxAttempts: 8 });
    this.ddb = documentClient(config);
    this.cfn = new CloudFormationClient(config);
  }

  /** The stack's resources: flags win; the rest comes from the stack's outputs. */
  async stack(): Promise<Resources> {
    if (this.resources) return this.resources;
    const given: Partial<Resources> = Object.fromEntries(
      Object.keys(OUTPUTS)
        .map((k) => [k, this.options[k as keyof Resources]] as const)
        .filter(([, v]) => v),
    );
    if (Object.keys(given).length === Object.keys(OUTPUTS).length) return (this.resources = given as Resources);
    let outputs: Partial<Record<StackOutputName, string>>;
    try {
      outputs = await this.outputs();
    } catch (err) {
      if ((err as Error).name === 'ValidationError') {
        throw new UsageError(`stack ${this.options.stackName} not found: deploy it, name it with --stack-name, or give --state-machine-arn and the --*-table flags`);
      }
      throw err;
    }
    const resources = { ...Object.fromEntries(Object.entries(OUTPUTS).map(([k, output]) => [k, outputs[output]])), ...given } as Partial<Resources>;
    const missing = Object.entries(OUTPUTS)
      .filter(([k]) => !resources[k as keyof Resources])
      .map(([, output]) => output);
    if (missing.length) throw new UsageError(`stack ${this.options.stackName} has no output ${missing.join(', ')}: give the matching flags`);
    return (this.resources = resources as Resources);
  }

  /** The stack's outputs by name (DescribeStacks; the SDK's error when the stack is missing). */
  outputs(): Promise<Partial<Record<StackOutputName, string>>> {
    this.stackOutputs ??= this.cfn
      .send(new DescribeStacksCommand({ StackName: this.options.stackName }))
      .then((out) => Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!])));
    return this.stackOutputs;
  }

  /** The Region the clients use: the stack's Region. */
  region(): Promise<string> {
    return this.cfn.config.region();
  }

  async repositories() {
    const r = await this.stack();
    return {
      records: new ObjectRecords(this.ddb, r.objectsTable),
      audit: new AuditLog(this.ddb, r.auditTable),
      notices: new NoticeBook(this.ddb, r.noticesTable),
      principals: new PrincipalMap(this.ddb, r.principalsTable),
      stateMachineArn: r.stateMachineArn,
    };
  }

  /** The caller's access key: the reader a CLI request is recorded as, like CloudTrail would. */
  async callerAccessKey(): Promise<string> {
    const credentials = await this.s3.config.credentials();
    return credentials.accessKeyId;
  }

  close(): void {
    for (const client of [this.s3, this.sfn, this.ddb, this.cfn]) client.destroy();
  }
}
