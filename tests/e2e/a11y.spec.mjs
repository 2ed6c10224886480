// axe-core on the pages issue 10 added (Today, Leads, a deal's timeline and activity form,
// the log-activity dialog): nothing serious or critical.
import { test, expect, openApp, axeSerious, dealCount, addDeal, readStore } from './helpers.mjs';

test('Today, Leads, a deal page and the activity dialog have no serious axe findings', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();
  for (const view of ['today', 'leads']) {
    await page.goto(`./?view=${view}`);
    await expect(page.locator('main h1')).toBeVisible();
    expect(await axeSerious(page, 'main'), view).toEqual([]);
  }
  await page.goto('./?view=board');
  await page.locator('.card .card-title').first().click();
  await expect(page.getByRole('list', { name: 'History' })).toBeVisible();
  expect(await axeSerious(page, 'main'), 'deal page').toEqual([]);
  await page.goto('./?view=board');
  await page.locator('.card').first().getByRole('button', { name: /^Log activity on / }).click();
  await expect(page.getByRole('dialog', { name: /^Log activity: / })).toBeVisible();
  expect(await axeSerious(page, '.dialog'), 'activity dialog').toEqual([]);
});

// Issue 11: every screen, in English and Chinese, light and dark: nothing serious or
// critical (the whole document: header, banners and page).
test('axe on every screen in both languages, light and dark', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect.poll(async () => dealCount(page)).toBe(300);
  // A contact (the demo's deals name companies only).
  await addDeal(page, { 'Deal title': 'Axe check', Account: 'Acme Robotics', Contact: 'Li Lei' });
  await expect.poll(async () => dealCount(page)).toBe(301);
  const ids = {};
  for (const s of ['deals', 'accounts', 'leads']) ids[s] = (await readStore(page, s))[0].id;
  ids.contact = (await readStore(page, 'deals')).find((d) => d.contact_id).contact_id;
  // A deal in the trash, so the trash page has rows.
  await page.goto(`./?view=deal&deal=${encodeURIComponent(ids.deals)}`);
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await expect(page.getByRole('button', { name: 'Restore' })).toBeVisible();
  const screens = [
    'board', 'board&show=all', 'list', 'today', 'leads', 'accounts', `account&account=${encodeURIComponent(ids.accounts)}`,
    `contact&contact=${encodeURIComponent(ids.contact)}`, `lead&lead=${encodeURIComponent(ids.leads)}`, `deal&deal=${encodeURIComponent(ids.deals)}`,
    'stages', 'analytics', 'forecast', 'data', 'trash', 'welcome',
  ];
  const found = [];
  for (const lang of ['en', 'zh']) {
    await page.goto('./?view=board');
    await page.locator('select.lang').selectOption(lang);
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const s of screens) {
        await page.goto(`./?view=${s}`);
        await expect(page.locator('main h1'), s).toBeAttached();
        // Heavy pages fill in after their first paint.
        await page.waitForTimeout(s === 'analytics' || s === 'forecast' ? 1500 : 150);
        for (const v of await axeSerious(page)) found.push({ lang, scheme, screen: s, ...v });
      }
      // The dialogs: move, deal form, log activity.
      await page.goto('./?view=board');
      const first = page.locator('.card').first();
      await first.locator('select.move-select').selectOption({ index: 1 });
      await expect(page.getByRole('dialog')).toBeVisible();
      for (const v of await axeSerious(page, '.dialog')) found.push({ lang, scheme, screen: 'move dialog', ...v });
      await page.keyboard.press('Escape');
      await page.locator('header button.primary').click();
      await expect(page.getByRole('dialog')).toBeVisible();
      for (const v of await axeSerious(page, '.dialog')) found.push({ lang, scheme, screen: 'deal form', ...v });
      await page.keyboard.press('Escape');
      await first.locator('button.log').click();
      await expect(page.getByRole('dialog')).toBeVisible();
      for (const v of await axeSerious(page, '.dialog')) found.push({ lang, scheme, screen: 'activity dialog', ...v });
      await page.keyboard.press('Escape');
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  console.log(`axe: ${screens.length + 3} screens × 2 languages × 2 colour schemes, serious or critical findings: ${found.length}`);
  expect(found).toEqual([]);
});
