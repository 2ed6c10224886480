// Issue 11, dialogs by keyboard: focus moves into every dialog and stays there (Tab wraps),
// Esc closes, focus goes back to where it was (or to the moved card); the deal form asks
// before throwing typed work away and puts the cursor on the first invalid field.
import { test, expect, openApp, column, card } from './helpers.mjs';

test('dialogs take the focus, keep it, give it back; a move takes two key presses', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();

  // The deal form: focus in the first field; Enter with no title focuses the title again,
  // marked invalid, with its message.
  const add = page.getByRole('button', { name: 'Add deal', exact: true });
  await add.focus();
  await page.keyboard.press('Enter');
  const form = page.getByRole('dialog', { name: 'New deal' });
  const title = form.getByLabel('Deal title', { exact: true });
  await expect(title).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(title).toHaveAttribute('aria-invalid', 'true');
  await expect(title).toBeFocused();
  // Typed work is not thrown away without asking: dismissed, the form stays; accepted, it
  // closes and focus is back on "Add deal".
  await page.keyboard.type('Keyboard deal');
  page.once('dialog', (d) => d.dismiss());
  await page.keyboard.press('Escape');
  await expect(form).toBeVisible();
  await expect(title).toHaveValue('Keyboard deal');
  page.once('dialog', (d) => { expect(d.message()).toBe('Discard the changes you typed?'); return d.accept(); });
  await page.keyboard.press('Escape');
  await expect(form).toBeHidden();
  await expect(add).toBeFocused();
  // Again, saved with Enter: no question, focus back on "Add deal".
  await page.keyboard.press('Enter');
  await expect(title).toBeFocused();
  await page.keyboard.type('Keyboard deal');
  await page.keyboard.press('Enter');
  await expect(form).toBeHidden();
  await expect(add).toBeFocused();
  const qual = column(page, 'Qualification');
  await expect(card(qual, 'Keyboard deal')).toBeVisible();

  // A move: on the card's "Move to…" control, ArrowDown picks the next stage and opens the
  // dialog with "Move" focused.
  const mover = card(qual, 'Keyboard deal').getByRole('combobox', { name: 'Move Keyboard deal to stage' });
  await mover.focus();
  await page.keyboard.press('ArrowDown');
  const dialog = page.getByRole('dialog', { name: 'Move “Keyboard deal” to Needs analysis' });
  const confirm = dialog.getByRole('button', { name: 'Move', exact: true });
  await expect(confirm).toBeFocused();
  // Tab from the last control wraps to the first; Shift+Tab from the first comes back.
  await page.keyboard.press('Tab');
  const inside = await page.evaluate(() => !!document.activeElement.closest('[role=dialog]'));
  expect(inside).toBe(true);
  await expect(confirm).not.toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(confirm).toBeFocused();
  // Esc: closed, nothing moved, focus back on the control it came from.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(mover).toBeFocused();
  await expect(card(qual, 'Keyboard deal')).toBeVisible();
  // ArrowDown, Enter: moved; focus on the card's control in its new column, ready for the next.
  await page.keyboard.press('ArrowDown');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  const needs = column(page, 'Needs analysis');
  await expect(card(needs, 'Keyboard deal')).toBeVisible();
  await expect(card(needs, 'Keyboard deal').getByRole('combobox', { name: 'Move Keyboard deal to stage' })).toBeFocused();

  // The activity dialog (L on the card, here on its ✎ button one Shift+Tab back): the
  // subject has the focus; Esc gives it back to the button.
  await page.keyboard.press('Shift+Tab');
  const pen = card(needs, 'Keyboard deal').getByRole('button', { name: 'Log activity on Keyboard deal (L)' });
  await expect(pen).toBeFocused();
  await page.keyboard.press('l');
  const log = page.getByRole('dialog', { name: 'Log activity: Keyboard deal' });
  await expect(log.getByLabel('Subject')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(log).toBeHidden();
  await expect(pen).toBeFocused();
});

