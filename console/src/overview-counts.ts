/** The overview's figures from what the APIs return. Pure, so the figures are tested apart from the page. */
export interface OverviewInput {
  openCycles: { status: string; tier?: string }[];
  executions: { status?: string; stopDate?: Date }[];
  emails: { date: string }[];
  pendingNotices: { kind?: string }[];
  deadLetters: number;
  /** The cost ledger's total for this month. */
  spending: { microUsd: number; restores: number };
}

export interface Overview {
  inFlight: number;
  /** Open cycles by record status, then by retrieval tier (`unknown` before the tier is chosen). */
  inFlightByState: Record<string, Record<string, number>>;
  running: number;
  succeededToday: number;
  /** Executions that ended today without succeeding: failed, timed out or aborted. */
  failedToday: number;
  emailsSent: number;
  emailsSentToday: number;
  noticesPending: number;
  noticesPendingByKind: Record<string, number>;
  deadLetters: number;
  spentThisMonthMicroUsd: number;
  restoresThisMonth: number;
}

/** Midnight UTC of the day `now` falls in: "today" is a UTC day, like the timestamps shown. */
const startOfDay = (now: Date) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());

export function overviewOf(input: OverviewInput, now: Date): Overview {
  const today = startOfDay(now);
  const endedToday = (e: { stopDate?: Date }) => e.stopDate !== undefined && e.stopDate.getTime() >= today;
  const inFlightByState: Overview['inFlightByState'] = {};
  for (const record of input.openCycles) {
    const byTier = (inFlightByState[record.status] ??= {});
    const tier = record.tier ?? 'unknown';
    byTier[tier] = (byTier[tier] ?? 0) + 1;
  }
  const noticesPendingByKind: Record<string, number> = {};
  for (const n of input.pendingNotices) noticesPendingByKind[n.kind ?? 'unknown'] = (noticesPendingByKind[n.kind ?? 'unknown'] ?? 0) + 1;
  return {
    inFlight: input.openCycles.length,
    inFlightByState,
    running: input.executions.filter((e) => e.status === 'RUNNING').length,
    succeededToday: input.executions.filter((e) => e.status === 'SUCCEEDED' && endedToday(e)).length,
    failedToday: input.executions.filter((e) => (e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED') && endedToday(e)).length,
    emailsSent: input.emails.length,
    emailsSentToday: input.emails.filter((m) => new Date(m.date).getTime() >= today).length,
    noticesPending: input.pendingNotices.length,
    noticesPendingByKind,
    deadLetters: input.deadLetters,
    spentThisMonthMicroUsd: input.spending.microUsd,
    restoresThisMonth: input.spending.restores,
  };
}
