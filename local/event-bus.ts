/**
 * The local default event bus: rules with the stack's own patterns, Lambda targets invoked
 * asynchronously with retries (as EventBridge does), and a dead-letter list for events that
 * still fail, so nothing is dropped silently.
 */
import { randomUUID } from 'node:crypto';
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
}

export interface DeadLetter {
  rule: string;
  event: BusEvent;
  error: string;
}

export class EventBus {
  private readonly rules: Rule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  readonly deadLetters: DeadLetter[] = [];

  constructor(
    private readonly account: string,
    private readonly region: string,
    private readonly retry: { attempts: number; baseDelayMs: number },
    private readonly log: (message: string) => void,
  ) {}

  addRule(rule: Rule): void {
    this.rules.push(rule);
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
    const matched = this.rules.filter((rule) => matchesPattern(rule.pattern as never, event));
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
        await rule.target(structuredClone(event));
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
