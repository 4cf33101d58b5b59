/**
 * The local default event bus: rules with the stack's own patterns, Lambda targets invoked
 * asynchronously with retries (as EventBridge does), and a dead-letter list for events that
 * still fail, so nothing is dropped silently. Each target runs a bounded number of
 * invocations at once and queues the rest, as Lambda's asynchronous queue does: a burst of
 * events waits its turn instead of starving the workflow's own invocations.
 *
 * Once EventBridge has accepted an event it delivers it. With a journal file, every accepted
 * event is written down before `publish` returns (so before PutEvents, or the S3 request that
 * emitted it, is answered), each rule's delivery is marked done or dead-lettered when it ends,
 * and a restart delivers what was accepted and never marked: at least once, as on AWS.
 */
import { randomUUID } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { matchesPattern } from './event-pattern.js';
import { StateJournal } from './state-journal.js';

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

/**
 * The bus's journal: an accepted event (numbered, since an at-least-once copy of an event
 * carries the same id) with the rules it matched, one rule's delivery ended, or a dead letter.
 */
type BusJournalLine = { accepted: number; event: BusEvent; rules: string[] } | { delivered: number; rule: string } | { deadLettered: number; letter: DeadLetter };

/**
 * An accepted event (as its JSON text) and the rules it still has to reach. A burst queues
 * tens of thousands of events behind a busy target; as text each takes a fraction of the
 * memory of the object it was, and each delivery parses its own copy from it anyway.
 */
interface Undelivered {
  seq: number;
  json: string;
  rules: Set<string>;
}

export class EventBus {
  private readonly rules: Rule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency = new Map<string, LimitFunction>();
  readonly deadLetters: DeadLetter[] = [];
  private readonly journal?: StateJournal<BusJournalLine>;
  private readonly undelivered = new Map<number, Undelivered>();
  private nextSeq = 1;
  /** What the journal held at start, until `resume` delivers it. */
  private replayed: Undelivered[] = [];

  constructor(
    private readonly account: string,
    private readonly region: string,
    private readonly retry: { attempts: number; baseDelayMs: number },
    private readonly log: (message: string) => void,
    /** Invocations of one rule's target at once (Lambda's concurrency for the function). */
    private readonly concurrentPerTarget = 16,
    /** Where accepted events and dead letters are kept between runs; undefined = memory only. */
    journalFile?: string,
  ) {
    if (!journalFile) return;
    this.journal = new StateJournal<BusJournalLine>(journalFile, 'before-acknowledging');
    for (const line of this.journal.read()) {
      if ('accepted' in line) this.undelivered.set(line.accepted, { seq: line.accepted, json: JSON.stringify(line.event), rules: new Set(line.rules) });
      else if ('delivered' in line) this.markDone(line.delivered, line.rule);
      else {
        this.deadLetters.push(line.letter);
        this.markDone(line.deadLettered, line.letter.rule);
      }
    }
    // Compacted at start, renumbered from 1: what is still to deliver, and the dead-letter list
    // (as `deadLettered: 0`, which names no accepted event).
    const pending = [...this.undelivered.values()];
    this.undelivered.clear();
    for (const entry of pending) this.undelivered.set(this.nextSeq, { ...entry, seq: this.nextSeq++ });
    this.replayed = [...this.undelivered.values()];
    this.journal.compact([
      ...this.deadLetters.map((letter) => ({ deadLettered: 0, letter })),
      ...this.replayed.map(({ seq, json, rules }) => ({ accepted: seq, event: JSON.parse(json) as BusEvent, rules: [...rules] })),
    ]);
  }

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

  /**
   * Accepts an event: journals it with the rules it matches (before returning, so before the
   * caller answers its own request), then delivers to each rule asynchronously. Returns how
   * many rules matched.
   */
  publish(event: BusEvent): number {
    const matched = this.rules.filter((rule) => rule.enabled !== false && matchesPattern(rule.pattern as never, event));
    if (matched.length === 0) return 0;
    const seq = this.nextSeq++;
    const json = JSON.stringify(event);
    const names = matched.map((r) => r.name);
    if (this.journal) {
      this.undelivered.set(seq, { seq, json, rules: new Set(names) });
      // The journal line, built around the event's text rather than serialising the event again.
      this.journal.appendSerialized(`{"accepted":${seq},"event":${json},"rules":${JSON.stringify(names)}}`);
    }
    for (const rule of matched) this.start(seq, rule, json);
    return matched.length;
  }

  /**
   * Delivers the events a previous run accepted and did not deliver (call once every rule is
   * added and the targets can run). A rule that no longer exists dead-letters its events.
   */
  resume(): number {
    const pending = this.replayed;
    this.replayed = [];
    for (const { seq, json, rules } of pending) {
      for (const name of rules) {
        const rule = this.rules.find((r) => r.name === name);
        if (rule) this.start(seq, rule, json);
        else this.deadLetter(seq, { rule: name, event: JSON.parse(json) as BusEvent, error: `RuleNotFound: the rule ${name} no longer exists` });
      }
    }
    if (pending.length > 0) this.log(`delivering ${pending.length} event(s) accepted before the local cloud stopped`);
    return pending.length;
  }

  /** Resolves once every delivery started so far has finished (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Writes what is left and releases the journal (after `drain`, or to stop without delivering). */
  close(): void {
    this.journal?.close();
  }

  private start(seq: number, rule: Rule, json: string): void {
    const delivery = this.deliver(seq, rule, json).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** `json`: the event's text; each attempt gets its own copy of the event, as each Lambda invocation does. */
  private async deliver(seq: number, rule: Rule, json: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.concurrency.get(rule.name)!(() => rule.target(JSON.parse(json) as BusEvent));
        this.markDone(seq, rule.name);
        this.journal?.append({ delivered: seq, rule: rule.name });
        return;
      } catch (err) {
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (attempt >= this.retry.attempts) {
          const event = JSON.parse(json) as BusEvent;
          this.deadLetter(seq, { rule: rule.name, event, error: message });
          this.log(`event ${event.id} (${event['detail-type']}) to ${rule.name} failed ${attempt} times, dead-lettered: ${message}`);
          return;
        }
        // Real time, not simulated: what a retry waits out (a throttled StartExecution, a busy
        // table) recovers at this machine's pace, whatever the scale of simulated hours.
        const delay = this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private deadLetter(seq: number, letter: DeadLetter): void {
    this.deadLetters.push(letter);
    this.markDone(seq, letter.rule);
    this.journal?.append({ deadLettered: seq, letter });
  }

  private markDone(seq: number, rule: string): void {
    const entry = this.undelivered.get(seq);
    if (!entry) return;
    entry.rules.delete(rule);
    if (entry.rules.size === 0) this.undelivered.delete(seq);
  }
}
