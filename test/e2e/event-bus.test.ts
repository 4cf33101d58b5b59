/** The local EventBridge: asynchronous delivery with a bounded number of invocations per target. */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../local/event-bus.js';

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
