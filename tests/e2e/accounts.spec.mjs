// Issue 10, accounts and contacts as records: the demo's companies as account records,
// each account page's figures equal to a count on the export, deals linking to their
// account, a new deal creating its account and contact.
import { readFile } from 'node:fs/promises';
import { test, expect, openApp, addDeal, axeSerious } from './helpers.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

test('accounts list and pages match the export; a new deal creates its account', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();
  await nav(page, 'Import & export').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download workspace (JSON)' }).click()]);
  const doc = JSON.parse(await readFile(await dl.path(), 'utf8'));
  const kinds = Object.fromEntries(doc.pipelines.flatMap((p) => p.stages.map((s) => [s.id, s.kind])));
  // Independently: per account record, its deals by state.
  const acme = doc.accounts.find((a) => a.name === 'Acme Robotics');
  const deals = doc.deals.filter((d) => d.account_id === acme.id);
  expect(deals.length).toBeGreaterThan(0);
  expect(deals.every((d) => d.account === 'Acme Robotics')).toBe(true);
  const count = (k) => deals.filter((d) => kinds[d.stage] === k).length;
  const [open, won, lost] = [count('Open'), count('Won'), count('Lost')];

  await nav(page, 'Accounts').click();
  const table = page.getByRole('table', { name: 'Accounts' });
  await expect(table.getByRole('row')).toHaveCount(doc.accounts.length + 1);
  const row = table.getByRole('row', { name: /Acme Robotics/ });
  await expect(row.getByRole('cell').nth(0)).toHaveText(String(open));
  await expect(row.getByRole('cell').nth(1)).toHaveText(String(won));
  await expect(row.getByRole('cell').nth(2)).toHaveText(String(lost));
  await row.getByRole('link', { name: 'Acme Robotics' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Acme Robotics' })).toBeVisible();
  await expect(page.getByText(`${open} open · ${won} won · ${lost} lost`)).toBeVisible();
  const rate = won + lost ? `${Math.round((100 * won) / (won + lost))}%` : '—';
  await expect(page.locator('.callout', { hasText: 'Win rate' }).locator('.big')).toHaveText(rate);
  await expect(page.getByRole('list', { name: 'Deals', exact: true }).getByRole('listitem')).toHaveCount(deals.length);
  expect(await axeSerious(page, 'main'), 'account page').toEqual([]);
  // A deal's page links to its account.
  await page.getByRole('list', { name: 'Deals', exact: true }).getByRole('link').first().click();
  await page.getByRole('link', { name: 'Acme Robotics' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Acme Robotics' })).toBeVisible();

  // A new company typed on a deal becomes an account (with its contact).
  await addDeal(page, { 'Deal title': 'Nova pilot', Account: 'Nova Labs', Contact: 'Nadia Park' });
  await nav(page, 'Accounts').click();
  await table.getByRole('link', { name: 'Nova Labs' }).click();
  await expect(page.getByRole('list', { name: 'Contacts' })).toContainText('Nadia Park');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Nova Labs' })).toBeVisible();
});
