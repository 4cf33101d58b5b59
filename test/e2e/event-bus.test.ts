/** The local EventBridge: asynchronous delivery with a bounded number of invocations per target, and a journal of accepted events. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, type Rule } from '../../local/event-bus.js';
import { eventually } from '../../local/eventually.js';

describe('local event bus', () => {
  it('runs at most the target concurrency at once, queues the rest, and delivers every event', async () => {
    const bus = new EventBus('000000000000', 'us-east-1', { attempts: 3, baseDelayMs: 1 }, () => undefined, 4);
    let running = 0;
    let most = 0;
    const delivered: number[] = [];
    bus.addRule({
      name: 'Slow',
      pattern: { source: ['test'] },
      target: async (event) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        delivered.push((event.detail as { n: number }).n);
        running--;
      },
    });
    for (let n = 0; n < 40; n++) expect(bus.publish(bus.event('test', 'Thing', { n }))).toBe(1);
    await bus.drain();
    expect(most).toBe(4);
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered).size).toBe(40);
    expect(bus.deadLetters).toEqual([]);
  });

  it('a failing target is retried, then dead-lettered, without holding a slot while it waits', async () => {
    const bus = new EventBus('000000000000', 'us-east-1', { attempts: 3, baseDelayMs: 20 }, () => undefined, 1);
    const calls: string[] = [];
    bus.addRule({
      name: 'Mixed',
      pattern: { source: ['test'] },
      target: async (event) => {
        const id = (event.detail as { id: string }).id;
        calls.push(id);
        if (id === 'bad') throw Object.assign(new Error('no'), { name: 'Boom' });
      },
    });
    bus.publish(bus.event('test', 'Thing', { id: 'bad' }));
    bus.publish(bus.event('test', 'Thing', { id: 'good' }));
    await bus.drain();
    // The good event ran while the bad one waited to be retried.
    expect(calls).toEqual(['bad', 'good', 'bad', 'bad']);
    expect(bus.deadLetters.map((d) => [d.rule, d.error])).toEqual([['Mixed', 'Boom: no']]);
  });
});

describe('local event bus journal', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const journaledBus = (file: string, target: Rule['target'], attempts = 3) => {
    const bus = new EventBus('000000000000', 'us-east-1', { attempts, baseDelayMs: 1 }, () => undefined, 4, file);
    bus.addRule({ name: 'Reads', pattern: { source: ['test'] }, target });
    return bus;
  };

  it('an accepted event is on file when publish returns, and a restart delivers what was never delivered', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-bus-'));
    const file = join(dir, 'eventbridge.jsonl');
    const delivered: number[] = [];
    // The first run "crashes": its target never finishes, and nothing is flushed or closed.
    const first = journaledBus(file, async (event) => {
      const n = (event.detail as { n: number }).n;
      if (n < 2) delivered.push(n);
      else await new Promise(() => undefined);
    });
    for (let n = 0; n < 5; n++) first.publish(first.event('test', 'Thing', { n }));
    await eventually(() => delivered.length === 2, 'the first two deliveries');
    // What the journal holds now is what a kill -9 would leave.
    const afterCrash = readFileSync(file, 'utf8');

    // The restart reads a copy: the first run's stuck deliveries keep writing to its own file.
    writeFileSync(join(dir, 'copy.jsonl'), afterCrash);
    const redelivered: number[] = [];
    const restarted = journaledBus(join(dir, 'copy.jsonl'), async (event) => {
      redelivered.push((event.detail as { n: number }).n);
    });
    expect(restarted.resume()).toBe(3);
    await restarted.drain();
    expect(redelivered.sort()).toEqual([2, 3, 4]);
    restarted.close();
    // Delivered and compacted: a third start has nothing left to deliver.
    const third = journaledBus(join(dir, 'copy.jsonl'), async () => undefined);
    expect(third.resume()).toBe(0);
    third.close();
  });

  it('copies of one event (at-least-once delivery) are delivered and marked one by one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-bus-'));
    const file = join(dir, 'eventbridge.jsonl');
    let calls = 0;
    const bus = journaledBus(file, async () => {
      calls++;
      if (calls > 1) await new Promise(() => undefined);
    });
    const event = bus.event('test', 'Thing', { n: 1 });
    bus.publish(event);
    bus.publish(event);
    await eventually(() => calls === 2, 'both copies to reach the target');
    const restarted = journaledBus(file, async () => undefined);
    // One copy was delivered, the other was not: exactly one is delivered again.
    expect(restarted.resume()).toBe(1);
    await restarted.drain();
    restarted.close();
  });

  it('keeps the dead-letter list across restarts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-bus-'));
    const file = join(dir, 'eventbridge.jsonl');
    const bus = journaledBus(
      file,
      async () => {
        throw Object.assign(new Error('no'), { name: 'Boom' });
      },
      2,
    );
    bus.publish(bus.event('test', 'Thing', { id: 'bad' }));
    await bus.drain();
    expect(bus.deadLetters).toHaveLength(1);
    const restarted = journaledBus(file, async () => undefined);
    expect(restarted.resume()).toBe(0);
    expect(restarted.deadLetters.map((d) => [d.rule, d.error, (d.event.detail as { id: string }).id])).toEqual([['Reads', 'Boom: no', 'bad']]);
    restarted.close();
    // Kept through the compaction too.
    const again = journaledBus(file, async () => undefined);
    expect(again.deadLetters).toHaveLength(1);
    again.close();
  });
});
