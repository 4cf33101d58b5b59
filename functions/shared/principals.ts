/** The principal map: any identifier CloudTrail gives a reader (access key id, ARN, principal id, Identity Center user id, session or user name, issuing role, account id) -> email address. */
import { BatchGetCommand, DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { principalLookupKeys, type Reader } from './reader.js';

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
    const items: PrincipalMapping[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as PrincipalMapping[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items.sort((a, b) => a.principal.localeCompare(b.principal));
  }

  /**
   * Resolves many readers at once (one BatchGetItem per 100 identifiers). The most specific
   * identifier that has a mapping wins. Readers with no mapping are absent from the result.
   */
  async resolve(readers: Reader[]): Promise<Map<string, string>> {
    const wanted = [...new Set(readers.flatMap(principalLookupKeys))];
    const emails = new Map<string, string>();
    for (let i = 0; i < wanted.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.table]: { Keys: wanted.slice(i, i + 100).map((principal) => ({ principal })) },
      };
      while (request && Object.keys(request).length > 0) {
        const out = await this.ddb.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.table] ?? []) emails.set(item.principal as string, item.email as string);
        request = out.UnprocessedKeys as typeof request | undefined;
      }
    }
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
