import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMEOUT_MS, setLongTimeout } from '../../local/long-timer.js';

const DAY = 24 * 3_600_000;

describe('setLongTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits past the 24.8 days a plain setTimeout can hold, and fires once at its time', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 60 * DAY);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 1_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(60 * DAY - MAX_TIMEOUT_MS - 2_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('a short wait is a plain timer; a cleared one never fires, long or short', () => {
    const short = vi.fn();
    setLongTimeout(short, 50);
    vi.advanceTimersByTime(50);
    expect(short).toHaveBeenCalledTimes(1);
    const cleared = [vi.fn(), vi.fn()];
    setLongTimeout(cleared[0]!, 10).clear();
    const long = setLongTimeout(cleared[1]!, 40 * DAY);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 10);
    long.clear();
    vi.advanceTimersByTime(40 * DAY);
    expect(cleared.map((f) => f.mock.calls.length)).toEqual([0, 0]);
  });
});
