/** The local console in a real browser (Debian chromium through playwright-core). */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectIdOf } from '../../functions/domain/rules/object-id.js';
import { eventually } from '../../local/eventually.js';
import { startHarness, type Harness } from '../../local/harness.js';
import { renderDefinition } from '../../statemachines/definition.js';

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

let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!browserOk) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness({ realMsPerSimulatedHour: 300 });
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
}, 120_000);
afterAll(async () => {
  // Either is unset when setup failed before reaching it.
  await (browser as Browser | undefined)?.close();
  await (h as Harness | undefined)?.stop();
});

describe.runIf(browserOk)('the console', () => {
  it('draws the execution from the ASL and highlights exactly the states visited', async () => {
    const executions = await h.executions();
    const mine = executions.find((e) => e.name!.startsWith('q4_summary_csv-'))!;
    await page.goto(`${h.cloud.endpoint}/_console/#/executions`);
    await page.getByRole('link', { name: mine.name! }).click();
    await page.locator('svg g[data-state="Request restore"]').waitFor();
    const visited = await page.locator('svg g.state.visited').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));
    expect(visited.sort()).toEqual(['File is ready', 'Inspect object', 'Notify: file ready', 'Notify: restore started', 'Request restore', 'Wait for restore', 'What state is the object in?'].sort());
    // Every state of the definition is drawn, visited or not.
    const states = Object.keys(
      (
        JSON.parse(renderDefinition({ RestoreStepsFunctionArn: 'a', NotifyAggregatorFunctionArn: 'b', WaitTimeoutSeconds: '1', ObjectsTableName: 't', ApprovalTimeoutSeconds: '1' })) as {
          States: object;
        }
      ).States,
    );
    expect(await page.locator('svg g.state').count()).toBe(states.length);
    await page.locator('svg g[data-state="Request restore"]').click();
    // Input and output of the state as GetExecutionHistory has them: the inspection in, the restore result out.
    await expect.poll(() => page.locator('aside').innerText()).toMatch(/Input[\s\S]*"inspection"[\s\S]*Output[\s\S]*"restore": \{[\s\S]*"tier": "Standard"/);
    await page.screenshot({ path: `${ARTIFACTS}/execution.png`, fullPage: true });
  });

  it('lists the audit timeline in order', async () => {
    const objectId = objectIdOf({ bucket: BUCKET, key: KEY });
    await page.goto(`${h.cloud.endpoint}/_console/#/timeline/${encodeURIComponent(objectId)}`);
    await page.locator('ol.timeline li').first().waitFor();
    const shown = await page.locator('ol.timeline li').evaluateAll((items) => items.map((i) => i.getAttribute('data-type')));
    const expected = (await h.audit.history(objectId)).reverse().map((e) => e.type);
    expect(shown).toEqual(expected);
    expect(shown.slice(0, 3)).toEqual(['READ_DETECTED', 'EXECUTION_STARTED', 'OBJECT_INSPECTED']);
    await page.screenshot({ path: `${ARTIFACTS}/timeline.png`, fullPage: true });
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
    await page.screenshot({ path: `${ARTIFACTS}/outbox.png`, fullPage: true });
  });

  it('shows keys with HTML in them as text and never runs them', async () => {
    await page.goto(`${h.cloud.endpoint}/_console/#/objects/${BUCKET}/hostile/`);
    await page.getByText(HOSTILE).waitFor();
    await page.goto(`${h.cloud.endpoint}/_console/#/outbox`);
    await page.locator('article.email').first().waitFor();
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  });

  it('updates live as events happen', async () => {
    await page.goto(`${h.cloud.endpoint}/_console/#/executions`);
    await page.locator('tbody tr').first().waitFor();
    const before = await page.locator('tbody tr').count();
    expect(before).toBe((await h.executions()).length);
    await h.putObject(BUCKET, 'live/new.bin', 'GLACIER');
    expect(await h.read(BUCKET, 'live/new.bin', READER)).toBe('InvalidObjectState');
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBe(before + 1);
  });
});
