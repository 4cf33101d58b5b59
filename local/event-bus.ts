/**
 * The local default event bus: rules with the stack's own patterns, Lambda targets invoked
 * asynchronously with retries (as EventBridge does), and a dead-letter list for events that
 * still fail, so nothing is dropped silently. Each target runs a bounded number of
 * invocations at once and queues the rest, as Lambda's asynchronous queue does: a burst of
 * events waits its turn instead of starving the workflow's own invocations.
 */
import { randomUUID } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { matchesPattern } from './event-pattern.js';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface Rule {
  name: string;
  pattern: Record<string, unknown>;
  target: (event: BusEvent) => Promise<unknown>;
  /** false: DisableRule switched it off; a disabled rule routes nothing. */
  enabled?: boolean;
}

export interface DeadLetter {
  rule: string;
  event: BusEvent;
  error: string;
}

export class EventBus {
  private readonly rules: Rule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency = new Map<string, LimitFunction>();
  readonly deadLetters: DeadLetter[] = [];

  constructor(
    private readonly account: string,
    private readonly region: string,
    private readonly retry: { attempts: number; baseDelayMs: number },
    private readonly log: (message: string) => void,
    /** Invocations of one rule's target at once (Lambda's concurrency for the function). */
    private readonly concurrentPerTarget = 16,
  ) {}

  addRule(rule: Rule): void {
    this.rules.push(rule);
    this.concurrency.set(rule.name, pLimit(this.concurrentPerTarget));
  }

  /** Builds an event the way PutEvents does. */
  event(source: string, detailType: string, detail: unknown, options: { time?: Date; resources?: string[] } = {}): BusEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.account,
      time: (options.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: options.resources ?? [],
      detail,
    };
  }

  /** Delivers to every matching rule; returns how many rules matched. Delivery is asynchronous. */
  publish(event: BusEvent): number {
    const matched = this.rules.filter((rule) => rule.enabled !== false && matchesPattern(rule.pattern as never, event));
    for (const rule of matched) {
      const delivery = this.deliver(rule, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
    return matched.length;
  }

  /** Resolves once every delivery started so far has finished (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(rule: Rule, event: BusEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.concurrency.get(rule.name)!(() => rule.target(structuredClone(event)));
        return;
      } catch (err) {
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (attempt >= this.retry.attempts) {
          this.deadLetters.push({ rule: rule.name, event, error: message });
          this.log(`event ${event.id} (${event['detail-type']}) to ${rule.name} failed ${attempt} times, dead-lettered: ${message}`);
          return;
        }
        const delay = this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
