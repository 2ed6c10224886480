// Issue 11, phone: at 390 px no page scrolls sideways (measured by scrollWidth), in English
// and Chinese, with the demo data; the nav folds into a menu that opens and navigates.
import { test, expect, openApp } from './helpers.mjs';

const VIEWS = ['board', 'board&show=all', 'list', 'today', 'leads', 'accounts', 'analytics', 'forecast', 'stages', 'data', 'trash', 'welcome'];

test('every page fits a 390 px phone in both languages; the menu opens and navigates', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();

  // The menu: links hidden until opened; a link navigates and closes it.
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads' })).toBeHidden();
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  // The header no longer sticks: scrolled down, it has left the screen.
  await page.mouse.wheel(0, 1500);
  await expect.poll(() => page.evaluate(() => document.querySelector('.topbar').getBoundingClientRect().bottom)).toBeLessThanOrEqual(0);

  const wide = [];
  for (const lang of ['en', 'zh']) {
    if (lang === 'zh') await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
    for (const view of VIEWS) {
      await page.goto(`./?view=${view}`);
      await expect(page.locator('main h1, main .board').first()).toBeVisible();
      // Let charts and lists settle.
      await page.waitForTimeout(300);
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      if (w > 390) wide.push(`${lang} ${view}: ${w}px`);
    }
    // A deal's page too.
    await page.goto('./?view=board');
    await page.locator('.card-title').first().click();
    await expect(page.locator('main h1')).toBeVisible();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 390) wide.push(`${lang} deal: ${w}px`);
  }
  expect(wide).toEqual([]);

  // Chart text is at least 11 px on the phone: the charts keep their width and scroll in a
  // frame that takes keyboard focus.
  await page.getByRole('combobox', { name: '语言' }).selectOption('English');
  const smallest = async () => page.evaluate(() => Math.min(...[...document.querySelectorAll('svg.chart')].flatMap((svg) => {
    // The drawing fills the content box: the width less padding and border.
    const cs = getComputedStyle(svg);
    const inner = svg.getBoundingClientRect().width - ['paddingLeft', 'paddingRight', 'borderLeftWidth', 'borderRightWidth'].reduce((a, k) => a + parseFloat(cs[k]), 0);
    const scale = inner / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
  })));
  await page.goto('./?view=analytics');
  await expect(page.locator('svg.chart.funnel')).toBeVisible();
  expect(await smallest()).toBeGreaterThanOrEqual(11);
  const frame = page.getByRole('region', { name: 'Funnel', exact: true });
  await frame.focus();
  await expect(frame).toBeFocused();
  await page.goto('./?view=forecast');
  await expect(page.locator('svg.chart.reliability')).toBeVisible();
  expect(await smallest()).toBeGreaterThanOrEqual(11);
  await page.goto('./?view=board');
  await page.screenshot({ path: 'tests/e2e/artifacts/board-phone-zh.png', fullPage: false });
});
