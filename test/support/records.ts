/** Seeds an object's record the way detect-access leaves it, for tests that start later in the flow. */
import { executionNameOf, objectIdOf, type ObjectRef } from '../../functions/domain/rules/object-id.js';
import { readerFromIdentity } from '../../functions/domain/rules/reader.js';
import type { CloseOutcome, ObjectRecord, RecordStatus } from '../../functions/domain/stores/records.js';
import { iamUser } from '../fixtures/events.js';
import type { TestState } from './dynamo.js';

export async function seedCycle(state: TestState, ref: ObjectRef, options: { cycle?: number; readers?: string[]; fields?: Partial<ObjectRecord> } = {}): Promise<ObjectRecord> {
  const cycle = options.cycle ?? 1;
  const readers = (options.readers ?? ['alice']).map((name) => readerFromIdentity(iamUser(name))!);
  const opened = await state.records.openCycle(ref, cycle === 1 ? { action: 'open', cycle } : { action: 'open', cycle, previousCycle: cycle - 1 }, {
    reader: readers[0]!,
    executionName: executionNameOf(ref, cycle),
    now: new Date('2026-11-22T10:00:00Z'),
  });
  if (!opened) throw new Error(`could not seed ${objectIdOf(ref)}`);
  for (const reader of readers.slice(1)) await state.records.addSubscriber(opened.objectId, cycle, reader, new Date('2026-11-22T10:00:01Z'));
  if (options.fields) {
    const { status, outcome, outcomeReason, ...fields } = options.fields;
    if (status) await moveTo(state, opened.objectId, cycle, status, outcome ?? 'FAILED', outcomeReason ?? 'closed by the test');
    if (Object.keys(fields).length > 0) await state.records.update(opened.objectId, cycle, fields);
  }
  return (await state.records.get(opened.objectId))!;
}

/** Brings a freshly opened cycle to `status` through the record's own transitions. */
async function moveTo(state: TestState, objectId: string, cycle: number, status: RecordStatus, outcome: CloseOutcome, reason: string): Promise<void> {
  switch (status) {
    case 'STARTING':
      return;
    case 'RESTORING':
      await state.records.markRestoring(objectId, cycle, {});
      return;
    case 'RESTORED':
      await state.records.markRestored(objectId, cycle, {});
      return;
    case 'EXPIRED':
      await state.records.markRestored(objectId, cycle, {});
      await state.records.expire(objectId, cycle);
      return;
    case 'CLOSED':
      await state.records.close(objectId, cycle, outcome, reason);
  }
}
