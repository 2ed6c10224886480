// Issue 10, leads: import 200 from a Chinese CSV, duplicates flagged and merged, owners as
// records, round-robin assignment to 3 owners, 20 converted to deals, calls and a task
// logged, Today shows them; reload and export keep everything; the export is saved for the
// DuckDB cross-check of the lead funnel (scripts/test runs it).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { test, expect, openApp, column, axeSerious } from './helpers.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

/** 200 leads with Chinese headers; rows 191–200 reuse the email of rows 1–10 under another
 *  name and company, so exactly 10 are duplicates. Companies are distinct combinations that
 *  share at most 3 of 5 character pairs (never "similar"). */
function chineseCsv() {
  const cities = ['北京', '上海', '杭州', '深圳', '成都'];
  const words = ['蓝海', '云帆', '金石', '星河', '青松', '明德', '华宇', '瑞丰'];
  const trades = ['物流', '科技', '食品', '医疗', '教育'];
  const sources = ['展会', '官网', '转介绍', '电话拓客'];
  const rows = ['线索,公司,电话,邮箱,来源,备注'];
  for (let i = 1; i <= 200; i++) {
    const c = i - 1;
    const company = `${cities[c % 5]}${words[Math.floor(c / 5) % 8]}${trades[Math.floor(c / 40) % 5]}有限公司`;
    const email = i > 190 ? `lead${i - 190}@example.cn` : `lead${i}@example.cn`;
    rows.push(`联系人${i},${company},139${String(10000000 + i).padStart(8, '0')},${email},${sources[i % 4]},第${i}条`);
  }
  return rows.join('\n') + '\n';
}

