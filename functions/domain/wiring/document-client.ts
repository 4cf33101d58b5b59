/**
 * The DynamoDB document client the stores expect, apart from the handlers' other clients so that
 * the library, the CLI and the local cloud get it without loading those.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Undefined attributes are left out of the items written (an optional field left undefined),
 * where the SDK's default would refuse the write.
 */
export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
}
