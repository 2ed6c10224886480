// axe-core on the pages issue 10 added (Today, Leads, a deal's timeline and activity form,
// the log-activity dialog): nothing serious or critical.
import { test, expect, openApp, axeSerious } from './helpers.mjs';

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
