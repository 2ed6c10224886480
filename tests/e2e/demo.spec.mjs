// The demo dataset populates the board; screenshots of desktop and phone are kept.
import { test, expect, openApp, boardSnapshot, dealCount, stageHistory, showAllStages, storedLayout } from './helpers.mjs';

test('loading the demo dataset populates the board, on desktop and phone', async ({ page }) => {
  await openApp(page);
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();
  await expect.poll(async () => dealCount(page)).toBe(300);
  const ms = (await page.evaluate(() => performance.now())) - t0;
  console.log(`demo load (generate 300 deals, store in IndexedDB, render board): ${ms.toFixed(0)} ms`);
  // The working board: open stages only (46 of the demo's 300 deals are open).
  expect((await boardSnapshot(page)).map((c) => c.stage)).toEqual(['Qualification', 'Needs analysis', 'Demo', 'Negotiation']);
  await page.screenshot({ path: 'tests/e2e/artifacts/board-open.png', fullPage: false });
  await showAllStages(page);

  const board = await boardSnapshot(page);
  expect(board.map((c) => c.stage)).toEqual(['Qualification', 'Needs analysis', 'Demo', 'Negotiation', 'Won', 'Lost']);
  const counts = board.map((c) => Number(c.stats.match(/(\d+) deal/)[1]));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
  // A year of flow leaves deals in every stage, most of them closed.
  for (const [i, col] of board.entries()) expect(counts[i], col.stage).toBeGreaterThan(0);
  expect(counts[4] + counts[5]).toBeGreaterThan(150);
  // Each column shows its first 50 cards; the rest are one click away.
  for (const [i, col] of board.entries()) expect(col.cards.length).toBe(Math.min(counts[i], 50));
  const lost = page.getByRole('region', { name: 'Lost', exact: true });
  await lost.getByRole('button', { name: /^Show \d+ more/ }).click();
  await expect(lost.getByRole('listitem')).toHaveCount(Math.min(counts[5], 150));

  await page.screenshot({ path: 'tests/e2e/artifacts/board-desktop.png', fullPage: false });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole('region', { name: 'Qualification', exact: true })).toBeVisible();
  await page.screenshot({ path: 'tests/e2e/artifacts/board-phone.png', fullPage: false });

  // Dark mode follows the system setting.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg).toBe('rgb(15, 18, 24)');
  await page.screenshot({ path: 'tests/e2e/artifacts/board-dark.png', fullPage: false });
  await page.emulateMedia({ colorScheme: 'light' });

  // The demo was stored as one change list of thousands of new records: stored as
  // segments of their own, which the reload reads.
  await expect.poll(() => storedLayout(page, 'deals'), { timeout: 20_000 }).toEqual({ loose: 0, segments: 1 });
  expect(await storedLayout(page, 'events')).toEqual({ loose: 0, segments: 1 });

  // A demo deal's history shows real flow, and survives a reload.
  await page.reload();
  await expect.poll(async () => dealCount(page)).toBe(300);
  expect(await boardSnapshot(page)).toEqual(board);
  const won = page.getByRole('region', { name: 'Won', exact: true });
  await won.locator('.card-title').first().click();
  const steps = (await stageHistory(page)).getByRole('listitem');
  await expect(steps.first()).toContainText('Created in Qualification');
  await expect(steps.last()).toContainText('Won');
});
