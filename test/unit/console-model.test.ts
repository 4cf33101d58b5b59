/** The console's pure parts: the graph from the ASL, what the history says was taken, and what the object page matches. */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ObjectRecordView } from '../../console/src/aws.js';
import { describeRule, edgesOf, layout, type Asl } from '../../console/src/graph.js';
import { currentStates, pathOf, transitionsOf, visitsOf } from '../../console/src/history.js';
import * as consoleIndexes from '../../console/src/indexes.js';
import * as ledger from '../../functions/domain/stores/ledger.js';
import { mentions } from '../../console/src/mentions.js';
import { overviewOf } from '../../console/src/overview-counts.js';
import * as notices from '../../functions/domain/stores/notices.js';
import * as records from '../../functions/domain/stores/records.js';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { renderEmail } from '../../functions/notify-aggregator/email.js';
import { renderDefinition } from '../../statemachines/definition.js';

const asl = JSON.parse(renderDefinition({ RestoreStepsFunctionArn: 'a', NotifyAggregatorFunctionArn: 'b', WaitTimeoutSeconds: '1', ObjectsTableName: 't', ApprovalTimeoutSeconds: '1' })) as Asl;

describe('the graph of the state machine', () => {
  it('writes Choice rules as conditions, in full and shortened', () => {
    expect(describeRule({ Variable: '$.inspection.state', StringEquals: 'ARCHIVED', Next: 'x' })).toBe('$.inspection.state == "ARCHIVED"');
    expect(describeRule({ Variable: '$.inspection.state', StringEquals: 'ARCHIVED', Next: 'x' }, true)).toBe('state == "ARCHIVED"');
    expect(
      describeRule({
        And: [
          { Variable: '$.a', IsPresent: true },
          { Variable: '$.b', NumericGreaterThanEquals: 3 },
        ],
      }),
    ).toBe('$.a is present and $.b >= 3');
    expect(describeRule({ Not: { Variable: '$.a', BooleanEquals: false } })).toBe('not ($.a == false)');
    expect(describeRule({ Variable: '$.a', StringEqualsPath: '$.b' })).toBe('$.a == $.b');
  });

  it('has one edge per Next, Choice rule, Default, Catch and Retry, each of its kind', () => {
    const edges = edgesOf(asl);
    const states = Object.values(asl.States);
    const count = (kind: string) => edges.filter((e) => e.kind === kind).length;
    expect(count('next')).toBe(states.filter((s) => s.Next).length);
    expect(count('choice')).toBe(states.reduce((n, s) => n + (s.Choices?.length ?? 0), 0));
    expect(count('default')).toBe(states.filter((s) => s.Default).length);
    expect(count('catch')).toBe(states.reduce((n, s) => n + (s.Catch?.length ?? 0), 0));
    expect(count('retry')).toBe(states.reduce((n, s) => n + (s.Retry?.length ?? 0), 0));
    expect(new Set(edges.map((e) => e.id)).size).toBe(edges.length);
    expect(edges.find((e) => e.from === 'Request restore and wait' && e.kind === 'catch' && e.to === 'Close cycle: object deleted')?.label).toBe('ObjectGoneError');
  });

  it('lays every state out in flow order without two boxes overlapping', () => {
    const { nodes, edges } = layout(asl);
    expect(nodes.map((n) => n.name).sort()).toEqual(Object.keys(asl.States).sort());
    for (const [i, a] of nodes.entries())
      for (const b of nodes.slice(i + 1)) expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y, `${a.name} / ${b.name}`).toBe(true);
    const y = (name: string) => nodes.find((n) => n.name === name)!.y;
    // The happy path reads downwards.
    const happy = ['Inspect object', 'What state is the object in?', 'Request restore and wait', 'Wait for restore', 'Notify: file ready', 'File is ready'];
    for (const [i, name] of happy.slice(1).entries()) expect(y(name)).toBeGreaterThan(y(happy[i]!));
    for (const e of edges.filter((e) => e.kind !== 'retry')) expect(e.points.length).toBeGreaterThanOrEqual(2);
  });
});

let id = 0;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const entered = (name: string, ms = 0): HistoryEvent => ({ id: ++id, type: 'TaskStateEntered', timestamp: at(ms), stateEnteredEventDetails: { name, input: '{}' } });
const exited = (name: string, ms = 0): HistoryEvent => ({ id: ++id, type: 'TaskStateExited', timestamp: at(ms), stateExitedEventDetails: { name, output: '{"ok":true}' } });
const scheduled = (): HistoryEvent => ({ id: ++id, type: 'TaskScheduled', timestamp: at(0) });
const failed = (error: string): HistoryEvent => ({ id: ++id, type: 'TaskFailed', timestamp: at(0), taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error, cause: 'boom' } });
const succeeded = (): HistoryEvent => ({ id: ++id, type: 'TaskSucceeded', timestamp: at(0) });

