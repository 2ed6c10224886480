// Issue 11: the list view (the board's selection as a sortable, paged table) with bulk
// edit, the trash, and pipelines duplicated, removed and restored.
import { copyFile, readFile } from 'node:fs/promises';
import { test, expect, openApp, dealCount, showing, readStore } from './helpers.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
const dollars = (text) => Number(text.replace(/[^0-9.]/g, ''));

test('list view: sorted and paged; bulk owner, tag, stage and trash, undone; the trash restores and empties', async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect.poll(async () => dealCount(page)).toBe(300);
  const [open, won, lost] = (await showing(page).locator('option').allTextContents()).slice(0, 3).map((t) => Number(t.match(/\((\d+)\)/)[1]));

  await page.getByRole('link', { name: 'List', exact: true }).click();
  await expect(page).toHaveURL(/view=list/);
  const table = page.getByRole('region', { name: 'Deals' }).getByRole('table');
  const rows = table.getByRole('row');
  await expect(rows).toHaveCount(Math.min(open, 50) + 1);
  // Every stage: 300 deals on 6 pages of 50.
  await showing(page).selectOption('all');
  await expect(page.getByRole('status').filter({ hasText: /^Page/ })).toHaveText('Page 1 of 6 · 300 deals');
  await expect(rows).toHaveCount(51);
  // Largest amount first: the first row is the biggest amount stored, and the page descends.
  const amountSort = table.getByRole('button', { name: 'Sort by Amount' });
  await amountSort.click();
  await amountSort.click();
  await expect(table.getByRole('columnheader', { name: /Amount/ })).toHaveAttribute('aria-sort', 'descending');
  const stored = await readStore(page, 'deals');
  const max = Math.max(...stored.map((d) => d.amount ?? 0));
  const amounts = (await rows.locator('td.num:nth-child(5)').allTextContents()).map(dollars);
  expect(amounts[0]).toBe(max / 100);
  expect(amounts.every((a, i) => i === 0 || a <= amounts[i - 1])).toBe(true);
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Page/ })).toHaveText('Page 2 of 6 · 300 deals');

  // Open deals again; pick three by title (A–Z).
  await showing(page).selectOption('');
  await table.getByRole('button', { name: 'Sort by Deal title' }).click();
  const titles = (await rows.locator('td:nth-child(2)').allTextContents()).slice(0, 3);
  const pick = async () => {
    for (const t of titles) await table.getByRole('checkbox', { name: `Select “${t}”` }).check();
    await expect(page.getByRole('group', { name: 'Change the selected deals' })).toContainText('3 selected');
  };
  const bulk = page.getByRole('group', { name: 'Change the selected deals' });
  const row = (t) => rows.filter({ has: page.getByRole('link', { name: t, exact: true }) });

  await pick();
  await bulk.getByRole('combobox', { name: 'Set owner' }).fill('Zhang Wei');
  await bulk.getByRole('combobox', { name: 'Set owner' }).locator('xpath=../..').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText('3 deals changed.')).toBeVisible();
  for (const t of titles) await expect(row(t).getByRole('cell').nth(5)).toHaveText('Zhang Wei');
  await pick();
  await bulk.getByRole('textbox', { name: 'Add tag' }).fill('vip');
  await bulk.getByRole('textbox', { name: 'Add tag' }).locator('xpath=../..').getByRole('button', { name: 'Apply' }).click();
  await expect.poll(async () => (await readStore(page, 'deals')).filter((d) => d.tags.includes('vip')).length).toBe(3);

  // To Lost in bulk: the pipeline asks for a reason.
  await pick();
  const stageSelect = bulk.getByRole('combobox', { name: 'Move to stage' });
  await stageSelect.selectOption({ label: 'Lost' });
  await stageSelect.locator('xpath=../..').getByRole('button', { name: 'Apply' }).click();
  await expect(bulk.getByRole('alert')).toHaveText('Choose why the deal was lost (this pipeline asks for a reason).');
  await bulk.getByRole('combobox', { name: 'Lost reason' }).fill('Price');
  await stageSelect.locator('xpath=../..').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Page/ })).toContainText(`${open - 3} deals`);
  // One undo takes all three back, with the owner they had before the move.
  await page.getByRole('button', { name: 'Undo bulk edit of 3 deals (Ctrl+Z)' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Page/ })).toContainText(`${open} deals`);
  for (const t of titles) await expect(row(t).getByRole('cell').nth(5)).toHaveText('Zhang Wei');

  // To the trash: gone from the list, the board counts and the analytics, which say so.
  await pick();
  await bulk.getByRole('button', { name: 'Move selected to trash' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Page/ })).toContainText(`${open - 3} deals`);
  await page.screenshot({ path: 'tests/e2e/artifacts/list-view.png', fullPage: false });
  await nav(page, 'Board').click();
  await expect.poll(async () => dealCount(page)).toBe(297);
  await nav(page, 'Analytics').click();
  await expect(page.getByText('3 deals in the trash are left out.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Qualification: 297 deals reached' })).toBeVisible();

  // The trash: restore one; keep the export with two trashed deals for the DuckDB check.
  await nav(page, 'Trash').click();
  const trash = page.getByRole('region', { name: 'Deals' }).getByRole('table');
  await expect(trash.getByRole('row')).toHaveCount(4);
  await trash.getByRole('button', { name: `Restore “${titles[0]}”` }).click();
  await expect(trash.getByRole('row')).toHaveCount(3);
  await nav(page, 'Import & export').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download workspace (JSON)' }).click()]);
  await copyFile(await download.path(), 'tests/e2e/artifacts/trash-export.json');
  const doc = JSON.parse(await readFile('tests/e2e/artifacts/trash-export.json', 'utf8'));
  expect(doc.deals.filter((d) => d.deleted_at).length).toBe(2);
  await nav(page, 'Board').click();
  await expect.poll(async () => dealCount(page)).toBe(298);

  // Emptied only when asked: a question first (dismissed: nothing happens), then for good.
  await nav(page, 'Trash').click();
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('button', { name: 'Empty trash' }).click();
  await expect(trash.getByRole('row')).toHaveCount(3);
  page.once('dialog', (d) => { expect(d.message()).toContain('Remove 2 deals for good'); return d.accept(); });
  await page.getByRole('button', { name: 'Empty trash' }).click();
  await expect(page.getByText('The trash is empty.')).toBeVisible();
  const left = await readStore(page, 'deals');
  expect(left.filter((d) => d.purged).length).toBe(2);
  expect(left.filter((d) => d.purged).every((d) => d.title === '')).toBe(true);
  const events = await readStore(page, 'events');
  const purged = new Set(left.filter((d) => d.purged).map((d) => d.id));
  expect(events.filter((e) => purged.has(e.opportunity))).toEqual([]);
  await nav(page, 'Board').click();
  await expect.poll(async () => dealCount(page)).toBe(298);
  expect(won + lost + open).toBe(300);
});

