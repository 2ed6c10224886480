// Storage failures are visible and never leave the screen ahead of what is stored.
import { test, expect, openApp, column, card, addDeal } from './helpers.mjs';

test('without IndexedDB the app says so and keeps working in memory', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { get: () => undefined, configurable: true });
  });
  await openApp(page);
  await expect(page.getByRole('alert')).toContainText('Not saved on this device.');
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'In-memory deal' });
  await expect(card(column(page, 'Qualification'), 'In-memory deal')).toBeVisible();
});

test('a failed write is reported and the deal stays where the database has it', async ({ page }) => {
  await page.addInitScript(() => {
    // Simulate a full disk: once armed, every write transaction aborts with QuotaExceededError.
    const original = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
      if (window.__failWrites) throw new DOMException('quota exceeded (simulated)', 'QuotaExceededError');
      return original.apply(this, args);
    };
  });
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Fragile deal' });
  await page.evaluate(() => (window.__failWrites = true));

  await page.getByRole('combobox', { name: 'Move Fragile deal to stage' }).selectOption({ label: 'Demo' });
  await page.getByRole('dialog').getByRole('button', { name: 'Move', exact: true }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Your last change could not be saved and was not applied');
  await expect(alert).toContainText('QuotaExceededError');
  await expect(card(column(page, 'Qualification'), 'Fragile deal')).toBeVisible();
  await expect(card(column(page, 'Demo'), 'Fragile deal')).toHaveCount(0);
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toBeHidden();

  await page.evaluate(() => (window.__failWrites = false));
  await page.reload();
  await expect(card(column(page, 'Qualification'), 'Fragile deal')).toBeVisible();
});
