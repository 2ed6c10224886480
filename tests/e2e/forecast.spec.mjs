// The forecast page on the demo dataset: range, classic methods, deal scores, backtest,
// one-click calibration, what-if; and the explanation when history is too short.
import { test, expect, openApp, dealCount, watchLongTasks } from './helpers.mjs';

const money = (s) => Number(s.replace(/[^0-9.]/g, ''));

test('forecast with range, methods, scores, backtest, calibration and what-if', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect.poll(async () => dealCount(page)).toBe(300);
  const longTasks = await watchLongTasks(page);
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forecast' }).click();
  const expected = page.locator('.callout', { hasText: 'Expected won revenue' }).locator('.big');
  await expect(expected).toHaveText(/\$\d/);
  console.log(`forecast page on 300 deals (model, 10,000 trials, 6-month backtest): ${((await page.evaluate(() => performance.now())) - t0).toFixed(0)} ms; ${await longTasks()}`);
  const range = await page.locator('.callout', { hasText: 'Likely range' }).locator('.big').textContent();
  const [p10, p90] = range.split('–').map(money);
  expect(p10).toBeLessThan(p90);
  await expect(page.locator('.callout', { hasText: 'Weighted pipeline' })).toContainText("reps' commit");
  // It opens on a window that holds data: the rest of the month only while two weeks of it
  // remain, else the next 30 days (issue 9: "rest of this month" on the 28th read $0).
  const now = new Date();
  const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const expectedWindow = (monthEnd - now.getTime()) / 86_400_000 >= 14 ? 'month' : '30';
  await expect(page.getByRole('combobox', { name: 'Forecast period' })).toHaveValue(expectedWindow);

  // Deal scores: sortable, every open deal listed, reasons given.
  const scores = page.getByRole('table', { name: 'Deal scores' });
  await scores.getByRole('button', { name: 'Win probability' }).click();
  const probs = (await scores.locator('tbody tr td:nth-child(3)').allTextContents()).map((s) => Number(s.replace('%', '')));
  expect(probs.length).toBeGreaterThan(10);
  expect([...probs].sort((a, b) => b - a)).toEqual(probs);
  await expect(scores.locator('tbody tr').first()).toContainText('won within');
  // Fewer than 100 open deals: every one listed, no "show more" (perf.spec pages through 5,000).
  expect(await scores.locator('tbody tr').count()).toBeLessThan(100);
  await expect(page.getByRole('button', { name: /^Show \d+ more/ })).toHaveCount(0);

  // Backtest rows for six months with MAPE per method.
  const bt = page.getByRole('table', { name: 'How accurate each method would have been' });
  await expect(bt.locator('tbody tr')).toHaveCount(6);
  await expect(bt.getByRole('row', { name: /MAPE/ })).toBeVisible();

  // What-if: more deals entering raises the expected revenue (over 90 days: new deals
  // need time to be won).
  await page.getByRole('combobox', { name: 'Forecast period' }).selectOption({ label: 'Next 90 days' });
  await expect(page.locator('.callout', { hasText: 'Expected won revenue' })).toContainText(/from new deals/);
  await expect.poll(async () => money((await page.locator('.callout', { hasText: 'Expected won revenue' }).locator('.small').textContent()).split('+')[1])).toBeGreaterThan(0);
  const before = money(await expected.textContent());
  await page.getByLabel('More deals entering').fill('100');
  await page.getByLabel('More deals entering').blur();
  await expect.poll(async () => money(await expected.textContent())).toBeGreaterThan(before);

  await page.screenshot({ path: 'tests/e2e/artifacts/forecast.png', fullPage: true });

  // One click applies a suggested stage probability; the stage editor shows it.
  const cal = page.getByRole('table', { name: 'Stage probabilities: set vs realized' });
  const apply = cal.getByRole('button', { name: /^Apply suggested probability to / }).first();
  const label = await apply.getAttribute('aria-label');
  const stage = label.replace('Apply suggested probability to ', '');
  const suggested = await cal.getByRole('row', { name: new RegExp(`^${stage}`) }).locator('td').nth(2).textContent();
  await apply.click();
  await expect(page.getByText('Stage probabilities updated.')).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stage definitions' }).click();
  const names = await page.getByRole('textbox', { name: 'Stage name' }).evaluateAll((els) => els.map((e) => e.value));
  const i = names.indexOf(stage);
  await expect(page.getByRole('spinbutton', { name: 'Win probability %' }).nth(i)).toHaveValue(suggested.replace('%', ''));

  // Leaving the page while it still computes stops the work quietly. Its pieces run a task
  // apart; one that read the gone page's values after a yield was a wasm panic that killed
  // the app (CI caught it 1 run in 3, on the click above). Here the link is clicked the
  // moment the Monte Carlo's progress bar shows, i.e. while the work waits between slices.
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const away of ['Board', 'Analytics']) {
    const left = page.evaluate((away) => new Promise((resolve) => {
      const seen = new MutationObserver(() => {
        if (!document.querySelector('main progress')) return;
        seen.disconnect();
        const link = [...document.querySelectorAll('nav[aria-label="Main"] a')].find((a) => a.textContent.trim() === away);
        link.click();
        resolve();
      });
      seen.observe(document.body, { subtree: true, childList: true });
    }), away);
    await nav.getByRole('link', { name: 'Forecast' }).click();
    await left;
    await expect(page.getByRole('heading', { level: 1 })).not.toHaveText('Forecast');
  }
  await nav.getByRole('link', { name: 'Forecast' }).click();
  await expect(expected).toHaveText(/\$\d/);
});

