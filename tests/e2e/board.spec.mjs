// The core flow: template → deal → drag forward → keyboard move back → reload → language.
import { test, expect, openApp, column, card, boardSnapshot, addDeal, confirmMove, stageHistory, showAllStages } from './helpers.mjs';

const DEAL = 'Acme ERP rollout';

test('pipeline from template, deal moved by drag and keyboard, survives reload, switches language', async ({ page }) => {
  await openApp(page);
  await expect(page.getByRole('heading', { name: 'Your sales funnel, in a minute' })).toBeVisible();
  await page.getByRole('button', { name: 'Use B2B template' }).click();

  // Open stages are the columns; Won and Lost are where deals go (issue 11), shown on request.
  for (const stage of ['Qualification', 'Needs analysis', 'Demo', 'Negotiation']) {
    await expect(column(page, stage)).toBeVisible();
  }
  for (const stage of ['Won', 'Lost']) await expect(column(page, stage)).toHaveCount(0);
  await showAllStages(page);
  for (const stage of ['Won', 'Lost']) await expect(column(page, stage)).toBeVisible();
  await page.getByRole('search').getByRole('combobox', { name: /^Show/ }).selectOption('');

  // Validation: a clear message per field, and nothing created.
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'New deal' });
  await form.getByLabel('Amount', { exact: true }).fill('12abc');
  await form.getByRole('button', { name: 'Save deal' }).click();
  await expect(form.getByText('Give the deal a title.')).toBeVisible();
  await expect(form.getByText('Amount must be a number, like 12,500 or 12500.50.')).toBeVisible();
  // Cancel with typed text asks first (issue 11); accepted, nothing is created.
  page.once('dialog', (d) => d.accept());
  await form.getByRole('button', { name: 'Cancel' }).click();
  await expect(form).toBeHidden();
  await expect(page.locator('.card')).toHaveCount(0);

  await addDeal(page, { 'Deal title': DEAL, Account: 'Acme Corp', Amount: '12,500', Owner: 'Alice Chen' });
  const qual = column(page, 'Qualification');
  await expect(card(qual, DEAL)).toBeVisible();
  await expect(card(qual, DEAL)).toContainText('$12,500');
  await expect(card(qual, DEAL)).toContainText('Alice Chen');
  await expect(card(qual, DEAL)).toContainText('today');
  await expect(qual.getByText('1 deal', { exact: true })).toBeVisible();

  // Drag forward; the move dialog shows the target stage's entry criteria.
  await card(qual, DEAL).dragTo(column(page, 'Needs analysis'));
  const moveDialog = page.getByRole('dialog', { name: `Move “${DEAL}” to Needs analysis` });
  await expect(moveDialog.getByRole('group', { name: 'Entry criteria for Needs analysis' })).toBeVisible();
  await expect(moveDialog.getByRole('checkbox', { name: 'Need, budget and timeline confirmed' })).toBeVisible();
  await confirmMove(page, DEAL, 'Needs analysis');
  await expect(card(column(page, 'Needs analysis'), DEAL)).toBeVisible();
  await expect(card(qual, DEAL)).toHaveCount(0);

  await card(column(page, 'Needs analysis'), DEAL).dragTo(column(page, 'Demo'));
  await confirmMove(page, DEAL, 'Demo');
  await expect(card(column(page, 'Demo'), DEAL)).toBeVisible();

  // Back with the keyboard control only: focus the "Move to…" select, pick, confirm with Enter.
  const mover = page.getByRole('combobox', { name: `Move ${DEAL} to stage` });
  await mover.focus();
  await mover.selectOption({ label: 'Qualification' });
  const back = page.getByRole('dialog', { name: `Move “${DEAL}” to Qualification` });
  await back.getByLabel('Note (optional)').fill('Budget frozen until Q3');
  await back.getByRole('button', { name: 'Move', exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(back).toBeHidden();
  await expect(card(qual, DEAL)).toBeVisible();

  // History on the detail page.
  await card(qual, DEAL).getByRole('link', { name: DEAL }).click();
  await expect(page.getByRole('heading', { level: 1, name: DEAL })).toBeVisible();
  const steps = (await stageHistory(page)).getByRole('listitem');
  await expect(steps).toHaveCount(4);
  await expect(steps.nth(0)).toContainText('Created in Qualification');
  await expect(steps.nth(1)).toContainText('Qualification → Needs analysis');
  await expect(steps.nth(2)).toContainText('Needs analysis → Demo');
  await expect(steps.nth(3)).toContainText('Moved back Demo → Qualification (re-nurture)');
  await expect(steps.nth(3)).toContainText('Budget frozen until Q3');
  const historyBefore = await steps.allTextContents();

  // Reload on the detail page: same history; then the board is exactly as before.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: DEAL })).toBeVisible();
  await expect(steps).toHaveCount(4);
  expect(await steps.allTextContents()).toEqual(historyBefore);
  await page.getByRole('link', { name: '← Back to board' }).click();
  await expect(card(qual, DEAL)).toBeVisible();
  const boardBefore = await boardSnapshot(page);
  await page.reload();
  await expect(card(column(page, 'Qualification'), DEAL)).toBeVisible();
  expect(await boardSnapshot(page)).toEqual(boardBefore);

  // 简体中文: the board's labels change, the choice survives a reload.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await expect(page.getByRole('button', { name: '新建商机', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: '看板' })).toBeVisible();
  await expect(page.getByRole('link', { name: '阶段定义' })).toBeVisible();
  await expect(column(page, 'Qualification').getByText('1 个商机')).toBeVisible();
  await expect(page.getByRole('combobox', { name: `将「${DEAL}」移动到阶段` })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await page.reload();
  await expect(page.getByRole('button', { name: '新建商机', exact: true })).toBeVisible();
});

test('editing a deal keeps its stage; invalid edits change nothing', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use customer journey template' }).click();
  await addDeal(page, { 'Deal title': 'Kiosk pilot', Amount: '800' });
  const aware = column(page, 'Awareness');
  await card(aware, 'Kiosk pilot').getByRole('link', { name: 'Kiosk pilot' }).click();
  await page.getByRole('button', { name: 'Edit deal' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit deal' });
  await dialog.getByLabel('Amount', { exact: true }).fill('-5');
  await dialog.getByRole('button', { name: 'Save deal' }).click();
  await expect(dialog.getByText('Amount cannot be negative.')).toBeVisible();
  await dialog.getByLabel('Amount', { exact: true }).fill('1,250.50');
  await dialog.getByLabel('Deal title', { exact: true }).fill('Kiosk pilot (phase 2)');
  await dialog.getByRole('button', { name: 'Save deal' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'Kiosk pilot (phase 2)' })).toBeVisible();
  await expect(page.getByText('$1,250.50')).toBeVisible();
  await page.reload();
  await expect(page.getByText('$1,250.50')).toBeVisible();
  await expect((await stageHistory(page)).getByRole('listitem')).toHaveCount(1);
});

test('names with HTML are shown as text, never executed', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';
  await addDeal(page, { 'Deal title': evil, Account: '<b>bold</b>' });
  await expect(card(column(page, 'Qualification'), evil)).toBeVisible();
  await expect(page.getByText('<b>bold</b>')).toBeVisible();
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
});

test('cards: compact and the fields they show, kept across a reload', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  const first = page.locator('.card').first();
  await expect(first).toBeVisible();
  await expect(first.locator('.owner')).toBeVisible();
  await page.locator('details.card-options summary').click();
  await page.getByRole('checkbox', { name: 'Owner', exact: true }).uncheck();
  await page.getByRole('checkbox', { name: 'Compact', exact: true }).check();
  await expect(first.locator('.owner')).toHaveCount(0);
  const tall = await first.evaluate((el) => el.getBoundingClientRect().height);
  await page.reload();
  await expect(page.locator('.card').first()).toBeVisible();
  await expect(page.locator('.board')).toHaveClass(/compact/);
  await expect(page.locator('.card').first().locator('.owner')).toHaveCount(0);
  await page.locator('details.card-options summary').click();
  await page.getByRole('checkbox', { name: 'Compact', exact: true }).uncheck();
  const roomy = await page.locator('.card').first().evaluate((el) => el.getBoundingClientRect().height);
  expect(roomy).toBeGreaterThan(tall);
});
