/** The local console in a real browser (Debian chromium through playwright-core). */
import { existsSync, mkdirSync } from 'node:fs';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { CostLedger } from '../../functions/domain/stores/ledger.js';
import { DEAD_LETTER_QUEUE_NAME } from '../../local/control-plane/sqs.js';
import { TABLE_NAMES } from '../../local/deployment.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { renderDefinition } from '../../statemachines/definition.js';
import { runCli } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing under CI: .ci/run installs the chromium package`);
  console.warn(`skipping browser tests: ${CHROMIUM} is not installed (apt-get install chromium)`);
  return false;
}
if (!existsSync('console/dist/index.html')) throw new Error('the console is not built: npm test builds it first (npm run build:console)');

const ARTIFACTS = 'test-artifacts';
const BUCKET = 'console-archive';
const KEY = 'reports/2019/q4 summary.csv';
const HOSTILE = 'hostile/<img src=x onerror="window.__xss=1">.csv';
const READER = 'AKIACONSOLEREADER001';
const browserOk = chromiumAvailable();

/** The CLI as a user runs it, against the local cloud; its stdout. */
async function autorestore(args: string[]): Promise<string> {
  const run = await runCli({ endpoint: h.cloud.endpoint, accessKeyId: 'AKIACONSOLECLI000001', home: ARTIFACTS }, args);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return run.stdout;
}
const definitionStates = () =>
  (JSON.parse(renderDefinition({ RestoreStepsFunctionArn: 'a', NotifyAggregatorFunctionArn: 'b', WaitTimeoutSeconds: '1', ObjectsTableName: 't', ApprovalTimeoutSeconds: '1' })) as { States: object })
    .States;

let h: Harness;
let browser: Browser;
let page: Page;
let sqs: SQSClient;

beforeAll(async () => {
  if (!browserOk) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness({ realMsPerSimulatedHour: 300 });
  sqs = new SQSClient({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIACONSOLETEST00001', secretAccessKey: 'local' } });
  await h.createBucket(BUCKET);
  await h.principals.put(READER, 'reader@example.com', new Date());
  await h.putObject(BUCKET, KEY, 'GLACIER');
  await h.putObject(BUCKET, HOSTILE, 'GLACIER');
  expect(await h.read(BUCKET, KEY, READER)).toBe('InvalidObjectState');
  expect(await h.read(BUCKET, HOSTILE, READER)).toBe('InvalidObjectState');
  await h.waitForExecutions(2);
  await eventually(() => h.cloud.ses.list().some((m) => m.subject.includes('ready')), 'the ready email', 30_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
});
afterAll(async () => {
  // Either is unset when setup failed before reaching it.
  await (browser as Browser | undefined)?.close();
  (sqs as SQSClient | undefined)?.destroy();
  await (h as Harness | undefined)?.stop();
});

describe.runIf(browserOk)('the console', () => {
  it('draws the execution from the ASL and highlights exactly the states visited', async () => {
    const executions = await h.executions();
    const mine = executions.find((e) => e.name!.startsWith('q4_summary_csv-'))!;
    await page.goto(`${h.cloud.endpoint}/_console/#/executions`);
    await page.getByRole('link', { name: mine.name! }).click();
    await page.locator('.state[data-state="Request restore and wait"]').waitFor();
    const visited = await page.locator('.state.visited').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));
    expect(visited.sort()).toEqual(['File is ready', 'Inspect object', 'Request restore and wait', 'Were the readers told it is ready?', 'What state is the object in?'].sort());
    // Every state of the definition is drawn, visited or not.
    expect(await page.locator('.state').count()).toBe(Object.keys(definitionStates()).length);
    await page.locator('.state[data-state="Request restore and wait"]').click();
    // Input and output of the state as GetExecutionHistory has them: the inspection in, the completion that resumed the wait out.
    await expect.poll(() => page.locator('aside').innerText()).toMatch(/Input[\s\S]*"inspection"[\s\S]*Output[\s\S]*"completion": \{[\s\S]*"readyHanded": true/);
    await page.screenshot({ path: `${ARTIFACTS}/execution.png` });
  });

  it('highlights the path GetExecutionHistory has: the states entered and each transition between them', async () => {
    const mine = (await h.executions()).find((e) => e.name!.startsWith('q4_summary_csv-'))!;
    const path = await h.path(mine.executionArn!);
    await page.goto(`${h.cloud.endpoint}/_console/#/execution/${encodeURIComponent(mine.executionArn!)}`);
    await page.locator('.state[data-state="Inspect object"]').waitFor();
    const visited = await page.locator('.state.visited').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));
    expect(visited.sort()).toEqual([...new Set(path)].sort());
    const taken = await page.locator('g.edge.taken').evaluateAll((edges) => edges.map((e) => `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')}`));
    expect([...new Set(taken)].sort()).toEqual([...new Set(path.slice(1).map((to, i) => `${path[i]} -> ${to}`))].sort());
    // Choice branches carry their conditions; catches are drawn apart from the normal flow.
    await expect.poll(() => page.locator('.edge-label.taken').allInnerTexts()).toContain('state == "ARCHIVED"');
    expect(await page.locator('.edge-label.taken').evaluateAll((labels) => labels.map((l) => l.getAttribute('title')))).toContain('$.inspection.state == "ARCHIVED"');
    expect(await page.locator('g.edge.catch').count()).toBeGreaterThan(0);
    expect(await page.locator('g.edge.retry').count()).toBeGreaterThan(0);
  });

  for (const width of [1024, 1600]) {
    it(`lays every state out inside the graph, none overlapping another, at ${width} px`, async () => {
      const mine = (await h.executions()).find((e) => e.name!.startsWith('q4_summary_csv-'))!;
      await page.setViewportSize({ width, height: 900 });
      try {
        await page.goto(`${h.cloud.endpoint}/_console/#/execution/${encodeURIComponent(mine.executionArn!)}`);
        await page.reload();
        await page.locator('.state[data-state="Inspect object"]').waitFor();
        const measure = () =>
          page.evaluate(() => {
            const viewport = document.querySelector('.react-flow')!.getBoundingClientRect();
            const boxes = [...document.querySelectorAll('.react-flow__node')].map((n) => ({ id: n.getAttribute('data-id'), r: n.getBoundingClientRect() }));
            const labels = [...document.querySelectorAll('.edge-label')].map((n) => ({ id: n.textContent, r: n.getBoundingClientRect() }));
            const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            const outside = boxes.filter(({ r }) => r.left < viewport.left || r.top < viewport.top || r.right > viewport.right || r.bottom > viewport.bottom).map((b) => b.id);
            const overlapping: string[] = [];
            boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => overlap(a.r, b.r) && overlapping.push(`${a.id} / ${b.id}`)));
            const coveredLabels = labels.filter((l) => boxes.some((b) => overlap(l.r, b.r))).map((l) => l.id);
            return { count: boxes.length, outside, overlapping, coveredLabels };
          });
        await expect.poll(measure).toEqual({ count: Object.keys(definitionStates()).length, outside: [], overlapping: [], coveredLabels: [] });
        await page.screenshot({ path: `${ARTIFACTS}/execution-${width}.png` });
      } finally {
        await page.setViewportSize({ width: 1500, height: 1100 });
      }
    });
  }

  it('shows the object page, reached from the object list, with the timeline `autorestore history --json` prints', async () => {
    const objectId = objectIdOf({ bucket: BUCKET, key: KEY });
    await page.goto(`${h.cloud.endpoint}/_console/#/objects/${BUCKET}/reports/2019/`);
    await page.getByRole('link', { name: 'q4 summary.csv' }).click();
    await expect.poll(() => page.locator('.object-id').innerText()).toBe(objectId);
    await page.locator('ol.timeline li').first().waitFor();
    const history = JSON.parse(await autorestore(['--json', 'history', objectId])) as { objectId: string; entries: { at: string; type: string }[] };
    expect(history.objectId).toBe(objectId);
    // Both read the same table; the page refreshes every two seconds, so compare once both agree.
    const shown = () => page.locator('ol.timeline li').evaluateAll((items) => items.map((i) => `${i.getAttribute('data-at')} ${i.getAttribute('data-type')}`));
    await expect.poll(shown).toEqual(history.entries.map((e) => `${e.at} ${e.type}`));
    expect((await shown()).slice(0, 3).map((line) => line.split(' ')[1])).toEqual(['READ_DETECTED', 'EXECUTION_STARTED', 'OBJECT_INSPECTED']);
    // The record's facts and what S3 says now.
    expect(await page.locator('[data-fact="status"]').innerText()).toBe('RESTORED');
    expect(await page.locator('[data-fact="cycle"]').innerText()).toBe('1');
    expect(await page.locator('[data-fact="storage-class"]').innerText()).toBe('GLACIER');
    expect(await page.locator('[data-fact="restore"]').innerText()).toMatch(/^restored until \d{4}-/);
    expect(await page.locator('[data-fact="expiry"]').innerText()).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.locator('.readers li .email-address').allInnerTexts()).toEqual(['reader@example.com']);
    // Its one execution with its outcome, and both emails that listed it.
    const mine = (await h.executions()).find((e) => e.name!.startsWith('q4_summary_csv-'))!;
    expect(await page.locator('table.runs tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-execution'), r.querySelector('.status')?.textContent]))).toEqual([
      [mine.executionArn, 'SUCCEEDED'],
    ]);
    // The hostile key was read at the same time: one email may list both files.
    await expect
      .poll(async () => (await page.locator('.object-emails li strong').allInnerTexts()).map((subject) => subject.replace(/\d+ files?/, 'N files')))
      .toEqual(['Restoring N files from archive', 'N files restored and ready to download']);
    // `autorestore history` links the execution to where it is shown: here the local console's page, which opens it.
    const printed = await autorestore(['history', objectId]);
    const shownAt = new RegExp(`EXECUTION_STARTED .* (${h.cloud.endpoint.replace(/[.]/g, '\\.')}/_console/#/execution/\\S+)`).exec(printed)?.[1];
    expect(shownAt).toBe(`${h.cloud.endpoint}/_console/#/execution/${mine.executionArn!}`);
    await page.screenshot({ path: `${ARTIFACTS}/object.png`, fullPage: true });
    await page.goto(shownAt!);
    await expect.poll(() => page.locator('h1').innerText()).toBe(mine.name);
  });

  it('links the execution to its object, and the object page has its own address', async () => {
    const mine = (await h.executions()).find((e) => e.name!.startsWith('q4_summary_csv-'))!;
    await page.goto(`${h.cloud.endpoint}/_console/#/execution/${encodeURIComponent(mine.executionArn!)}`);
    await page.locator('a.object-link').click();
    await expect.poll(() => page.locator('.object-id').innerText()).toBe(objectIdOf({ bucket: BUCKET, key: KEY }));
    expect(page.url()).toBe(`${h.cloud.endpoint}/_console/#/object/${encodeURIComponent(objectIdOf({ bucket: BUCKET, key: KEY }))}`);
  });

  it('renders each email as the recipient sees it, in a sandboxed frame', async () => {
    await page.goto(`${h.cloud.endpoint}/_console/#/outbox`);
    await page.locator('article.email').first().waitFor();
    // The page refreshes every two seconds and other tests' emails keep arriving: compare once both sides agree.
    const shownAsSent = async () =>
      (await page.locator('article.email .subject').allInnerTexts()).join('\n') ===
      h.cloud.ses
        .list()
        .map((m) => m.subject)
        .join('\n');
    await expect.poll(shownAsSent).toBe(true);
    // Each email's HTML in its own frame: one of them lists this test's file.
    const framesText = async () => {
      const frames = page.locator('article.email iframe');
      const texts: string[] = [];
      for (let i = 0; i < (await frames.count()); i++) texts.push(await frames.nth(i).contentFrame().locator('table').innerText());
      return texts;
    };
    await expect.poll(async () => (await framesText()).some((text) => text.includes(KEY))).toBe(true);
    // Each file links its restore workflow execution: here the local console's page of it.
    const mine = (await h.executions()).find((e) => e.name!.startsWith('q4_summary_csv-'))!;
    const links = await page
      .locator('article.email iframe')
      .first()
      .contentFrame()
      .locator('a')
      .evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((href) => href?.startsWith(`${h.cloud.endpoint}/_console/#/execution/arn:aws:states:`))).toBe(true);
    expect(await page.locator('article.email iframe').evaluateAll((frames) => frames.map((f) => f.getAttribute('srcdoc') ?? ''))).toEqual(
      expect.arrayContaining([expect.stringContaining(`href="${h.cloud.endpoint}/_console/#/execution/${mine.executionArn!}"`)]),
    );
    await page.screenshot({ path: `${ARTIFACTS}/outbox.png`, fullPage: true });
  });

  it('shows keys with HTML in them as text and never runs them', async () => {
    await page.goto(`${h.cloud.endpoint}/_console/#/objects/${BUCKET}/hostile/`);
    await page.getByText(HOSTILE).waitFor();
    await page.getByText(HOSTILE).click();
    await expect.poll(() => page.locator('.object-id').innerText()).toBe(objectIdOf({ bucket: BUCKET, key: HOSTILE }));
    await page.locator('ol.timeline li').first().waitFor();
    await page.goto(`${h.cloud.endpoint}/_console/#/outbox`);
    await page.locator('article.email').first().waitFor();
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  });

  it('shows on the overview the counts the APIs give', async () => {
    // One restore in flight (Deep Archive takes longest), so the overview has a state and tier to count.
    await h.putObject(BUCKET, 'deep/slow.bin', 'DEEP_ARCHIVE');
    expect(await h.read(BUCKET, 'deep/slow.bin', READER)).toBe('InvalidObjectState');
    await eventually(async () => (await h.records.openCyclesStartedBefore('9999')).find((r) => r.key === 'deep/slow.bin' && r.tier), 'the deep archive restore in flight', 30_000);
    await page.goto(`${h.cloud.endpoint}/_console/#/overview`);
    await page.locator('[data-count="in-flight"]').waitFor();
    const today = new Date(new Date().toISOString().slice(0, 10)).getTime();
    const fromApis = async () => {
      const [open, executions, pending, queue, month] = await Promise.all([
        h.records.openCyclesStartedBefore('9999'),
        h.executions(),
        h.notices.pending(),
        sqs
          .send(new GetQueueUrlCommand({ QueueName: DEAD_LETTER_QUEUE_NAME }))
          .then(({ QueueUrl }) => sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))),
        new CostLedger(h.ddb, TABLE_NAMES.audit).month(new Date().toISOString().slice(0, 7)),
      ]);
      const ended = (statuses: string[]) => executions.filter((e) => statuses.includes(e.status!) && e.stopDate && e.stopDate.getTime() >= today).length;
      return {
        'in-flight': open.length,
        running: executions.filter((e) => e.status === 'RUNNING').length,
        'succeeded-today': ended(['SUCCEEDED']),
        'failed-today': ended(['FAILED', 'TIMED_OUT', 'ABORTED']),
        'emails-sent': h.cloud.ses.list().length,
        'notices-pending': pending.length,
        'dead-letters': Number(queue.Attributes!.ApproximateNumberOfMessages),
        'restores-this-month': month.total.restores,
        spent: month.total.microUsd,
        cells: open.map((r) => `${r.status}/${r.tier ?? 'unknown'}`).sort(),
      };
    };
    const shown = async () => {
      const counts: Record<string, number> = Object.fromEntries(
        await page.locator('[data-count]').evaluateAll((nodes) => nodes.map((n): [string, number] => [n.getAttribute('data-count') ?? '', Number(n.textContent)])),
      );
      const cells = await page
        .locator('table.in-flight td')
        .evaluateAll((tds) => tds.flatMap((td) => Array.from({ length: Number(td.textContent) }, () => `${td.getAttribute('data-state')}/${td.getAttribute('data-tier')}`)));
      const spent = Number(await page.locator('[data-spent-micro-usd]').getAttribute('data-spent-micro-usd'));
      return { ...counts, spent, cells: cells.sort() };
    };
    // Both sides move while restores run: compare once they agree.
    await expect
      .poll(
        async () => {
          const [api, page] = [await fromApis(), await shown()];
          return JSON.stringify(page) === JSON.stringify(api) ? 'agree' : { api, page };
        },
        { timeout: 60_000 },
      )
      .toBe('agree');
    expect((await fromApis())['in-flight']).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/overview.png`, fullPage: true });
  });

  it('follows a running execution without a reload: the waiting state, then the rest of the path', async () => {
    // Deep Archive at the Bulk tier: the longest restore there is, so the execution is caught waiting.
    await h.putObject(BUCKET, 'deep/bulk.bin', 'DEEP_ARCHIVE');
    await autorestore(['restore', '--tier', 'Bulk', '--yes', `s3://${BUCKET}/deep/bulk.bin`]);
    const running = await eventually(async () => (await h.executions()).find((e) => e.name!.startsWith('bulk_bin-') && e.status === 'RUNNING'), 'the bulk restore running', 30_000);
    await page.goto(`${h.cloud.endpoint}/_console/#/execution/${encodeURIComponent(running.executionArn!)}`);
    await expect.poll(() => page.locator('.state.current').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state'))), { timeout: 15_000 }).toEqual(['Request restore and wait']);
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    await expect.poll(() => page.locator('.state[data-state="File is ready"]').getAttribute('data-visited'), { timeout: 60_000 }).toBe('true');
    expect(await page.locator('.state.current').count()).toBe(0);
    expect(navigations).toEqual([]);
  });

  it('updates live as events happen', async () => {
    await page.goto(`${h.cloud.endpoint}/_console/#/executions`);
    await page.locator('tbody tr').first().waitFor();
    const before = await page.locator('tbody tr').count();
    expect(before).toBe((await h.executions()).length);
    await h.putObject(BUCKET, 'live/new.bin', 'GLACIER');
    expect(await h.read(BUCKET, 'live/new.bin', READER)).toBe('InvalidObjectState');
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 60_000 }).toBe(before + 1);
  });
});
