// Performance figures measured in the browser with performance.now(). These print
// numbers for the record; they assert only that the work was done, never a time.
import { test, expect, openApp } from './helpers.mjs';

test('analytics on 100k deals / ~1M events in wasm', async ({ page }) => {
  test.setTimeout(180_000);
  await openApp(page);
  const out = await page.evaluate(() => JSON.parse(window.wasmBindings.bench_analytics(100000)));
  console.log(`wasm analytics: ${out.deals} deals, ${out.events} events: build ${out.build_ms} ms + report ${out.report_ms} ms = ${out.total_ms} ms`);
  expect(out.events).toBeGreaterThan(900000);
  expect(out.stages).toBe(6);
});

test('board with 10k deals: time to first render', async ({ page }) => {
  test.setTimeout(180_000);
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect.poll(async () => page.locator('.card').count()).toBe(300);
  const t = await page.evaluate(async () => {
    const t0 = performance.now();
    window.wasmBindings.bench_load_board(10000);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  });
  await expect.poll(async () => page.locator('.card').count(), { timeout: 60_000 }).toBe(10000);
  console.log(`board with 10000 deals, first render: ${t.toFixed(0)} ms`);
});
