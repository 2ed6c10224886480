// The demo dataset populates the board; screenshots of desktop and phone are kept.
import { test, expect, openApp, boardSnapshot } from './helpers.mjs';

test('loading the demo dataset populates the board, on desktop and phone', async ({ page }) => {
  await openApp(page);
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();
  await expect.poll(async () => page.locator('.card').count()).toBe(300);
  const ms = (await page.evaluate(() => performance.now())) - t0;
  console.log(`demo load (generate 300 deals, store in IndexedDB, render board): ${ms.toFixed(0)} ms`);

  const board = await boardSnapshot(page);
  expect(board.map((c) => c.stage)).toEqual(['Qualification', 'Needs analysis', 'Demo', 'Negotiation', 'Won', 'Lost']);
  expect(board.reduce((n, c) => n + c.cards.length, 0)).toBe(300);
  // A year of flow leaves deals in every stage, most of them closed.
  for (const col of board) expect(col.cards.length, col.stage).toBeGreaterThan(0);
  const closed = board[4].cards.length + board[5].cards.length;
  expect(closed).toBeGreaterThan(150);
  // Each column header's count matches its cards.
  for (const col of board) expect(col.stats).toContain(`${col.cards.length} deal`);

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

  // A demo deal's history shows real flow, and survives a reload.
  await page.reload();
  await expect.poll(async () => page.locator('.card').count()).toBe(300);
  expect(await boardSnapshot(page)).toEqual(board);
  const won = page.getByRole('region', { name: 'Won', exact: true });
  await won.locator('.card-title').first().click();
  const steps = page.getByRole('list', { name: 'Stage history' }).getByRole('listitem');
  await expect(steps.first()).toContainText('Created in Qualification');
  await expect(steps.last()).toContainText('Won');
});
