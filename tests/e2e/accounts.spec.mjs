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
  await expect(page.getByRole('list', { name: 'Contacts', exact: true })).toContainText('Nadia Park');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Nova Labs' })).toBeVisible();
});

test('accounts renamed and merged, contacts edited, activities on an account and a contact', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'North pilot', Account: 'Northwind', Contact: 'Ann' });
  await addDeal(page, { 'Deal title': 'North rollout', Account: 'Northwind Traders', Contact: 'Bo' });
  await nav(page, 'Accounts').click();
  const table = page.getByRole('table', { name: 'Accounts' });
  await expect(table.getByRole('row')).toHaveCount(3);

  // Rename: refused onto another account's name, in words; then accepted, and the deal follows.
  await table.getByRole('link', { name: 'Northwind Traders' }).click();
  await page.getByLabel('Account name').fill('northwind');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('alert')).toContainText('There is already an account called "Northwind": merge the two instead.');
  await page.getByLabel('Account name').fill('Northwind Trading');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Northwind Trading' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Account renamed.');
  // A task on the account itself.
  await page.getByLabel('Type').selectOption({ label: 'Task' });
  await page.getByLabel('Subject').fill('Send framework agreement');
  await page.getByRole('button', { name: 'Schedule task' }).click();
  await expect(page.getByRole('heading', { name: 'Activities (1)' })).toBeVisible();

  // Merge into Northwind: one account left, with both deals, both contacts and the task.
  await page.getByLabel('Merge this account into').selectOption({ label: 'Northwind' });
  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Northwind' })).toBeVisible();
  await expect(page.getByText('2 open · 0 won · 0 lost')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Contacts', exact: true }).getByRole('link')).toHaveText(['Ann', 'Bo']);
  await expect(page.getByRole('heading', { name: 'Activities (1)' })).toBeVisible();
  await nav(page, 'Accounts').click();
  await expect(table.getByRole('row')).toHaveCount(2);

  // The contact page: a wrong email is refused next to nothing stored; then saved, and the
  // deal shows the new name.
  await table.getByRole('link', { name: 'Northwind' }).click();
  await page.getByRole('list', { name: 'Contacts', exact: true }).getByRole('link', { name: 'Ann' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Ann' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Ann Lee');
  await page.getByRole('textbox', { name: 'Email' }).fill('ann@');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await expect(page.getByRole('alert')).toContainText('"ann@" is not an email address.');
  await page.getByRole('textbox', { name: 'Email' }).fill('Ann@Northwind.com');
  await page.getByRole('textbox', { name: 'Phone' }).fill('+86 138 0013 8000');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await expect(page.getByRole('status')).toContainText('Contact saved.');
  await expect(page.getByRole('heading', { level: 1, name: 'Ann Lee' })).toBeVisible();
  // A call logged on the contact.
  await page.getByLabel('Subject').fill('Intro call');
  await page.getByLabel('Duration (minutes)').fill('15');
  await page.getByRole('button', { name: 'Save activity' }).click();
  await expect(page.getByRole('list').filter({ hasText: 'Intro call' })).toContainText('15 min');
  expect(await axeSerious(page, 'main'), 'contact page').toEqual([]);
  // On a 390 px phone every control of the contact page is within the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const outside = await page.evaluate(() => [...document.querySelectorAll('.contact input, .contact select, .contact button')].filter((el) => el.getBoundingClientRect().right > 391).length);
  expect(outside).toBe(0);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('list', { name: 'Deals with this contact' }).getByRole('link', { name: 'North pilot' }).click();
  await expect(page.getByRole('link', { name: 'Ann Lee' })).toBeVisible();

  // Reload keeps it; the account's page lists the contact's call; the task is on Today.
  await page.reload();
  await page.getByRole('link', { name: 'Northwind' }).click();
  await expect(page.getByRole('list', { name: 'Activities on its deals and contacts' })).toContainText('Intro call');
  await nav(page, 'Today').click();
  const upcoming = page.getByRole('list', { name: /^Next 7 days/ });
  await expect(upcoming.getByRole('listitem').filter({ hasText: 'Send framework agreement' }).getByRole('link', { name: 'Northwind' })).toBeVisible();
});
