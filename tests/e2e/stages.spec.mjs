// The stage editor: rename, add with criteria, reorder, probabilities; refusals are specific.
import { test, expect, openApp, column, card, addDeal } from './helpers.mjs';

test('stage definitions can be edited and the board and move dialog follow', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Harbor CRM' });
  await page.getByRole('link', { name: 'Stage definitions' }).click();
  await expect(page.getByRole('heading', { name: 'Stage definitions', level: 1 })).toBeVisible();

  const names = page.getByRole('textbox', { name: 'Stage name' });
  await expect(names).toHaveCount(6);
  await names.nth(0).fill('Discovery');

  await page.getByRole('button', { name: 'Add stage' }).click();
  await expect(names).toHaveCount(7);
  await names.nth(4).fill('Proposal');
  await page.getByRole('textbox', { name: 'Entry criteria' }).nth(4).fill('Budget approved\nProposal sent');
  await page.getByRole('spinbutton', { name: 'Win probability %' }).nth(4).fill('85');
  await page.getByRole('button', { name: 'Move Demo down' }).click();

  // Removing a stage that holds a deal is refused with a specific message.
  await page.getByRole('button', { name: 'Remove Discovery' }).click();
  await page.getByRole('button', { name: 'Save stages' }).click();
  await expect(page.getByText('“Qualification” still holds 1 deal(s): move them to another stage first.')).toBeVisible();
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await expect(names).toHaveCount(6);

  await names.nth(0).fill('Discovery');
  await page.getByRole('button', { name: 'Add stage' }).click();
  await names.nth(4).fill('Proposal');
  await page.getByRole('textbox', { name: 'Entry criteria' }).nth(4).fill('Budget approved\nProposal sent');
  await page.getByRole('button', { name: 'Move Demo down' }).click();
  await page.getByRole('spinbutton', { name: 'Win probability %' }).nth(0).fill('150');
  await page.getByRole('button', { name: 'Save stages' }).click();
  await expect(page.getByText('Win probability of “Discovery” must be a whole number from 0 to 100.')).toBeVisible();
  await page.getByRole('spinbutton', { name: 'Win probability %' }).nth(0).fill('15');
  await page.getByRole('button', { name: 'Save stages' }).click();
  await expect(page.getByRole('status')).toHaveText('Stages saved.');

  await page.getByRole('link', { name: 'Board', exact: true }).click();
  await expect(column(page, 'Proposal')).toBeVisible();
  await page.getByRole('search').getByRole('combobox', { name: /^Show/ }).selectOption('all');
  const heads = await page.locator('.column h2').allTextContents();
  expect(heads).toEqual(['Discovery', 'Needs analysis', 'Negotiation', 'Demo', 'Proposal', 'Won', 'Lost']);
  await expect(card(column(page, 'Discovery'), 'Harbor CRM')).toBeVisible();

  // The new stage's entry criteria appear when a deal is moved there.
  await page.getByRole('combobox', { name: 'Move Harbor CRM to stage' }).selectOption({ label: 'Proposal' });
  const dialog = page.getByRole('dialog', { name: 'Move “Harbor CRM” to Proposal' });
  await expect(dialog.getByRole('checkbox', { name: 'Budget approved' })).toBeVisible();
  await expect(dialog.getByRole('checkbox', { name: 'Proposal sent' })).toBeVisible();
  await dialog.getByRole('checkbox', { name: 'Budget approved' }).check();
  await expect(dialog.getByText('1 of 2 criteria confirmed')).toBeVisible();
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(card(column(page, 'Proposal'), 'Harbor CRM')).toBeVisible();

  await page.reload();
  // Wait for the board to be back before reading it (it loads asynchronously).
  await expect(card(column(page, 'Proposal'), 'Harbor CRM')).toBeVisible();
  expect(await page.locator('.column h2').allTextContents()).toEqual(heads);
});

test('the lost-reason list and whether a reason is required are set per pipeline', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Blocked deal' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stage definitions' }).click();
  const list = page.getByLabel('Reasons offered when a deal is lost (one per line)');
  await expect(list).toHaveValue(/^Price\nChose a competitor/);
  await list.fill('Legal blocked\n  \nPrice\n');
  await page.getByRole('checkbox', { name: 'A lost deal needs a reason' }).uncheck();
  await page.getByRole('button', { name: 'Save stages' }).click();
  await expect(page.getByRole('status')).toHaveText('Stages saved.');
  await page.reload();
  await expect(list).toHaveValue('Legal blocked\nPrice');
  await expect(page.getByRole('checkbox', { name: 'A lost deal needs a reason' })).not.toBeChecked();
  // The move dialog offers the new list; with no reason required, none is needed.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click();
  await page.getByRole('combobox', { name: 'Move Blocked deal to stage' }).selectOption({ label: 'Lost' });
  const dialog = page.getByRole('dialog', { name: 'Move “Blocked deal” to Lost' });
  await expect(dialog.getByRole('combobox', { name: 'Lost reason' }).getByRole('option')).toHaveText(['—', 'Legal blocked', 'Price', 'Other…']);
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('search').getByRole('combobox', { name: /^Show/ }).selectOption('lost');
  await expect(card(column(page, 'Lost'), 'Blocked deal')).toBeVisible();
});
