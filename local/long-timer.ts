/**
 * A timer for simulated waits that can be longer than Node's: `setTimeout` holds at most
 * 2^31 - 1 ms (24.8 days) and fires a longer delay after 1 ms instead. A restored copy kept for
 * years on a slow simulated clock is such a wait; this one waits in steps until its time.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** Calls `fn` once, `ms` from now (however long), unless cleared first. */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  const at = Date.now() + Math.max(0, ms);
  let handle: NodeJS.Timeout;
  const arm = () => {
    const left = at - Date.now();
    handle = left > MAX_TIMEOUT_MS ? setTimeout(arm, MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return { clear: () => clearTimeout(handle) };
}
