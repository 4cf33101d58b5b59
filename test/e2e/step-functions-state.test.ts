/** The local Step Functions keeps machines and executions in a journal across restarts. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../local/faults.js';
import { StepFunctionsService, type HistoryEvent } from '../../local/step-functions.js';
import { TaskTokens } from '../../local/task-tokens.js';
import { eventually } from '../support/eventually.js';

const DEFINITION = JSON.stringify({
  StartAt: 'Branch',
  States: {
    Branch: { Type: 'Choice', Choices: [{ Variable: '$.wait', BooleanEquals: true, Next: 'Wait for token' }], Default: 'Done' },
    'Wait for token': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'waiter', Payload: { 'token.$': '$$.Task.Token' } }, End: true },
    Done: { Type: 'Pass', End: true },
  },
});

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function service(stateFile: string, logged: string[] = []) {
  return new StepFunctionsService({
    account: '000000000000',
    region: 'us-east-1',
    invoke: async () => ({}),
    tokens: new TaskTokens(),
    startLimiter: new RateLimiter(() => 0),
    retryIntervalMs: 10,
    stateFile,
    log: (m) => logged.push(m),
  });
}

type Listed = { executions: { name: string; status: string; executionArn: string }[] };
type History = { events: HistoryEvent[] };

describe('local Step Functions state', () => {
  it('keeps finished executions with their histories and restarts running ones from the top', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-sfn-'));
    const file = join(dir, 'stepfunctions.jsonl');
    const first = service(file);
    const { stateMachineArn } = (await first.handle('CreateStateMachine', { name: 'm', definition: DEFINITION, roleArn: 'arn:aws:iam::000000000000:role/r' })) as { stateMachineArn: string };
    const done = (await first.handle('StartExecution', { stateMachineArn, name: 'done', input: '{"wait":false}' })) as { executionArn: string };
    await first.handle('StartExecution', { stateMachineArn, name: 'waiting', input: '{"wait":true}' });
    const statuses = async (sfn: StepFunctionsService) => ((await sfn.handle('ListExecutions', { stateMachineArn })) as Listed).executions.map((e) => `${e.name} ${e.status}`);
    await eventually(async () => (await statuses(first)).includes('done SUCCEEDED'), 'the first execution to end');
    expect(await statuses(first)).toEqual(['waiting RUNNING', 'done SUCCEEDED']);
    const doneHistory = ((await first.handle('GetExecutionHistory', { executionArn: done.executionArn })) as History).events.map((e) => e.type);
    first.shutdown();
    // One line per change, not one rewrite per change.
    expect(readFileSync(file, 'utf8').trim().split('\n').length).toBeGreaterThan(doneHistory.length);

    const logged: string[] = [];
    const second = service(file, logged);
    second.restore();
    const listed = (await second.handle('ListExecutions', { stateMachineArn })) as Listed;
    expect(listed.executions.map((e) => [e.name, e.status])).toEqual([['waiting', 'RUNNING'], ['done', 'SUCCEEDED']]);
    expect(((await second.handle('GetExecutionHistory', { executionArn: done.executionArn })) as History).events.map((e) => e.type)).toEqual(doneHistory);
    expect(logged).toEqual(['resuming execution waiting from its first state (it was running when the local cloud stopped)']);
    const waitingArn = listed.executions[0]!.executionArn;
    const events = await eventually(async () => {
      const types = ((await second.handle('GetExecutionHistory', { executionArn: waitingArn })) as History).events.map((e) => e.type);
      return types.includes('TaskScheduled') && types;
    }, 'the resumed execution to wait for its token');
    expect(events.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    second.shutdown();
  });

  it('refuses a definition it cannot run, and stores nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-sfn-'));
    const file = join(dir, 'stepfunctions.jsonl');
    const sfn = service(file);
    const broken = JSON.stringify({ StartAt: 'Missing', States: { Only: { Type: 'Pass', End: true } } });
    await expect(sfn.handle('CreateStateMachine', { name: 'broken', definition: broken })).rejects.toMatchObject({ code: 'InvalidDefinition' });
    expect(await sfn.handle('ListStateMachines', {})).toEqual({ stateMachines: [] });
    sfn.shutdown();
  });
});
