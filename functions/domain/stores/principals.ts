/** The principal map: any identifier CloudTrail gives a reader (access key id, ARN, principal id, Identity Center user id, session or user name, issuing role, account id) -> email address. */
import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allPages, batchGetAll } from './dynamodb.js';
import { principalLookupKeys, type Reader } from '../rules/reader.js';

export interface PrincipalMapping {
  principal: string;
  email: string;
  updatedAt: string;
}

export class PrincipalMap {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(principal: string, email: string, now: Date): Promise<void> {
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: { principal, email, updatedAt: now.toISOString() } }));
  }

  /** False when there was no such mapping. */
  async remove(principal: string): Promise<boolean> {
    const out = await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { principal }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  /** Every mapping, for the operator's listing (a Scan: an admin command, never per event). */
  async list(): Promise<PrincipalMapping[]> {
    const items = await allPages<PrincipalMapping>((startKey) => this.ddb.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: startKey })));
    return items.sort((a, b) => a.principal.localeCompare(b.principal));
  }

  /**
   * Resolves many readers at once (one BatchGetItem per 100 identifiers). The most specific
   * identifier that has a mapping wins. Readers with no mapping are absent from the result.
   */
  async resolve(readers: Reader[]): Promise<Map<string, string>> {
    const wanted = [...new Set(readers.flatMap(principalLookupKeys))];
    const found = await batchGetAll(
      this.ddb,
      this.table,
      wanted.map((principal) => ({ principal })),
    );
    const emails = new Map(found.map((item) => [item.principal as string, item.email as string]));
    const byReader = new Map<string, string>();
    for (const reader of readers) {
      if (reader.email) {
        byReader.set(reader.id, reader.email);
        continue;
      }
      const key = principalLookupKeys(reader).find((k) => emails.has(k));
      if (key) byReader.set(reader.id, emails.get(key)!);
    }
    return byReader;
  }
}
