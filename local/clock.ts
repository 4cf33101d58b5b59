/**
 * Simulated time. Restores take hours and waits last a day; locally every such duration is
 * multiplied by one factor (default: one simulated hour = one real second). Timestamps stay
 * real wall-clock times.
 */
export const HOUR_MS = 3_600_000;

export class SimulatedClock {
  /** Real milliseconds per simulated millisecond. */
  readonly factor: number;

  constructor(readonly realMsPerSimulatedHour = 1000) {
    if (!(realMsPerSimulatedHour > 0)) throw new RangeError('the time scale must be positive');
    this.factor = realMsPerSimulatedHour / HOUR_MS;
  }

  /** A simulated duration in real milliseconds. */
  real(simulatedMs: number): number {
    return simulatedMs * this.factor;
  }

  /** Seconds, as ASL `TimeoutSeconds` or an env var, for a simulated number of seconds. */
  realSeconds(simulatedSeconds: number): number {
    return (simulatedSeconds * 1000 * this.factor) / 1000;
  }

  describe(): string {
    return `1 simulated hour = ${this.realMsPerSimulatedHour / 1000} real second(s)`;
  }
}