test('pipelines are duplicated, moved to the trash and restored; names stay unique', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  const picker = page.getByRole('combobox', { name: 'Pipeline' });
  await nav(page, 'Stage definitions').click();
  await page.getByRole('button', { name: 'Duplicate pipeline' }).click();
  await expect(picker.getByRole('option')).toHaveText(['B2B sales', 'B2B sales (2)']);
  await expect(picker).toHaveValue(await picker.getByRole('option', { name: 'B2B sales (2)' }).getAttribute('value'));
  await expect(page.getByRole('textbox', { name: 'Pipeline name' })).toHaveValue('B2B sales (2)');
  // Removed (after a question): the other pipeline is shown; the trash has it.
  page.once('dialog', (d) => { expect(d.message()).toBe('Move “B2B sales (2)” and its 0 deals to the trash? You can restore it from the trash.'); return d.accept(); });
  await page.getByRole('button', { name: 'Move pipeline to trash' }).click();
  await expect(picker.getByRole('option')).toHaveText(['B2B sales']);
  await nav(page, 'Trash').click();
  await page.getByRole('button', { name: 'Restore “B2B sales (2)”' }).click();
  await expect(picker.getByRole('option')).toHaveText(['B2B sales', 'B2B sales (2)']);
  // Undo takes the restore back.
  await page.keyboard.press('Control+z');
  await expect(picker.getByRole('option')).toHaveText(['B2B sales']);
});
