/**
 * Addresses that asked for no "expires soon" reminders. Kept in the notices table beside the
 * sent-email ledger (a partition per address, never in the pending index), so the principal
 * map's listing shows mappings only.
 */
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './dynamodb.js';

const partition = (email: string) => `#no-reminders#${email.toLowerCase()}`;
const SORT_KEY = '#opt-out';

export class ExpiryReminderOptOuts {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    /** The notices table. */
    private readonly table: string,
  ) {}

  async optOut(email: string, now: Date): Promise<void> {
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: { readerId: partition(email), noticeKey: SORT_KEY, email, optedOutAt: now.toISOString() } }));
  }

  /** False when the address had not opted out. */
  async optIn(email: string): Promise<boolean> {
    const out = await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { readerId: partition(email), noticeKey: SORT_KEY }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  /** Which of these addresses opted out, lower-cased (one BatchGetItem per 100). */
  async optedOut(emails: readonly string[]): Promise<Set<string>> {
    const keys = [...new Set(emails.map((e) => e.toLowerCase()))].map((email) => ({ readerId: partition(email), noticeKey: SORT_KEY }));
    if (keys.length === 0) return new Set();
    return new Set((await batchGetAll(this.ddb, this.table, keys)).map((item) => (item.readerId as string).slice('#no-reminders#'.length)));
  }
}