test('200 leads from a Chinese CSV: duplicates, round robin, 20 deals, calls, Today, export', async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await nav(page, 'Leads').click();

  // Owners are records.
  await page.getByText(/^Owners \(0\)$/).click();
  for (const name of ['张伟', '李娜', '王强']) {
    await page.getByLabel('New owner').fill(name);
    await page.getByRole('button', { name: 'Add owner' }).click();
    await expect(page.getByRole('list', { name: 'Owners' }).getByText(name)).toBeVisible();
  }
  await page.getByLabel('New owner').fill('李娜');
  await page.getByRole('button', { name: 'Add owner' }).click();
  await expect(page.getByRole('alert')).toContainText('There is already an owner called "李娜".');

  // Import.
  await page.getByLabel('Import leads (CSV or Excel)…').setInputFiles({ name: '线索.csv', mimeType: 'text/csv', buffer: Buffer.from('\ufeff' + chineseCsv()) });
  await expect(page.getByRole('status')).toContainText('200 leads added.');
  await expect(page.getByText('200 open (200 unassigned)')).toBeVisible();
  const leads = page.getByRole('list', { name: 'Leads', exact: true });
  await expect(leads.getByRole('listitem')).toHaveCount(200);
  await expect(leads.getByRole('note').filter({ hasText: 'Possible duplicate of' })).toHaveCount(10);
  await expect(leads.getByRole('note').filter({ hasText: '(same email)' })).toHaveCount(10);

  // Bad input changes nothing.
  await page.getByLabel('Quick add (Enter)').fill('Someone, Acme, not-an-email@');
  await page.getByLabel('Quick add (Enter)').press('Enter');
  await expect(page.getByRole('alert')).toContainText('Lead 1: "not-an-email@" is not an email address.');
  await expect(leads.getByRole('listitem')).toHaveCount(200);

  // Merge one duplicate.
  await leads.getByRole('button', { name: /^Merge into / }).first().click();
  await expect(page.getByText('199 open (199 unassigned)')).toBeVisible();
  await expect(leads.getByRole('note').filter({ hasText: 'Possible duplicate of' })).toHaveCount(9);

  // Round robin over the three owners.
  const assign = page.getByRole('region', { name: 'Assign leads' });
  for (const name of ['张伟', '李娜', '王强']) await assign.getByRole('checkbox', { name }).check();
  await assign.getByRole('button', { name: 'Assign 199 unassigned leads (and new ones from now on)' }).click();
  await expect(page.getByRole('status')).toContainText('199 leads assigned');
  await expect(assign).toContainText('New leads: round robin over 张伟, 李娜, 王强.');
  const perOwner = {};
  for (const name of ['张伟', '李娜', '王强']) {
    await page.getByRole('combobox', { name: 'Owner' }).selectOption(name);
    perOwner[name] = await leads.getByRole('listitem').count();
  }
  expect(perOwner).toEqual({ 张伟: 67, 李娜: 66, 王强: 66 });
  await page.getByRole('combobox', { name: 'Owner' }).selectOption({ label: 'All' });
  // A new lead follows the rule (the next owner in turn).
  await page.getByLabel('Quick add (Enter)').fill('Late Lead, Zeta Robotics, zeta@example.com');
  await page.getByLabel('Quick add (Enter)').press('Enter');
  await expect(leads.getByRole('listitem', { name: 'Late Lead · Zeta Robotics' })).toContainText('assigned round robin (张伟, 李娜, 王强)');

  // Calls on five leads, then 20 become deals.
  for (let i = 0; i < 5; i++) {
    await leads.getByRole('listitem').nth(i).getByRole('button', { name: 'Log a call now' }).click();
  }
  await expect(leads.getByRole('listitem').nth(0)).toContainText('touches: 1');
  for (let i = 0; i < 20; i++) {
    // The list shows open leads: the converted one leaves it, the next is first.
    await leads.getByRole('listitem').first().getByRole('button', { name: 'Make it a deal' }).click();
    await expect(page.getByText(new RegExp(`^${200 - i - 1} open \\(`))).toBeVisible();
  }
  await expect(page.getByText('180 open (0 unassigned) · 20 qualified')).toBeVisible();
  await nav(page, 'Board').click();
  await expect(column(page, 'Qualification').locator('.count')).toHaveText('20 deals');
  // A task on one of them shows on Today.
  const first = column(page, 'Qualification').locator('.card').first();
  await first.getByRole('button', { name: /^Log activity on / }).click();
  const dialog = page.getByRole('dialog', { name: /^Log activity: / });
  await dialog.getByLabel('Type').selectOption({ label: 'Task' });
  await dialog.getByLabel('Subject').fill('发送报价');
  await dialog.getByRole('button', { name: 'Schedule task' }).click();
  await nav(page, 'Today').click();
  await expect(page.getByRole('heading', { name: 'Next 7 days (1)' })).toBeVisible();
  await expect(page.getByText('发送报价')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Open deals without a next step (19)' })).toBeVisible();

  // The funnel from lead to deal on Analytics.
  await nav(page, 'Analytics').click();
  const funnel = page.getByRole('list', { name: 'From lead to signed deal' });
  await expect(funnel.getByRole('listitem').nth(0)).toHaveText('Leads 201');
  await expect(funnel.getByRole('listitem').nth(1)).toHaveText('Qualified 20');
  await expect(funnel.getByRole('listitem').nth(2)).toHaveText('Qualification 20');

  // Reload keeps everything; the export carries it (and is kept for the DuckDB check).
  await page.reload();
  await nav(page, 'Leads').click();
  await expect(page.getByText('180 open (0 unassigned) · 20 qualified · 1 disqualified')).toBeVisible();
  await nav(page, 'Import & export').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download workspace (JSON)' }).click()]);
  const text = await readFile(await dl.path(), 'utf8');
  const doc = JSON.parse(text);
  expect(doc.leads).toHaveLength(201);
  expect(doc.owners.map((o) => o.name).sort()).toEqual(['张伟', '李娜', '王强'].sort());
  expect(doc.leads.filter((l) => l.status === 'Qualified')).toHaveLength(20);
  expect(doc.activities.filter((a) => a.lead)).toHaveLength(5);
  await mkdir('tests/e2e/artifacts', { recursive: true });
  await writeFile('tests/e2e/artifacts/leads-export.json', text);

  // 简体中文.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '线索' }).click();
  await expect(page.getByText('180 条待处理（0 条未分配）· 20 条已转化 · 1 条无效')).toBeVisible();
});

