// The analytics dashboard on the demo dataset: figures present, deals behind a bar,
// recompute after a move, both languages.
import { test, expect, openApp, dealCount, axeSerious } from './helpers.mjs';

test('dashboard shows funnel, conversion, dwell and win-within-T, and follows the board', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect.poll(async () => dealCount(page)).toBe(300);
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click();
  await expect(page.getByRole('heading', { name: 'Analytics', level: 1 })).toBeVisible();
  const qual = page.getByRole('button', { name: /^Qualification: \d+ deals reached$/ });
  await expect(qual).toBeVisible();
  console.log(`dashboard first render on 300 deals: ${((await page.evaluate(() => performance.now())) - t0).toFixed(0)} ms`);

  // Every demo deal starts in Qualification, so the first bar counts all 300.
  await expect(page.getByRole('button', { name: 'Qualification: 300 deals reached' })).toBeVisible();
  await expect(page.getByText('Biggest drop-off')).toBeVisible();
  await expect(page.getByText(/Sales velocity/)).toBeVisible();
  // Issue 11: no serious or critical axe findings on the dashboard (bars named as a whole,
  // wide tables reachable by keyboard), light and dark.
  await expect(page.getByRole('table', { name: 'Win within T days, with 95% interval' })).toBeVisible();
  expect(await axeSerious(page, 'main'), 'analytics light').toEqual([]);
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await axeSerious(page, 'main'), 'analytics dark').toEqual([]);
  await page.emulateMedia({ colorScheme: 'light' });

  // The conversion table and win-within-T table carry computed numbers.
  const conv = page.locator('table.data').first();
  await expect(conv.getByRole('row')).toHaveCount(5); // header + 4 open stages
  await expect(conv.getByRole('row').nth(1).getByRole('cell').first()).toHaveText('300');
  const winTable = page.getByRole('table', { name: 'Win within T days, with 95% interval' });
  await expect(winTable.getByRole('columnheader', { name: '≤ 30 days' })).toBeVisible();
  await expect(winTable.getByRole('columnheader', { name: '≤ 45 days' })).toBeVisible();
  // Issue 9: the conversion table leads with the unbiased "won within a year", the same
  // Aalen–Johansen figure as the win table's 365-day column.
  await expect(winTable.getByRole('columnheader', { name: '≤ 365 days' })).toBeVisible();
  const year = await conv.getByRole('row').nth(1).getByRole('cell').nth(1).textContent();
  expect(year).toMatch(/^\d+\.\d%$/);
  await expect(winTable.getByRole('row').nth(1).getByRole('cell').last()).toContainText(year);

  // Clicking a bar lists the deals behind it.
  await page.getByRole('button', { name: /^Negotiation: \d+ deals reached$/ }).click();
  const behind = page.getByRole('region', { name: 'Deals that reached Negotiation' });
  const label = await page.getByRole('button', { name: /^Negotiation: \d+ deals reached$/ }).getAttribute('aria-label');
  const n = Number(label.match(/(\d+) deals/)[1]);
  await expect(behind.getByRole('listitem')).toHaveCount(n);

  // Two periods side by side: the table gains Δ columns (this period minus the previous).
  await page.getByRole('combobox', { name: 'Period' }).selectOption({ label: 'Last 90 days' });
  await page.getByRole('checkbox', { name: 'Compare with the previous period' }).check();
  await expect(conv.getByRole('columnheader', { name: 'Δ won (pts)' })).toBeVisible();
  await expect(conv.getByRole('columnheader', { name: 'Δ median days in stage' })).toBeVisible();
  await expect(conv.getByRole('row').nth(1).getByRole('cell').nth(6)).toHaveText(/^[+-]\d+\.\d$|^—$/);
  await page.getByRole('combobox', { name: 'Period' }).selectOption({ label: 'All time' });

  // Filters narrow every figure.
  await page.getByRole('combobox', { name: 'Owner' }).selectOption('Alice Chen');
  await expect(page.getByRole('button', { name: /^Qualification: \d+ deals reached$/ })).not.toHaveAccessibleName('Qualification: 300 deals reached');
  await page.getByRole('combobox', { name: 'Owner' }).selectOption('');

  // A move on the board is reflected at once.
  const wonBar = page.getByRole('button', { name: /^Won: \d+ deals reached$/ });
  const wonBefore = Number((await wonBar.getAttribute('aria-label')).match(/(\d+) deals/)[1]);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click();
  const first = page.getByRole('region', { name: 'Qualification', exact: true }).getByRole('listitem').first();
  await first.getByRole('combobox').selectOption({ label: 'Won' });
  await page.getByRole('dialog').getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('dialog')).toBeHidden();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click();
  await expect(page.getByRole('button', { name: `Won: ${wonBefore + 1} deals reached` })).toBeVisible();

  // Chinese labels.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await expect(page.getByRole('heading', { name: '数据分析', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'T 天内赢单的概率' })).toBeVisible();
  await page.screenshot({ path: 'tests/e2e/artifacts/dashboard-zh.png', fullPage: true });
});
