// Issue 10, the rep's daily loop: log activities (keyboard from the card, the deal page),
// next steps on cards, the move dialog's next step, Today with done / reschedule in place,
// the .ics calendar, reminders, export, Chinese and a phone.
import { readFile } from 'node:fs/promises';
import { test, expect, openApp, column, card, addDeal, confirmMove } from './helpers.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

/** A local "YYYY-MM-DDTHH:MM" `days` from now at `hour` (the browser's zone). */
async function localAt(page, days, hour) {
  return page.evaluate(([days, hour]) => {
    const d = new Date();
    d.setDate(d.getDate() + days);
    d.setHours(hour, 0, 0, 0);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }, [days, hour]);
}

test('activities and next steps: card, deal page, move dialog, Today, calendar, export', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Harbor kiosks', Owner: 'Alice Chen', Amount: '9,000' });
  await addDeal(page, { 'Deal title': 'Quartz renewal', Owner: 'Bob Li' });
  const qual = column(page, 'Qualification');
  await expect(card(qual, 'Harbor kiosks')).toContainText('No next step');

  // Two keystrokes from the card: focus it, press L; type, Enter. Focus returns to the card.
  await card(qual, 'Harbor kiosks').getByRole('link', { name: 'Harbor kiosks' }).focus();
  await page.keyboard.press('l');
  const dialog = page.getByRole('dialog', { name: 'Log activity: Harbor kiosks' });
  await expect(dialog.getByLabel('Subject')).toBeFocused();
  // Bad input: a clear message, nothing stored.
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('Say what it is about: a subject is required.')).toBeVisible();
  await page.keyboard.type('Intro call');
  await dialog.getByLabel('Duration (minutes)').fill('90000');
  await dialog.getByLabel('Subject').press('Enter');
  await expect(dialog.getByText('"90000" is not a duration: give whole minutes from 0 to 1440.')).toBeVisible();
  await dialog.getByLabel('Duration (minutes)').fill('25');
  await dialog.getByLabel('Subject').press('Enter');
  await expect(dialog).toBeHidden();
  await expect(card(qual, 'Harbor kiosks').getByRole('link', { name: 'Harbor kiosks' })).toBeFocused();
  // Esc closes without saving.
  await page.keyboard.press('l');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // The deal page: log an overdue task; the timeline interleaves it with stage changes.
  await card(qual, 'Harbor kiosks').getByRole('link', { name: 'Harbor kiosks' }).click();
  const form = page.getByRole('form', { name: 'Log activity' });
  await form.getByLabel('Type').selectOption({ label: 'Task' });
  await form.getByLabel('Subject').fill('Send proposal');
  await form.getByLabel('Due').fill(await localAt(page, -1, 10));
  await form.getByRole('button', { name: 'Schedule task' }).click();
  const history = page.getByRole('list', { name: 'History' });
  await expect(history.getByRole('listitem')).toHaveCount(3);
  // In time order: the task is due yesterday (before the deal was created today).
  await expect(history.getByRole('listitem').nth(0)).toContainText('Task: Send proposal');
  await expect(history.getByRole('listitem').nth(1)).toContainText('Created in Qualification');
  await expect(history.getByRole('listitem').nth(2)).toContainText('Call: Intro call');
  await expect(history.getByRole('listitem').filter({ hasText: 'Call: Intro call' })).toContainText('25 min');
  await expect(history.getByRole('listitem').filter({ hasText: 'Task: Send proposal' })).toContainText('overdue');
  await expect(page.getByText('Next: Send proposal')).toBeVisible();
  await page.getByRole('combobox', { name: 'Show' }).selectOption({ label: 'Activities' });
  await expect(history.getByRole('listitem')).toHaveCount(2);

  // The board card shows it, overdue.
  await nav(page, 'Board').click();
  await expect(card(qual, 'Harbor kiosks').locator('.next-step.overdue')).toContainText('Overdue: Send proposal');
  // Its time as the browser words that instant itself (en-GB: "28 Nov 2026, 10:00"): due
  // yesterday at 10:00 local time.
  const due = card(qual, 'Harbor kiosks').locator('.next-step time');
  const iso = await due.getAttribute('datetime');
  const worded = await page.evaluate((iso) => new Date(iso).toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }), iso);
  expect(worded).toMatch(/^\d{1,2} [A-Z][a-z]{2,3} \d{4}, 10:00$/);
  await expect(due).toHaveText(` · ${worded}`);

  // Moving offers the next step.
  await card(qual, 'Quartz renewal').getByRole('combobox', { name: 'Move Quartz renewal to stage' }).selectOption({ label: 'Demo' });
  const move = page.getByRole('dialog', { name: 'Move “Quartz renewal” to Demo' });
  await move.getByLabel('Next step (optional)').fill('Prepare the demo');
  await expect(move.getByLabel('Next step due')).toHaveValue(await localAt(page, 1, 9));
  await move.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(card(column(page, 'Demo'), 'Quartz renewal')).toContainText('Next: Prepare the demo');

  // Today: the overdue task, done in place; the deal then has no next step; schedule one.
  await nav(page, 'Today').click();
  await expect(page.getByRole('heading', { name: 'Overdue (1)' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Next 7 days (1)' })).toBeVisible();
  // A click, not check(): the done task leaves the list at once, so there is nothing left to
  // read back as checked.
  await page.getByRole('checkbox', { name: 'Done: Send proposal' }).click();
  await expect(page.getByRole('heading', { name: 'Overdue (0)' })).toBeVisible();
  const idle = page.getByRole('list', { name: 'Deals without a next step' });
  await expect(idle.getByRole('listitem')).toHaveCount(1);
  await idle.getByRole('button', { name: 'Schedule next step for Harbor kiosks' }).click();
  const sched = page.getByRole('dialog', { name: 'Log activity: Harbor kiosks' });
  await expect(sched.getByLabel('Type')).toHaveValue('task');
  await sched.getByLabel('Subject').fill('Call the CFO');
  await sched.getByRole('button', { name: 'Schedule task' }).click();
  await expect(page.getByRole('heading', { name: 'Next 7 days (2)' })).toBeVisible();
  await expect(page.getByText('Every open deal has a next step.')).toBeVisible();
  // Reschedule in place: to today, later on (23:59, so that it is still to come whenever the
  // test runs, but in the day's last minute).
  await page.getByRole('textbox', { name: 'Due date of Call the CFO' }).fill((await localAt(page, 0, 23)).replace(/T23:00$/, 'T23:59'));
  await expect(page.getByRole('heading', { name: 'Due today (1)' })).toBeVisible();
  // Owner filter.
  await page.getByLabel('Owner').selectOption('Bob Li');
  await expect(page.getByRole('heading', { name: 'Due today (0)' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Next 7 days (1)' })).toBeVisible();
  await page.getByLabel('Owner').selectOption({ label: 'All' });

  // The calendar file: one event per open task.
  const [ics] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Tasks as calendar (.ics)' }).click()]);
  const text = await readFile(await ics.path(), 'utf8');
  expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
  expect(text.match(/BEGIN:VEVENT/g)).toHaveLength(2);
  expect(text).toContain('SUMMARY:Call the CFO — Harbor kiosks');
  expect(text).toContain('SUMMARY:Prepare the demo — Quartz renewal');

  // Everything survives a reload and travels in the export (format 4).
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Due today (1)' })).toBeVisible();
  await nav(page, 'Import & export').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download workspace (JSON)' }).click()]);
  const doc = JSON.parse(await readFile(await dl.path(), 'utf8'));
  expect(doc.version).toBe(5);
  expect(doc.activities.map((a) => a.subject).sort()).toEqual(['Call the CFO', 'Intro call', 'Prepare the demo', 'Send proposal']);
  expect(doc.activities.find((a) => a.subject === 'Send proposal').done_at).toBeTruthy();

  // Selling effort on the dashboard: Harbor kiosks has two touches this week (the call and
  // the done task), Quartz renewal none (an open task is a plan).
  await nav(page, 'Analytics').click();
  await expect(page.locator('.callout', { hasText: 'Days since the last touch' })).toContainText('2 open deals, 1 never touched');
  const weekly = page.getByRole('table', { name: 'Touches per owner per week (weeks start on Monday)' });
  await expect(weekly.getByRole('row', { name: /Alice Chen/ }).getByRole('cell').last()).toHaveText('2');
  await expect(page.getByRole('list', { name: 'Open deals waiting longest for a touch' }).getByRole('listitem').first()).toContainText('Quartz renewal');

  // 简体中文.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '今日' }).click();
  await expect(page.getByRole('heading', { name: '今天到期（1）' })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: '完成：Call the CFO' })).toBeVisible();
});

test('a due task raises a browser notification while the tab is open', async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['notifications']);
  // Record notifications instead of showing them (headless has no notification centre).
  await page.addInitScript(() => {
    window.__notified = [];
    window.Notification = class {
      static permission = 'granted';
      static requestPermission() { return Promise.resolve('granted'); }
      constructor(title, opts) { window.__notified.push({ title, body: opts && opts.body }); }
    };
  });
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Ironwood fleet' });
  await card(column(page, 'Qualification'), 'Ironwood fleet').getByRole('button', { name: 'Log activity on Ironwood fleet (L)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Log activity: Ironwood fleet' });
  await dialog.getByLabel('Type').selectOption({ label: 'Task' });
  await dialog.getByLabel('Subject').fill('Confirm the order');
  // Due at a whole minute 30–90 s ahead (the field has minutes): announced once it is
  // within a minute, at the next check (every 10 s).
  const soon = await page.evaluate(() => {
    const d = new Date(Date.now() + 90_000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  });
  await dialog.getByLabel('Due').fill(soon);
  await dialog.getByRole('button', { name: 'Schedule task' }).click();
  await nav(page, 'Today').click();
  await expect(page.getByRole('status').filter({ hasText: 'Reminders on while this tab is open.' })).toBeVisible();
  await expect.poll(() => page.evaluate(() => window.__notified), { timeout: 60_000 }).toEqual([{ title: 'Due now: Confirm the order', body: 'Ironwood fleet' }]);
});

test('Today, Leads and Accounts on a 390 px phone with the demo data: everything fits', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect(page.locator('.card').first()).toBeVisible();
  await page.goto('./?view=today');
  await expect(page.getByRole('heading', { level: 1, name: 'Today' })).toBeVisible();
  // The demo gives most open deals a next step, some overdue, some today.
  const overdue = Number((await page.getByRole('heading', { name: /^Overdue \(\d+\)$/ }).textContent()).match(/\d+/)[0]);
  expect(overdue).toBeGreaterThan(0);
  const width = await page.evaluate(() => document.querySelector('.today').getBoundingClientRect().width);
  expect(width).toBeLessThanOrEqual(390);
  const overflow = await page.evaluate(() => [...document.querySelectorAll('.today .task-list li')].filter((li) => li.scrollWidth > li.clientWidth + 1).length);
  expect(overflow).toBe(0);
  await page.screenshot({ path: 'tests/e2e/artifacts/today-390.png', fullPage: false });
  // The Leads page too: the demo's open leads, every row within the screen.
  await page.goto('./?view=leads');
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Leads', exact: true }).getByRole('listitem').first()).toBeVisible();
  const leadsWidth = await page.evaluate(() => document.querySelector('.leads').getBoundingClientRect().width);
  expect(leadsWidth).toBeLessThanOrEqual(390);
  const wide = await page.evaluate(() => [...document.querySelectorAll('.lead-list li')].filter((li) => li.getBoundingClientRect().right > 390).length);
  expect(wide).toBe(0);
  // Accounts: the table scrolls inside its own region (reachable by keyboard), the page
  // does not; an account page fits.
  await page.goto('./?view=accounts');
  const region = page.getByRole('region', { name: 'Accounts' });
  await expect(region).toBeVisible();
  expect(await page.evaluate(() => document.querySelector('.accounts').getBoundingClientRect().width)).toBeLessThanOrEqual(390);
  await region.focus();
  await expect(region).toBeFocused();
  await region.getByRole('link').first().click();
  await expect(page.locator('main h1')).toBeVisible();
  expect(await page.evaluate(() => document.querySelector('.account').getBoundingClientRect().width)).toBeLessThanOrEqual(390);
  // Its edit controls and activity form fit; so does a lead's page (a contact's: accounts.spec).
  const fits = (sel) => page.evaluate((sel) => [...document.querySelectorAll(sel)].filter((el) => el.getBoundingClientRect().right > 391).length, sel);
  expect(await fits('.account input, .account select, .account button')).toBe(0);
  await page.goto('./?view=leads');
  await page.getByRole('list', { name: 'Leads', exact: true }).getByRole('listitem').first().getByRole('link').first().click();
  await expect(page.getByRole('button', { name: 'Save activity' })).toBeVisible();
  expect(await fits('.lead-page input, .lead-page select, .lead-page button, .lead-page dd')).toBe(0);
  await page.screenshot({ path: 'tests/e2e/artifacts/lead-390.png', fullPage: false });
});

