/** Seeds an object's record the way detect-access leaves it, for tests that start later in the flow. */
import { executionNameOf, objectIdOf, type ObjectRef } from '../../functions/shared/object-id.js';
import { readerFromIdentity } from '../../functions/shared/reader.js';
import type { ObjectRecord } from '../../functions/shared/records.js';
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
  if (options.fields) await state.records.update(opened.objectId, cycle, options.fields);
  return (await state.records.get(opened.objectId))!;
}