test('data entry refuses what it would save wrongly: a currency sign against the currency, a second pipeline of the same name', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'New deal' });
  await form.getByLabel('Deal title', { exact: true }).fill('Yen or yuan');
  await form.getByLabel('Amount', { exact: true }).fill('¥8000');
  await form.getByLabel('Currency').selectOption('USD');
  await form.getByRole('button', { name: 'Save deal' }).click();
  await expect(form.getByText('"¥8000" is written in CNY / JPY, but the currency is USD: choose CNY / JPY as the currency, or type the amount without the sign.')).toBeVisible();
  await expect(form.getByLabel('Amount', { exact: true })).toBeFocused();
  await form.getByLabel('Currency').selectOption('CNY');
  await form.getByRole('button', { name: 'Save deal' }).click();
  await expect(form).toBeHidden();
  await expect(page.getByRole('region', { name: 'Qualification', exact: true }).getByRole('listitem', { name: 'Yen or yuan' })).toContainText('¥8,000');
  // Lost needs a reason here (the template asks for one): refused without, in words; the
  // reason list has the focus; "Other…" takes the user's words.
  const mover = page.getByRole('combobox', { name: 'Move Yen or yuan to stage' });
  await mover.selectOption({ label: 'Lost' });
  const lost = page.getByRole('dialog', { name: 'Move “Yen or yuan” to Lost' });
  const reason = lost.getByRole('combobox', { name: /^Lost reason/ });
  await expect(reason).toBeFocused();
  await lost.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(lost.getByRole('alert')).toHaveText('Choose why the deal was lost (this pipeline asks for a reason).');
  await reason.selectOption({ label: 'Other…' });
  await lost.getByRole('textbox', { name: /^Other reason/ }).fill('Merged with another company');
  await lost.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(lost).toBeHidden();
  await page.getByRole('search').getByRole('combobox', { name: /^Show/ }).selectOption('lost');
  const lostCard = page.getByRole('region', { name: 'Lost', exact: true }).getByRole('listitem', { name: 'Yen or yuan' });
  await expect(lostCard).toBeVisible();
  await lostCard.getByRole('link', { name: 'Yen or yuan' }).click();
  await expect(page.getByRole('definition').filter({ hasText: 'Merged with another company' })).toBeVisible();
  // Analytics: the loss by reason and by the stage it was lost from, with its amount.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click();
  await expect(page.getByRole('table', { name: 'Lost deals by reason', exact: true }).getByRole('row', { name: /Merged with another company/ }).getByRole('cell')).toHaveText(['1', '¥8,000']);
  await expect(page.getByRole('table', { name: 'Lost deals by reason and the stage they were lost from' }).getByRole('row', { name: /Merged with another company/ }).getByRole('cell')).toHaveText(['Qualification', '1', '¥8,000']);
  await expect(page.getByRole('table', { name: 'Lost deals by owner' }).getByRole('row')).toHaveCount(2);
  // A second pipeline from the same template gets a number, never the same name.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New pipeline' }).click();
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  const picker = page.getByRole('combobox', { name: 'Pipeline' });
  await expect(picker.getByRole('option')).toHaveText(['B2B sales', 'B2B sales (2)']);
});

/** Presses Tab until `target` has the focus; returns how many presses it took. */
async function tabTo(page, target, max = 150) {
  for (let n = 1; n <= max; n++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return n;
  }
  throw new Error(`not reached in ${max} Tab presses`);
}

