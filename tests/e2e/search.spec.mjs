// Issue 11, find deals: a search over title, account, contact and notes (Chinese and
// full-width letters too) and filters that combine, kept in the address (reload, share)
// and saved as named views.
import { test, expect, openApp, column, card, addDeal, axeSerious } from './helpers.mjs';

test('search and filters narrow the board, live in the address, and save as views', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'ERP 二期', Account: '杭州云帆科技有限公司', Owner: '王芳', Amount: '12,500' });
  await addDeal(page, { 'Deal title': 'Cloud migration', Account: 'Acme Corp', Owner: 'Ann Lee', 'Tags (comma-separated)': 'pilot' });
  await addDeal(page, { 'Deal title': 'Training', Account: 'Blue River', Owner: 'Ann Lee', Notes: 'Wants an ERP later' });
  const qual = column(page, 'Qualification');
  await expect(qual.locator('.count')).toHaveText('3 deals');
  // Beside the total, what the column is worth at its 10% win probability: $12,500 → $1,250.
  await expect(qual.locator('.total')).toHaveText('$12.5k');
  await expect(qual.locator('.weighted')).toHaveText('weighted $1,250');

  const find = page.getByRole('search', { name: 'Find deals' });
  const search = find.getByRole('searchbox', { name: 'Search deals' });
  // Chinese words, and full-width letters as an IME types them.
  await search.fill('云帆');
  await expect(qual.locator('.count')).toHaveText('1 of 3 deals');
  await expect(card(qual, 'ERP 二期')).toBeVisible();
  await search.fill('ｅｒｐ');
  await expect(qual.locator('.count')).toHaveText('2 of 3 deals');
  await expect(card(qual, 'Training')).toBeVisible(); // found in its notes
  // Filters combine with the search: ERP and owner Ann Lee → only Training.
  await find.getByRole('combobox', { name: 'Owner' }).selectOption('Ann Lee');
  await expect(qual.locator('.count')).toHaveText('1 of 3 deals');
  await expect(card(qual, 'Training')).toBeVisible();
  await expect(page).toHaveURL(/owner=Ann%20Lee/);
  // The address keeps it: a reload shows the same selection.
  await page.reload();
  await expect(qual.locator('.count')).toHaveText('1 of 3 deals');
  await expect(search).toHaveValue('ｅｒｐ');
  // Saved as a view, cleared, and brought back by name.
  await find.getByLabel('Name this view').fill('Ann ERP');
  await find.getByRole('button', { name: 'Save view' }).click();
  await find.getByRole('button', { name: 'Clear filters' }).click();
  await expect(qual.locator('.count')).toHaveText('3 deals');
  await expect(search).toHaveValue('');
  await find.getByRole('combobox', { name: 'Saved views' }).selectOption('Ann ERP');
  await expect(qual.locator('.count')).toHaveText('1 of 3 deals');
  // Tag and "no next step": Cloud migration has the tag; give it a next step and it leaves.
  await find.getByRole('button', { name: 'Clear filters' }).click();
  await find.getByRole('combobox', { name: 'Tags' }).selectOption('pilot');
  await find.getByRole('checkbox', { name: 'No next step' }).check();
  await expect(qual.locator('.count')).toHaveText('1 of 3 deals');
  await card(qual, 'Cloud migration').getByRole('button', { name: /^Log activity on / }).click();
  const dialog = page.getByRole('dialog', { name: /^Log activity: / });
  await dialog.getByLabel('Type').selectOption({ label: 'Task' });
  await dialog.getByLabel('Subject').fill('Send proposal');
  await dialog.getByRole('button', { name: 'Schedule task' }).click();
  await expect(qual.locator('.count')).toHaveText('0 of 3 deals');
  // At risk: an open deal past its expected close date (or stuck, or late on its next
  // step). Two days back, so the day is past in any time zone.
  await find.getByRole('button', { name: 'Clear filters' }).click();
  const past = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  await addDeal(page, { 'Deal title': 'Overdue renewal', 'Expected close date': past });
  await find.getByRole('checkbox', { name: 'At risk' }).check();
  await expect(qual.locator('.count')).toHaveText('1 of 4 deals');
  await expect(card(qual, 'Overdue renewal')).toBeVisible();
  await expect(page).toHaveURL(/risk=1/);
  // The board with its tools has no serious or critical axe findings, light and dark.
  expect(await axeSerious(page, 'main'), 'board light').toEqual([]);
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await axeSerious(page, 'main'), 'board dark').toEqual([]);
});
