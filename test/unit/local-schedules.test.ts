import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from '../../local/clock.js';
import { startSchedules } from '../../local/deployment.js';
import type { LocalFunctions } from '../../local/functions.js';
import { localDeploymentConfig } from '../../local/deployment-config.js';

describe("the local cloud's schedules", () => {
  it("run the aggregator at the deployment's rate, on the simulated clock", async () => {
    vi.useFakeTimers();
    try {
      const invoked: string[] = [];
      const functions = { invoke: async (name: string) => void invoked.push(name) } as unknown as LocalFunctions;
      // 60 real seconds per simulated hour: a simulated minute is one real second.
      const clock = new SimulatedClock(60_000);
      const config = localDeploymentConfig({ aggregatorScheduleMinutes: 5 });
      const schedules = startSchedules(functions, clock, { aggregatorEveryMinutes: config.aggregatorScheduleMinutes, reconcileEveryMinutes: 0 }, () => undefined);
      await vi.advanceTimersByTimeAsync(4_999);
      expect(schedules.ticks).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(schedules.ticks).toBe(1);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(invoked).toEqual(['notify-aggregator', 'notify-aggregator', 'notify-aggregator']);
      await schedules.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('run the aggregator every simulated minute by default, as the stack does', () => {
    expect(localDeploymentConfig({}).aggregatorScheduleMinutes).toBe(1);
  });
});
