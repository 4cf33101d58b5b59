/** Every item the audit table holds for an object, dedupe markers included (the history hides them). */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TestState } from './dynamo.js';

export async function auditItems(state: Pick<TestState, 'ddb' | 'tableNames'>, objectId: string): Promise<Record<string, unknown>[]> {
  const out = await state.ddb.send(new QueryCommand({ TableName: state.tableNames.audit, KeyConditionExpression: 'objectId = :id', ExpressionAttributeValues: { ':id': objectId } }));
  return out.Items ?? [];
}

/** The sort keys of the object's dedupe markers: each one is a write an entry did not need. */
export async function dedupeMarkers(state: Pick<TestState, 'ddb' | 'tableNames'>, objectId: string): Promise<string[]> {
  return (await auditItems(state, objectId)).map((item) => String(item.at)).filter((at) => at.startsWith('#dedupe#'));
}
