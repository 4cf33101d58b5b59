import { vi } from 'vitest';
import type { Log } from '../../functions/domain/wiring/logger.js';

/** A logger that records instead of printing, so tests can assert what was logged. */
export function recordingLog() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Record<keyof Log, unknown> as unknown as Log & Record<keyof Log, ReturnType<typeof vi.fn>>;
}
