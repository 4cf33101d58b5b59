/**
 * What an execution's history (GetExecutionHistory) says about each state: the path taken,
 * the transitions between consecutive states, the states still running, and each visit's
 * attempts, errors, input, output and timing. Pure: reads events, draws nothing.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export interface Transition {
  from: string;
  to: string;
  /** The state failed before moving on: the transition went through one of its Catch rules. */
  caught: boolean;
}

export interface Visit {
  enteredAt?: Date;
  exitedAt?: Date;
  input?: string;
  output?: string;
  /** Each try of the state's task: one, plus one per Retry. */
  attempts: number;
  errors: { error?: string; cause?: string; at?: Date }[];
}

const enteredName = (e: HistoryEvent) => (e.type?.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined);
const exitedName = (e: HistoryEvent) => (e.type?.endsWith('StateExited') ? e.stateExitedEventDetails?.name : undefined);
const SCHEDULED = /(Task|LambdaFunction|ActivityScheduled)Scheduled$|^ActivityScheduled$/;
const FAILED = /(Failed|TimedOut|StartFailed|SubmitFailed)$/;

function failureOf(e: HistoryEvent): { error?: string; cause?: string } | undefined {
  if (!e.type || !FAILED.test(e.type) || e.type.startsWith('Execution')) return undefined;
  const details =
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.lambdaFunctionFailedEventDetails ??
    e.lambdaFunctionTimedOutEventDetails ??
    e.lambdaFunctionScheduleFailedEventDetails ??
    e.lambdaFunctionStartFailedEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails ??
    e.activityFailedEventDetails ??
    e.activityTimedOutEventDetails;
  return { error: details?.error, cause: details?.cause };
}

/** States in the order they were entered (a state entered twice appears twice). */
export function pathOf(events: HistoryEvent[]): string[] {
  return events.map(enteredName).filter((n): n is string => n !== undefined);
}

/** Consecutive states of the path; a failure inside the first means its Catch led to the second. */
export function transitionsOf(events: HistoryEvent[]): Transition[] {
  const transitions: Transition[] = [];
  let previous: { name: string; failedSinceEntered: boolean; lastFailedAttempt: boolean } | undefined;
  for (const e of events) {
    const name = enteredName(e);
    if (name !== undefined) {
      if (previous) transitions.push({ from: previous.name, to: name, caught: previous.lastFailedAttempt });
      previous = { name, failedSinceEntered: false, lastFailedAttempt: false };
      continue;
    }
    if (!previous || !e.type) continue;
    if (failureOf(e)) previous = { ...previous, failedSinceEntered: true, lastFailedAttempt: true };
    // A new attempt after a failure is a Retry: only a failure of the last attempt is caught.
    else if (SCHEDULED.test(e.type) || /Succeeded$/.test(e.type)) previous = { ...previous, lastFailedAttempt: false };
  }
  return transitions;
}

/** The states entered and not yet exited: where a running execution is now. */
export function currentStates(events: HistoryEvent[]): string[] {
  const open = new Map<string, number>();
  for (const e of events) {
    const entered = enteredName(e);
    if (entered !== undefined) open.set(entered, (open.get(entered) ?? 0) + 1);
    const exited = exitedName(e);
    if (exited !== undefined) open.set(exited, (open.get(exited) ?? 0) - 1);
  }
  return [...open].filter(([, n]) => n > 0).map(([name]) => name);
}

/** Every visit of one state, with what happened inside it. */
export function visitsOf(events: HistoryEvent[], state: string): Visit[] {
  const visits: Visit[] = [];
  let inside: Visit | undefined;
  for (const e of events) {
    const entered = enteredName(e);
    if (entered !== undefined) {
      inside = entered === state ? { enteredAt: e.timestamp, input: e.stateEnteredEventDetails?.input, attempts: 0, errors: [] } : undefined;
      if (inside) visits.push(inside);
      continue;
    }
    if (!inside || !e.type) continue;
    if (exitedName(e) === state) {
      inside.exitedAt = e.timestamp;
      inside.output = e.stateExitedEventDetails?.output;
      inside = undefined;
      continue;
    }
    if (SCHEDULED.test(e.type)) inside.attempts += 1;
    const failure = failureOf(e);
    if (failure) inside.errors.push({ ...failure, at: e.timestamp });
  }
  return visits;
}