test('a keyboard-only session: create, move through every stage, lose with a reason, undo, redo, find by search', async ({ page }) => {
  await openApp(page);
  const presses = {};
  presses.template = await tabTo(page, page.getByRole('button', { name: 'Use B2B template' }));
  await page.keyboard.press('Enter');
  const add = page.getByRole('button', { name: 'Add deal', exact: true });
  presses.addDeal = await tabTo(page, add);
  await page.keyboard.press('Enter');
  await page.keyboard.type('Keyboard only');
  await page.keyboard.press('Tab'); // account
  await page.keyboard.type('Acme Keyboards');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'New deal' })).toBeHidden();
  await expect(add).toBeFocused();
  const mover = page.getByRole('combobox', { name: 'Move Keyboard only to stage' });
  presses.toCard = await tabTo(page, mover);
  // Through every open stage: ArrowDown (the next stage), Enter (confirm) each time; the
  // focus follows the card.
  for (const stage of ['Needs analysis', 'Demo', 'Negotiation']) {
    await page.keyboard.press('ArrowDown');
    const dialog = page.getByRole('dialog', { name: `Move “Keyboard only” to ${stage}` });
    await expect(dialog.getByRole('button', { name: 'Move', exact: true })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(card(column(page, stage), 'Keyboard only')).toBeVisible();
    await expect(mover).toBeFocused();
  }
  // Lost: "L" picks it in the control; the reason list has the focus; ArrowDown picks the
  // first reason; Tab to "Move", Enter.
  await page.keyboard.press('l');
  const lost = page.getByRole('dialog', { name: 'Move “Keyboard only” to Lost' });
  await expect(lost.getByRole('combobox', { name: /^Lost reason/ })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(lost.getByRole('combobox', { name: /^Lost reason/ })).toHaveValue('Price');
  presses.reasonToMove = await tabTo(page, lost.getByRole('button', { name: 'Move', exact: true }), 10);
  await page.keyboard.press('Enter');
  await expect(lost).toBeHidden();
  // Lost deals are not columns: the card left the board.
  await expect(card(page, 'Keyboard only')).toHaveCount(0);
  // Ctrl+Z: back in Negotiation, its reason cleared; Ctrl+Shift+Z: lost again; Ctrl+Z.
  await expect(page.getByRole('button', { name: 'Undo move “Keyboard only” (Ctrl+Z)' })).toBeVisible();
  await page.keyboard.press('Control+z');
  await expect(card(column(page, 'Negotiation'), 'Keyboard only')).toBeVisible();
  await page.keyboard.press('Control+Shift+z');
  await expect(card(page, 'Keyboard only')).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(card(column(page, 'Negotiation'), 'Keyboard only')).toBeVisible();
  // The undo list survives a reload: undoing again takes the deal back to Demo.
  await page.reload();
  await expect(card(column(page, 'Negotiation'), 'Keyboard only')).toBeVisible();
  await page.keyboard.press('Control+z');
  await expect(card(column(page, 'Demo'), 'Keyboard only')).toBeVisible();
  // Search, by keyboard: other deals first, then find ours by a word of its account.
  const search = page.getByRole('searchbox', { name: 'Search deals' });
  presses.toSearch = await tabTo(page, search);
  await page.keyboard.type('keyboards');
  await expect(page).toHaveURL(/q=keyboards/);
  await expect(card(column(page, 'Demo'), 'Keyboard only')).toBeVisible();
  // The timeline says what happened: created, three moves, lost, and the four moves that
  // undo, redo, undo and undo made (each marked "by undo / redo").
  const link = card(column(page, 'Demo'), 'Keyboard only').getByRole('link', { name: 'Keyboard only' });
  await link.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Keyboard only' })).toBeVisible();
  await expect(page.locator('.timeline .step')).toHaveCount(9);
  await expect(page.locator('.timeline .step .note').filter({ hasText: 'by undo / redo' })).toHaveCount(4);
  console.log(`keyboard-only: Tab presses to the template ${presses.template}, to "Add deal" ${presses.addDeal}, from it to the card's move control ${presses.toCard}; a move from there: 2 presses (ArrowDown, Enter), 0 Tab; Lost: L, ArrowDown, ${presses.reasonToMove} Tab, Enter; to the search box ${presses.toSearch}`);
});
