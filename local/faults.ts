/** Fault injection for tests and demos: the failures a real deployment meets. */
export interface Faults {
  /** Share (0-1) of CloudTrail read events that never reach EventBridge. */
  dropReadEvents: number;
  /** Share (0-1) of S3 restore completed / expired events that never reach EventBridge. */
  dropRestoreEvents: number;
  /** Extra copies of every S3-originated event (CloudTrail and restore events): at-least-once delivery. */
  duplicateS3Events: number;
  /** StartExecution calls allowed per second (a token bucket); beyond it, ThrottlingException. 0 = unlimited. */
  startExecutionPerSecond: number;
  /** Share (0-1) of SES SendEmail calls that fail with a 5xx. */
  sesFailureRate: number;
}

export const NO_FAULTS: Faults = { dropReadEvents: 0, dropRestoreEvents: 0, duplicateS3Events: 0, startExecutionPerSecond: 0, sesFailureRate: 0 };

/** A token bucket: `perSecond()` tokens a second, holding at most one second's worth; the rate may change while running. */
export class RateLimiter {
  private tokens = 0;
  private last = 0;

  constructor(private readonly perSecond: () => number) {}

  tryTake(): boolean {
    const rate = this.perSecond();
    if (rate <= 0) return true;
    const now = Date.now();
    this.tokens = Math.min(rate, this.last === 0 ? rate : this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Decides by share; the random source is injectable so tests can make it deterministic. */
export function happens(share: number, random: () => number = Math.random): boolean {
  return share > 0 && random() < share;
}