describe('what the execution history says', () => {
  it('tells a retried task that then succeeded from a task whose failure was caught', () => {
    const events = [
      entered('A', 0),
      scheduled(),
      failed('Lambda.ServiceException'),
      scheduled(),
      succeeded(),
      exited('A', 30),
      entered('B', 31),
      scheduled(),
      failed('ObjectGoneError'),
      exited('B', 40),
      entered('C', 41),
    ];
    expect(pathOf(events)).toEqual(['A', 'B', 'C']);
    expect(transitionsOf(events)).toEqual([
      { from: 'A', to: 'B', caught: false },
      { from: 'B', to: 'C', caught: true },
    ]);
    expect(currentStates(events)).toEqual(['C']);
    const [visit] = visitsOf(events, 'A');
    expect(visit).toMatchObject({ attempts: 2, input: '{}', output: '{"ok":true}', errors: [{ error: 'Lambda.ServiceException', cause: 'boom' }] });
    expect(visit!.exitedAt!.getTime() - visit!.enteredAt!.getTime()).toBe(30);
  });

  it('keeps each visit of a state entered twice apart', () => {
    const events = [entered('Wait'), exited('Wait'), entered('Check'), exited('Check'), entered('Wait'), exited('Wait')];
    expect(visitsOf(events, 'Wait')).toHaveLength(2);
    expect(currentStates(events)).toEqual([]);
  });
});

describe('the object page', () => {
  const file = (key: string) => ({ objectId: objectIdOf({ bucket: 'b', key }), cycle: 1, bucket: 'b', key });
  it('finds the object in the emails the aggregator renders, and only that object', () => {
    for (const kind of ['started', 'ready', 'failed'] as const) {
      const email = renderEmail(kind, [file('a/one.csv'), file('a/two.csv')], 10);
      expect(mentions(email, { bucket: 'b', key: 'a/one.csv' })).toBe(true);
      expect(mentions(email, { bucket: 'b', key: 'a/two.csv' })).toBe(true);
      expect(mentions(email, { bucket: 'b', key: 'a/one' })).toBe(false);
      expect(mentions(email, { bucket: 'other', key: 'a/one.csv' })).toBe(false);
    }
  });

  it('reads the restore record with the fields the records store writes', () => {
    expectTypeOf<records.ObjectRecord>().toExtend<ObjectRecordView>();
  });
});

describe('the overview', () => {
  it('queries the indexes the stores write', () => {
    const { ledgerPartitionOf, ...names } = consoleIndexes;
    expect(names).toEqual({
      OPEN_CYCLES_INDEX: records.OPEN_CYCLES_INDEX,
      OPEN_PARTITION: records.OPEN_PARTITION,
      PENDING_INDEX: notices.PENDING_INDEX,
      PENDING_PARTITION: notices.PENDING_PARTITION,
      LEDGER_TOTAL: ledger.LEDGER_TOTAL,
    });
    expect(ledgerPartitionOf('2026-11')).toBe(ledger.ledgerPartitionOf('2026-11'));
  });

  it('counts today from midnight UTC, and every way an execution can end badly as failed', () => {
    const now = new Date('2026-03-10T08:00:00Z');
    const o = overviewOf(
      {
        openCycles: [{ status: 'RESTORING', tier: 'Standard' }, { status: 'RESTORING', tier: 'Bulk' }, { status: 'RESTORING', tier: 'Standard' }, { status: 'STARTING' }],
        executions: [
          { status: 'RUNNING' },
          { status: 'SUCCEEDED', stopDate: new Date('2026-03-10T00:00:00Z') },
          { status: 'SUCCEEDED', stopDate: new Date('2026-03-09T23:59:59Z') },
          { status: 'FAILED', stopDate: new Date('2026-03-10T01:00:00Z') },
          { status: 'TIMED_OUT', stopDate: new Date('2026-03-10T02:00:00Z') },
          { status: 'ABORTED', stopDate: new Date('2026-03-10T03:00:00Z') },
        ],
        emails: [{ date: 'Tue, 10 Mar 2026 07:00:00 GMT' }, { date: 'Mon, 09 Mar 2026 07:00:00 GMT' }],
        pendingNotices: [{ kind: 'ready' }, { kind: 'ready' }, { kind: 'started' }],
        deadLetters: 2,
        spending: { microUsd: 1_250_000, restores: 3 },
      },
      now,
    );
    expect(o).toEqual({
      inFlight: 4,
      inFlightByState: { RESTORING: { Standard: 2, Bulk: 1 }, STARTING: { unknown: 1 } },
      running: 1,
      succeededToday: 1,
      failedToday: 3,
      emailsSent: 2,
      emailsSentToday: 1,
      noticesPending: 3,
      noticesPendingByKind: { ready: 2, started: 1 },
      deadLetters: 2,
      spentThisMonthMicroUsd: 1_250_000,
      restoresThisMonth: 3,
    });
  });
});
