/**
 * The local Lambda runtime is a thread of its own: the handlers see the functions' environment,
 * not the host's, and a runtime that dies (as an uncaught error ends it) fails the invocations
 * it held and is replaced, so the reads after it are still restored.
 */
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
const BUCKET = 'runtime-archive';
const READER = 'AKIARUNTIMEREADER001';

beforeAll(async () => {
  h = await startHarness();
  await h.createBucket(BUCKET);
  await h.principals.put(READER, 'runtime@example.com', new Date());
});
afterAll(() => h.stop());

/** The runtime's thread, killed as a crash would end it. */
async function killRuntime(): Promise<void> {
  const worker = await (h.cloud.functions as unknown as { runtime: Promise<Worker> }).runtime;
  await worker.terminate();
}

describe('the local Lambda runtime', () => {
  it('keeps the functions environment out of the host process', () => {
    expect(h.cloud.functions.environment.AWS_ENDPOINT_URL).toBe(h.cloud.endpoint);
    expect(process.env.AWS_ENDPOINT_URL).toBeUndefined();
  });

  it('fails the invocation a crash interrupts, and restores the reads that come after it', async () => {
    const interrupted = h.cloud.functions.invoke('notify-aggregator', { action: 'tick' });
    await killRuntime();
    await expect(interrupted).rejects.toMatchObject({ name: 'Lambda.ServiceException' });

    await h.putObject(BUCKET, 'after-crash.csv', 'GLACIER');
    expect(await h.read(BUCKET, 'after-crash.csv', READER)).toBe('InvalidObjectState');
    const [execution] = await h.waitForExecutions(1, 'SUCCEEDED');
    expect(await h.path(execution!.executionArn!)).toContain('File is ready');
    await eventually(async () => (await h.read(BUCKET, 'after-crash.csv', READER)) === 'OK', 'the object to be readable after its restore');
  });
});