test('Today lists the deals stuck in their stage past its limit, oldest first, and drops one that moves on', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  for (const title of ['Old harbor', 'Older quarry', 'Fresh lead-in']) await addDeal(page, { 'Deal title': title });
  // Back-dated in an export: Qualification's limit 30 days; "Old harbor" entered it 45 days
  // ago, "Older quarry" 60, "Fresh lead-in" today. Stuck: 60 > 30 and 45 > 30, not 0.
  await nav(page, 'Import & export').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download workspace (JSON)' }).click()]);
  const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
  const qualification = doc.pipelines[0].stages.find((s) => s.name === 'Qualification');
  qualification.stuck_after_days = 30;
  const ago = (days) => new Date(Date.now() - days * 86_400_000).toISOString();
  for (const [title, days] of [['Old harbor', 45], ['Older quarry', 60]]) {
    const deal = doc.deals.find((d) => d.title === title);
    deal.created_at = ago(days);
    for (const e of doc.events.filter((e) => e.opportunity === deal.id)) e.at = ago(days);
  }
  await page.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles({ name: 'aged.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await page.getByRole('button', { name: 'Replace my workspace' }).click();
  await expect(page.getByText('Workspace replaced: 3 deals.')).toBeVisible();

  await nav(page, 'Today').click();
  const stuck = page.getByRole('list', { name: 'Stuck deals' });
  await expect(page.getByRole('heading', { name: 'Stuck in their stage (2)' })).toBeVisible();
  await expect(stuck.getByRole('listitem')).toHaveText(['Older quarry · Qualification · 60 days', 'Old harbor · Qualification · 45 days']);
  // One moves on: it is no longer stuck.
  await nav(page, 'Board').click();
  await card(column(page, 'Qualification'), 'Older quarry').dragTo(column(page, 'Needs analysis'));
  await confirmMove(page, 'Older quarry', 'Needs analysis');
  await nav(page, 'Today').click();
  await expect(page.getByRole('heading', { name: 'Stuck in their stage (1)' })).toBeVisible();
  await expect(stuck.getByRole('listitem')).toHaveText(['Old harbor · Qualification · 45 days']);
  // 中文 too.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await expect(page.getByRole('heading', { name: '在阶段中停滞（1）' })).toBeVisible();
  expect(errors).toEqual([]);
});
