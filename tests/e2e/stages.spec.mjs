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

test("required entry criteria block a move until ticked; ticked ones are recorded; a deal's own probability weights its column", async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Harbor CRM', Amount: '12,500' });
  // Qualification weighs 10%: $12,500 → $1,250.
  const qual = column(page, 'Qualification');
  await expect(qual.locator('.weighted')).toHaveText('weighted $1,250');
  await page.getByRole('link', { name: 'Stage definitions' }).click();
  // Needs analysis (second stage): its criteria become required.
  await page.getByRole('textbox', { name: 'Entry criteria' }).nth(1).fill('Budget confirmed\nChampion named');
  await page.getByRole('checkbox', { name: 'Entry criteria must all be ticked before a move here' }).nth(1).check();
  await page.getByRole('button', { name: 'Save stages' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Stages saved.' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click();
  await page.getByRole('combobox', { name: 'Move Harbor CRM to stage' }).selectOption({ label: 'Needs analysis' });
  const dialog = page.getByRole('dialog', { name: 'Move “Harbor CRM” to Needs analysis' });
  await dialog.getByRole('checkbox', { name: 'Budget confirmed' }).check();
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText('“Needs analysis” needs every entry criterion ticked first. Not ticked: Champion named.');
  await dialog.getByRole('checkbox', { name: 'Champion named' }).check();
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(dialog).toBeHidden();
  const needs = column(page, 'Needs analysis');
  await expect(card(needs, 'Harbor CRM')).toBeVisible();
  // The rep's own probability: 90% with a reason → $12,500 × 90% = $11,250, shown "$11.2k".
  await card(needs, 'Harbor CRM').getByRole('link', { name: 'Harbor CRM' }).click();
  await expect(page.locator('.timeline')).toContainText('Criteria ticked: Budget confirmed; Champion named');
  await page.getByRole('button', { name: 'Edit deal' }).click();
  const form = page.getByRole('dialog', { name: 'Edit deal' });
  await form.getByLabel('Win probability % (your own; empty: the stage\'s)').fill('90');
  await form.getByRole('button', { name: 'Save deal' }).click();
  await expect(form.getByText('Give a reason.')).toBeVisible();
  await form.getByLabel('Why this probability').fill('Verbal yes from the CFO');
  await form.getByRole('button', { name: 'Save deal' }).click();
  await expect(form).toBeHidden();
  await expect(page.locator('dl.facts')).toContainText('90% — Verbal yes from the CFO');
  await page.getByRole('link', { name: '← Back to board' }).click();
  await expect(column(page, 'Needs analysis').locator('.weighted')).toHaveText('weighted $11.2k');
});

test("a stage's rotting days mark the cards that waited longer", async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();
  await page.getByRole('link', { name: 'Stage definitions' }).click();
  await page.getByRole('spinbutton', { name: 'Rotting after (days)' }).nth(0).fill('3');
  await page.getByRole('button', { name: 'Save stages' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Stages saved.' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click();
  const ages = page.getByRole('region', { name: 'Qualification', exact: true }).locator('.card .age');
  await expect(ages.first()).toBeVisible();
  const texts = await ages.allTextContents();
  let marked = 0;
  for (const t of texts) {
    const days = t.startsWith('today') ? 0 : Number(t.match(/^(\d+)/)[1]);
    expect(t.includes('rotting (over 3 d)'), t).toBe(days > 3);
    if (days > 3) marked++;
  }
  expect(marked).toBeGreaterThan(0);
});