test('with too little history the forecast explains what is missing', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forecast' }).click();
  await expect(page.getByRole('heading', { name: 'Not enough history for a forecast yet' })).toBeVisible();
  await expect(page.getByText(/Only 0 deals have been won or lost so far/)).toBeVisible();
  await expect(page.locator('.callout', { hasText: 'Expected won revenue' })).toHaveCount(0);
  // The methods that need no history are still there, and deals they cannot place are
  // counted instead of silently left out (issue 9).
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'New deal' });
  await form.getByLabel('Deal title', { exact: true }).fill('No date yet');
  await form.getByLabel('Amount', { exact: true }).fill('5000');
  await form.getByRole('button', { name: 'Save deal' }).click();
  const classic = page.locator('.callout', { hasText: 'Weighted pipeline' });
  await expect(classic).toContainText("reps' commit");
  await expect(classic.getByRole('note')).toHaveText(/^1 open deals \(.5,000\) have no expected close date/);
});

test.describe('the engine worker', () => {
  // The worker's script is refused below by routing, which a service worker would bypass.
  test.use({ serviceWorkers: 'block' });

  test("the Monte Carlo runs in the engine's Web Worker; without the worker the page runs it itself, to the same figures", async ({ page }) => {
    // One moment for both forecasts (ages in stage, the period): the same question twice.
    // The app's clock is Date.now (Playwright's own clock would also stand in for the
    // performance marks read below).
    await page.addInitScript(() => {
      const t = Date.parse('2026-11-30T10:00:00Z');
      Date.now = () => t;
    });
    const engine = [];
    page.on('request', (r) => {
      const file = r.url().split('/').pop();
      if (/^(worker|engine)-[0-9a-f]+(_bg\.wasm|\.js)$/.test(file)) engine.push(file.replace(/-[0-9a-f]+/, ''));
    });
    await openApp(page);
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await expect.poll(async () => dealCount(page)).toBe(300);
    expect(engine, 'the engine is not part of the first load').toEqual([]);

    const figures = async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forecast' }).click();
      const range = page.locator('.callout', { hasText: 'Likely range' }).locator('.big');
      await expect(range).toHaveText(/\$\d.*–.*\$\d/);
      return {
        range: await range.textContent(),
        expected: await page.locator('.callout', { hasText: 'Expected won revenue' }).locator('.big').textContent(),
        engine: await page.evaluate(() => performance.getEntriesByName('fs:forecast:engine').length),
      };
    };
    const inWorker = await figures();
    expect(inWorker.engine, 'the trials were answered by the worker').toBeGreaterThan(0);
    expect(engine.sort()).toEqual(['engine.js', 'engine_bg.wasm', 'worker.js']);
    const [p10, p90] = inWorker.range.split('–').map((s) => Number(s.replace(/[^0-9.]/g, '')));
    expect(p10).toBeLessThan(p90);

    // The worker's script cannot be fetched (a host that left it out, a blocked file): the
    // page says nothing about it and computes the range itself.
    await page.route(/\/worker-[0-9a-f]+\.js$/, (r) => r.abort());
    await openApp(page);
    await expect.poll(async () => dealCount(page)).toBe(300);
    const onPage = await figures();
    expect(onPage.engine, 'no answer from a worker').toBe(0);
    expect({ ...onPage, engine: 0 }).toEqual({ ...inWorker, engine: 0 });
  });
});
