/** The local Step Functions keeps machines and executions in a journal across restarts. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../local/faults.js';
import { StepFunctionsService, type HistoryEvent } from '../../local/step-functions.js';
import { TaskTokens } from '../../local/task-tokens.js';
import { eventually } from '../../local/eventually.js';

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
    expect(listed.executions.map((e) => [e.name, e.status])).toEqual([
      ['waiting', 'RUNNING'],
      ['done', 'SUCCEEDED'],
    ]);
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

  it('an execution StartExecution answered is on file before the answer, with no flush or shutdown (a kill -9 keeps it)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-sfn-'));
    const file = join(dir, 'stepfunctions.jsonl');
    const first = service(file);
    const { stateMachineArn } = (await first.handle('CreateStateMachine', { name: 'm', definition: DEFINITION })) as { stateMachineArn: string };
    const started = (await first.handle('StartExecution', { stateMachineArn, name: 'acknowledged', input: '{"wait":true}' })) as { executionArn: string };
    // What is on file right after the answer is what a crash leaves: read it from a copy.
    const copy = join(dir, 'after-crash.jsonl');
    writeFileSync(copy, readFileSync(file));
    const logged: string[] = [];
    const second = service(copy, logged);
    second.restore();
    expect(((await second.handle('DescribeExecution', { executionArn: started.executionArn })) as { status: string }).status).toBe('RUNNING');
    expect(logged).toEqual(['resuming execution acknowledged from its first state (it was running when the local cloud stopped)']);
    await second.handle('StopExecution', { executionArn: started.executionArn });
    writeFileSync(copy.replace('.jsonl', '-2.jsonl'), readFileSync(copy));
    const third = service(copy.replace('.jsonl', '-2.jsonl'));
    third.restore();
    // The stop was on file before StopExecution answered, too.
    expect(((await third.handle('DescribeExecution', { executionArn: started.executionArn })) as { status: string }).status).toBe('ABORTED');
    for (const sfn of [first, second, third]) sfn.shutdown();
  });

  it('refuses an input or a task output over 256 KiB with ValidationException', async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorestore-sfn-'));
    const sfn = service(join(dir, 'stepfunctions.jsonl'));
    const { stateMachineArn } = (await sfn.handle('CreateStateMachine', { name: 'm', definition: DEFINITION })) as { stateMachineArn: string };
    const big = JSON.stringify({ wait: false, padding: 'x'.repeat(262_144) });
    await expect(sfn.handle('StartExecution', { stateMachineArn, name: 'too-big', input: big })).rejects.toMatchObject({ status: 400, code: 'ValidationException' });
    await expect(sfn.handle('SendTaskSuccess', { taskToken: 'AQBanything', output: big })).rejects.toMatchObject({ status: 400, code: 'ValidationException' });
    expect(((await sfn.handle('ListExecutions', { stateMachineArn })) as Listed).executions).toEqual([]);
    sfn.shutdown();
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
