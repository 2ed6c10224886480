// Issue 11: a reporting currency and dated exchange rates (typed, and imported from CSV);
// board totals, analytics and the forecast add converted amounts and say which rates.
import { copyFile, readFile } from 'node:fs/promises';
import { test, expect, openApp, column, showAllStages, axeSerious } from './helpers.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

async function dealIn(page, title, amount, currency) {
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New deal' });
  await dialog.getByLabel('Deal title', { exact: true }).fill(title);
  await dialog.getByRole('combobox', { name: 'Currency' }).selectOption(currency);
  await dialog.getByLabel('Amount', { exact: true }).fill(amount);
  await dialog.getByRole('button', { name: 'Save deal' }).click();
  await expect(dialog).toBeHidden();
}

test('reporting currency and rates: typed and imported, bad input refused, board and analytics converted', async ({ page }) => {
  test.setTimeout(90_000);
  const today = new Date().toISOString().slice(0, 10);
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await dealIn(page, 'Alpha', '1000', 'USD');
  await dealIn(page, 'Beta', '500', 'EUR');
  await dealIn(page, 'Gamma', '100000', 'JPY');
  const qual = column(page, 'Qualification');
  const stats = qual.locator('.column-stats');
  // No reporting currency: each currency on its own.
  await expect(stats.locator('.total')).toHaveText('€500 + JP¥100.0k + $1,000');

  await nav(page, 'Import & export').click();
  const reporting = page.getByRole('combobox', { name: 'Reporting currency' });
  await reporting.selectOption('USD');
  const form = page.locator('form.rate-form');
  await form.getByRole('combobox', { name: 'Currency' }).selectOption('EUR');
  await expect(form.getByLabel('In effect from')).toHaveValue(today);
  const rate = form.getByRole('textbox', { name: '1 EUR in USD' });
  // Bad input: a specific message, nothing stored.
  await rate.fill('abc');
  await form.getByRole('button', { name: 'Add rate' }).click();
  await expect(page.getByRole('alert')).toHaveText('“abc” is not an exchange rate: type a number such as 1.0832.');
  await rate.fill('0');
  await form.getByRole('button', { name: 'Add rate' }).click();
  await expect(page.getByRole('alert')).toHaveText('An exchange rate must be above zero (got “0”).');
  await rate.fill('1.08');
  await form.getByRole('button', { name: 'Add rate' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  const table = page.getByRole('region', { name: 'Exchange rates into USD' }).getByRole('table');
  await expect(table.getByRole('row')).toHaveCount(2);
  // A CSV with one bad line is refused whole, naming the line.
  const csv = page.getByLabel('Rates as CSV: currency,date,rate (one per line)');
  await csv.fill(`currency,date,rate\nJPY,${today},0.0067\nXYZ,${today},2\nGBP,2026-02-30,1.27`);
  await page.getByRole('button', { name: 'Add these rates' }).click();
  await expect(page.getByRole('alert')).toHaveText('Line 3: Unknown currency “XYZ”. Line 4: “2026-02-30” is not a valid date (use YYYY-MM-DD).');
  await expect(table.getByRole('row')).toHaveCount(2);
  await csv.fill(`currency,date,rate\nJPY,${today},0.0067\nEUR,2025-01-01,1.04`);
  await page.getByRole('button', { name: 'Add these rates' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'rates added' })).toHaveText('2 rates added.');
  await expect(table.getByRole('row')).toHaveCount(4);
  // Rates are quoted in USD: changing the reporting currency asks, and No keeps everything.
  page.once('dialog', (d) => d.dismiss());
  await reporting.selectOption('EUR');
  await expect(reporting).toHaveValue('USD');
  await expect(table.getByRole('row')).toHaveCount(4);

  // The board: $1,000 + €500 × 1.08 ($540) + JP¥100,000 × 0.0067 ($670) = $2,210; weighted
  // at Qualification's 10%: $221. The note names today's rates.
  await nav(page, 'Board').click();
  await expect(stats.locator('.total')).toHaveText('$2,210');
  await expect(stats.locator('.weighted')).toHaveText('weighted $221');
  await expect(page.locator('.board-rates')).toContainText(`Totals in USD: open deals at today's rates (EUR 1.08 (${today}), JPY 0.0067 (${today}))`);

  // Beta won today: converted at today's 1.08 in the Won column.
  await showAllStages(page);
  await page.getByRole('combobox', { name: 'Move Beta to stage' }).selectOption({ label: 'Won' });
  await page.getByRole('dialog', { name: 'Move “Beta” to Won' }).getByRole('button', { name: 'Move', exact: true }).click();
  await expect(column(page, 'Won').locator('.column-stats .total')).toHaveText('$540');

  // Analytics: the stage table's money is in dollars and the page says which rates.
  await nav(page, 'Analytics').click();
  await expect(page.locator('.conversion-note summary')).toHaveText(`Money in USD: 2 deals converted at 2 dated rates (EUR of ${today}, JPY of ${today}).`);
  // Forecast: the open deals in dollars, at today's rates.
  await nav(page, 'Forecast').click();
  await expect(page.locator('.conversion-note summary')).toHaveText(`Money in USD: 1 deals converted at 1 dated rates (JPY of ${today}).`);

  // Without a yen rate the yen deal stays in yen on the board and the note says so.
  await nav(page, 'Import & export').click();
  await page.getByRole('button', { name: `Remove the JPY rate of ${today}` }).click();
  await expect(table.getByRole('row')).toHaveCount(3);
  await nav(page, 'Board').click();
  await expect(stats.locator('.total')).toHaveText('JP¥100.0k + $1,000');
  await expect(page.locator('.board-rates')).toContainText('No rate in effect today for JPY: shown in their own currency.');
  await nav(page, 'Analytics').click();
  await expect(page.getByRole('note').filter({ hasText: 'left out' })).toHaveText('1 deals left out: no rate in effect on their day (JPY 1).');

  // Back in, kept across a reload, and exported for the DuckDB cross-check.
  await nav(page, 'Import & export').click();
  await csv.fill(`JPY,${today},0.0067`);
  await page.getByRole('button', { name: 'Add these rates' }).click();
  await page.reload();
  await expect(page.getByRole('region', { name: 'Exchange rates into USD' }).getByRole('row')).toHaveCount(4);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download workspace (JSON)' }).click()]);
  await copyFile(await download.path(), 'tests/e2e/artifacts/rates-export.json');
  const doc = JSON.parse(await readFile('tests/e2e/artifacts/rates-export.json', 'utf8'));
  expect(doc.settings.exchange.reporting).toBe('USD');
  expect(doc.settings.exchange.rates).toEqual([
    { currency: 'EUR', on: '2025-01-01', rate: '1.04' },
    { currency: 'EUR', on: today, rate: '1.08' },
    { currency: 'JPY', on: today, rate: '0.0067' },
  ]);

  // The form and table pass axe, and fit a 390 px phone without sideways scrolling.
  expect(await axeSerious(page)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1366, height: 900 });

  // In Chinese the same refusal reads in Chinese.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await page.getByRole('textbox', { name: '1 CNY 折合 USD' }).fill('-1');
  await page.getByRole('button', { name: '添加汇率' }).click();
  await expect(page.getByRole('alert')).toHaveText('汇率必须大于零（输入的是「-1」）。');
});
