/**
 * A real DynamoDB wire protocol (dynalite, in memory) for tests: conditional writes, indexes
 * and queries behave as they do in AWS, so repository logic is tested, not mocked.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { AuditLog } from '../../functions/domain/stores/audit.js';
import { NoticeBook } from '../../functions/domain/stores/notices.js';
import { PrincipalMap } from '../../functions/domain/stores/principals.js';
import { ObjectRecords } from '../../functions/domain/stores/records.js';
import { createTableInput, TABLES, type TableRole } from '../../infra/table-definitions.js';

export interface TestState {
  ddb: DynamoDBDocumentClient;
  tableNames: Record<TableRole, string>;
  records: ObjectRecords;
  audit: AuditLog;
  notices: NoticeBook;
  principals: PrincipalMap;
  stop(): Promise<void>;
}

export async function startTestState(): Promise<TestState> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const raw = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const ddb = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const suffix = randomUUID().slice(0, 8);
  const tableNames = Object.fromEntries((Object.keys(TABLES) as TableRole[]).map((role) => [role, `${role}-${suffix}`])) as Record<TableRole, string>;
  for (const role of Object.keys(TABLES) as TableRole[]) await raw.send(new CreateTableCommand(createTableInput(role, tableNames[role])));
  return {
    ddb,
    tableNames,
    records: new ObjectRecords(ddb, tableNames.objects),
    audit: new AuditLog(ddb, tableNames.audit),
    notices: new NoticeBook(ddb, tableNames.notices),
    principals: new PrincipalMap(ddb, tableNames.principals),
    async stop() {
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