test('an Excel workbook of leads, a lead page with the full activity form, Today as start page, the funnel from lead', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await nav(page, 'Leads').click();
  // The fixture (scripts/make_xlsx_fixtures.py): 12 leads, a blank row, two duplicates.
  await page.getByLabel('Import leads (CSV or Excel)…').setInputFiles('tests/fixtures/leads-zh.xlsx');
  await expect(page.getByRole('status')).toContainText('12 leads added.');
  const leads = page.getByRole('list', { name: 'Leads', exact: true });
  await expect(leads.getByRole('listitem')).toHaveCount(12);
  await expect(leads.getByRole('note').filter({ hasText: '(same email)' })).toHaveCount(2);
  await expect(leads.getByRole('listitem', { name: '联系人7 · A&B <贸易>' })).toContainText('13900000007');
  // A file that is no workbook says so, and adds nothing.
  await page.getByLabel('Import leads (CSV or Excel)…').setInputFiles({ name: 'broken.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from('PK\x03\x04 not really a workbook') });
  await expect(page.getByRole('alert')).toContainText('This is not an Excel workbook (.xlsx).');
  await expect(leads.getByRole('listitem')).toHaveCount(12);

  // Assignment by a field's value: companies with 食品 (rows 3 and 6) to 甲, the rest to 乙.
  await page.getByText(/^Owners \(0\)$/).click();
  for (const name of ['甲', '乙']) {
    await page.getByLabel('New owner').fill(name);
    await page.getByRole('button', { name: 'Add owner' }).click();
    await expect(page.getByRole('list', { name: 'Owners' }).getByText(name)).toBeVisible();
  }
  const assign = page.getByRole('region', { name: 'Assign leads' });
  await assign.getByRole('combobox', { name: 'Rule' }).selectOption({ label: "By a field's value" });
  await assign.getByRole('combobox', { name: 'Field', exact: true }).selectOption({ label: 'company' });
  await assign.getByRole('textbox', { name: 'Value 1' }).fill('食品');
  await assign.getByRole('combobox', { name: 'Owner for value 1' }).selectOption('甲');
  await assign.getByRole('combobox', { name: 'All other leads' }).selectOption('乙');
  await assign.getByRole('button', { name: 'Assign 12 unassigned leads (and new ones from now on)' }).click();
  await expect(page.getByRole('status')).toContainText('12 leads assigned');
  await expect(assign).toContainText('New leads: by company (食品 → 甲); others: 乙.');
  await expect(leads.getByRole('listitem', { name: '联系人3 · 上海星河食品' })).toContainText('assigned by company (食品 → 甲)');
  await expect(leads.getByRole('listitem', { name: '联系人1 · 杭州云帆科技有限公司' })).toContainText('assigned by company (other → 乙)');
  await page.getByRole('combobox', { name: 'Owner', exact: true }).selectOption('甲');
  await expect(leads.getByRole('listitem')).toHaveCount(2);
  await page.getByRole('combobox', { name: 'Owner', exact: true }).selectOption('乙');
  await expect(leads.getByRole('listitem')).toHaveCount(10);
  await page.getByRole('combobox', { name: 'Owner', exact: true }).selectOption({ label: 'All' });

  // The lead's own page: a meeting with its duration and outcome, and a call-back task.
  await leads.getByRole('link', { name: '联系人3 · 上海星河食品' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '联系人3 · 上海星河食品' })).toBeVisible();
  await expect(page.getByText('lead3@example.cn')).toBeVisible();
  await page.getByLabel('Type').selectOption({ label: 'Meeting' });
  await page.getByLabel('Subject').fill('Site visit');
  await page.getByLabel('Duration (minutes)').fill('90');
  await page.getByLabel('Outcome').fill('Wants a pilot in March');
  await page.getByRole('button', { name: 'Save activity' }).click();
  await page.getByLabel('Type').selectOption({ label: 'Task' });
  await page.getByLabel('Subject').fill('Call back about the pilot');
  await page.getByRole('button', { name: 'Schedule task' }).click();
  const history = page.getByRole('list', { name: 'Activities (2)' });
  await expect(history).toContainText('Wants a pilot in March');
  await expect(history).toContainText('90 min');
  expect(await axeSerious(page, 'main'), 'lead page').toEqual([]);

  // Today shows the lead's task, linked to the lead; Today becomes the start page.
  await nav(page, 'Today').click();
  const row = page.getByRole('list', { name: /^Next 7 days/ }).getByRole('listitem').filter({ hasText: 'Call back about the pilot' });
  await expect(row.getByRole('link', { name: '联系人3 · 上海星河食品' })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Open Funnelscope on Today' }).check();
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'Today' })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Open Funnelscope on Today' }).uncheck();
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'Today' })).toHaveCount(0);

  // Two leads become deals, one is disqualified; the funnel, the conversion table and
  // "win within" start at lead on request: 12 leads, 2 qualified (16.7%), 1 disqualified
  // → qualified ÷ closed 2/3 = 66.7%.
  await nav(page, 'Leads').click();
  for (let i = 0; i < 2; i++) await leads.getByRole('listitem').first().getByRole('button', { name: 'Make it a deal' }).click();
  const third = leads.getByRole('listitem').first();
  await third.getByLabel('Reason').selectOption({ label: 'No budget' });
  await third.getByRole('button', { name: 'Disqualify' }).click();
  await expect(page.getByText('9 open (0 unassigned) · 2 qualified · 1 disqualified')).toBeVisible();
  await nav(page, 'Analytics').click();
  await page.getByRole('checkbox', { name: 'Start at lead' }).check();
  await expect(page.getByRole('img', { name: 'Leads: 12 leads' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Qualified: 2 leads' })).toBeVisible();
  const conv = page.getByRole('table').filter({ hasText: 'Won within a year (estimate)' });
  const leadRow = conv.getByRole('row', { name: /^Leads/ });
  await expect(leadRow.getByRole('cell')).toHaveText(['12', '0.0%', '0.0%', '0.0%', '16.7%', '66.7%']);
  await expect(page.getByRole('table', { name: 'Win within T days, with 95% interval' }).getByRole('row', { name: /^Leads/ }).getByRole('cell').first()).toHaveText('12 ⚠');
});
