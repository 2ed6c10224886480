// Import and export through the real browser: JSON round trip into a fresh profile,
// backups, the Maven CSV, and bad files that change nothing.
import { readFile, writeFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, openApp, column, boardSnapshot, dealCount, showAllStages, storedLayout, addDeal } from './helpers.mjs';

const MAVEN = fileURLToPath(new URL('../../../shared/datasets/maven-sales-pipeline.csv', import.meta.url));
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

async function exportJson(page) {
  await nav(page, 'Import & export').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download workspace (JSON)' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^funnelscope-\d{4}-\d{2}-\d{2}\.json$/);
  return JSON.parse(await readFile(await download.path(), 'utf8'));
}

const withoutTimestamp = ({ exported_at, ...rest }) => rest;

test('export, then import into a fresh profile gives an identical workspace', async ({ page, browser, baseURL }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await expect.poll(async () => dealCount(page)).toBe(300);
  const board = await boardSnapshot(page);
  const doc = await exportJson(page);
  expect(doc.format).toBe('funnelscope');
  expect(doc.version).toBe(5);
  expect(doc.activities.length).toBeGreaterThan(300);
  expect(doc.deals).toHaveLength(300);

  const other = await browser.newContext({ baseURL });
  const fresh = await other.newPage();
  await openApp(fresh);
  await expect(fresh.getByRole('heading', { name: 'Your sales funnel, in a minute' })).toBeVisible();
  await fresh.getByRole('link', { name: 'Import & export' }).click();
  await fresh.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles({
    name: 'team.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)),
  });
  await expect(fresh.getByRole('region', { name: 'Ready to import' })).toContainText('1 pipelines, 300 deals');
  await fresh.getByRole('button', { name: 'Replace my workspace' }).click();
  await expect(fresh.getByText('Workspace replaced: 300 deals.')).toBeVisible();
  await nav(fresh, 'Board').click();
  await expect.poll(async () => dealCount(fresh)).toBe(300);
  expect(await boardSnapshot(fresh)).toEqual(board);
  expect(withoutTimestamp(await exportJson(fresh))).toEqual(withoutTimestamp(doc));
  await other.close();

  // One pipeline alone: with a second pipeline present, only the chosen one is exported.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New pipeline' }).click();
  await page.getByRole('button', { name: 'Use customer journey template' }).click();
  await nav(page, 'Import & export').click();
  const [one] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download this pipeline only (JSON)' }).click(),
  ]);
  const single = JSON.parse(await readFile(await one.path(), 'utf8'));
  expect(single.pipelines.map((p) => p.name)).toEqual(['Customer journey']);
  expect(single.deals).toHaveLength(0);
});

test('deals and the funnel report download as Excel-ready CSV (BOM, Chinese intact)', async ({ page }) => {
  await openApp(page);
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await page.getByRole('button', { name: '加载演示数据' }).click();
  await expect.poll(async () => dealCount(page)).toBe(300);
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '导入与导出' }).click();
  const [deals] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '下载本漏斗的商机（CSV，适用于 Excel / WPS）' }).click(),
  ]);
  const bytes = await readFile(await deals.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.toString('utf8').slice(1);
  expect(text.split('\r\n').filter(Boolean)).toHaveLength(301);
  expect(text).toContain('初步沟通');
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '数据分析' }).click();
  const [report] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '下载此报表（CSV，适用于 Excel / WPS）' }).click(),
  ]);
  const rows = (await readFile(await report.path(), 'utf8')).slice(1).split('\r\n').filter(Boolean);
  expect(rows[0].startsWith('stage,deals_now')).toBe(true);
  expect(rows[1].startsWith('初步沟通,')).toBe(true);
  expect(rows[1].split(',')[3]).toBe('300');
});

test('replacing keeps a backup that can be restored; bad files change nothing', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  await page.getByRole('dialog').getByLabel('Deal title', { exact: true }).fill('Keep me');
  await page.getByRole('dialog').getByRole('button', { name: 'Save deal' }).click();
  await expect(column(page, 'Qualification').getByRole('listitem', { name: 'Keep me' })).toBeVisible();
  const before = await exportJson(page);
  const input = page.getByLabel('Choose a file (.json, .csv or .xlsx)');

  const bad = [
    ['broken.json', '{"format": "funnelscope", "version": 1, "pipelines": [', /not valid JSON at line 1/],
    ['other.json', '{"hello": "world"}', /not a Funnelscope export/],
    ['future.json', '{"format": "funnelscope", "version": 99}', /export version 99 is newer/],
    ['ragged.csv', 'a,b,c\n1,2,3\n4,5\n', /line 3 has 2 columns, the header has 3/],
    ['gbk.csv', Buffer.from([0xbf, 0xcd, 0xbb, 0xa7, 0x0a]), /probably GBK/],
    // An export whose text is not UTF-8 (a byte 0xff inside a string): checked before it is read.
    ['latin.json', Buffer.concat([Buffer.from('{"format": "funnelscope", "version": 5, "x": "'), Buffer.from([0xff]), Buffer.from('"}')]), /it is not UTF-8 text/],
  ];
  for (const [name, content, why] of bad) {
    await input.setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.isBuffer(content) ? content : Buffer.from(content) });
    await expect(page.getByRole('alert')).toContainText(`Nothing was imported from ${name}`);
    await expect(page.getByRole('alert')).toContainText(why);
  }
  // A file the browser cannot read (moved or changed on disk after it was chosen): its
  // read fails as the browser fails it then (NotReadableError), injected here because a
  // file cannot be made to change between choosing and reading reliably.
  await page.evaluate(() => {
    const read = Blob.prototype.arrayBuffer;
    Blob.prototype.arrayBuffer = function () {
      return window.__unreadable ? Promise.reject(new DOMException('The requested file could not be read', 'NotReadableError')) : read.call(this);
    };
    window.__unreadable = true;
  });
  await input.setInputFiles({ name: 'moved.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(before)) });
  await expect(page.getByRole('alert')).toContainText('Nothing was imported from moved.json: the browser could not read it (it may have been moved or changed while it was read)');
  await page.evaluate(() => { window.__unreadable = false; });
  // A 500 MB file is refused before it is read (a sparse file: no disk is used).
  const huge = join(tmpdir(), 'funnelscope-500mb.csv');
  await writeFile(huge, '');
  await truncate(huge, 500 * 1024 * 1024);
  await input.setInputFiles(huge);
  await expect(page.getByRole('alert')).toContainText('Nothing was imported from funnelscope-500mb.csv: it is 500 MB, more than the 400 MB');
  await rm(huge);
  expect(withoutTimestamp(await exportJson(page))).toEqual(withoutTimestamp(before));

  // Replace with an empty-but-valid workspace, then restore the backup.
  const empty = { format: 'funnelscope', version: 1, exported_at: before.exported_at, pipelines: [before.pipelines[0]], deals: [], events: [] };
  await input.setInputFiles({ name: 'empty.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(empty)) });
  await page.getByRole('button', { name: 'Replace my workspace' }).click();
  await expect(page.getByText('Workspace replaced: 0 deals.')).toBeVisible();
  const backups = page.getByRole('list', { name: 'Backups' });
  await expect(backups.getByRole('listitem')).toHaveCount(1);
  await expect(backups.getByRole('listitem')).toContainText('1 deals');
  await backups.getByRole('button', { name: /^Restore the backup from / }).click();
  await expect(page.getByText(/Backup restored/)).toBeVisible();
  await expect(backups.getByRole('listitem')).toHaveCount(2);
  await nav(page, 'Board').click();
  await expect(column(page, 'Qualification').getByRole('listitem', { name: 'Keep me' })).toBeVisible();
  await page.reload();
  await expect(column(page, 'Qualification').getByRole('listitem', { name: 'Keep me' })).toBeVisible();
});

test('merging a teammate\'s export keeps the newer edit of each field and reports what it overrode', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  await page.getByRole('dialog').getByLabel('Deal title', { exact: true }).fill('Alpha');
  await page.getByRole('dialog').getByRole('button', { name: 'Save deal' }).click();
  const shared = await exportJson(page);

  // The teammate's copy: a note added later on their device, and one more move.
  const theirs = structuredClone(shared);
  const deal = theirs.deals[0];
  const later = new Date(Date.now() + 60_000).toISOString();
  deal.notes = 'Call back in May';
  deal.field_times = { notes: later };
  deal.updated_at = later;
  deal.device = 'teammate';
  const demo = theirs.pipelines[0].stages[2].id;
  theirs.events.push({ id: 'teammate-move-1', opportunity: deal.id, from: deal.stage, to: demo, at: later, note: 'from the teammate' });

  // Meanwhile, here: the title is edited.
  await nav(page, 'Board').click();
  await page.getByRole('link', { name: 'Alpha' }).click();
  await page.getByRole('button', { name: 'Edit deal' }).click();
  await page.getByRole('dialog').getByLabel('Deal title', { exact: true }).fill('Alpha (renewal)');
  await page.getByRole('dialog').getByRole('button', { name: 'Save deal' }).click();

  await nav(page, 'Import & export').click();
  const input = page.getByLabel('Choose a file (.json, .csv or .xlsx)');
  await input.setInputFiles({ name: 'teammate.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(theirs)) });
  await page.getByRole('button', { name: 'Merge into my workspace' }).click();
  const ready = page.getByRole('region', { name: 'Ready to import' });
  await expect(ready).toContainText('adds 0 deals and 1 stage changes; 2 field values');
  const report = ready.getByRole('table', { name: 'Values overridden by the merge' });
  const row = (field) => report.locator('tbody tr').filter({ has: page.getByRole('cell', { name: field, exact: true }) });
  await expect(row('title')).toContainText('Alpha (renewal)');
  await expect(row('notes')).toContainText('Call back in May');
  await page.getByRole('button', { name: 'Apply the merge' }).click();
  await expect(page.getByText('Merged: the workspace now has 1 deals.')).toBeVisible();
  await nav(page, 'Board').click();
  await expect(column(page, 'Demo').getByRole('listitem', { name: 'Alpha (renewal)' })).toBeVisible();
  await page.getByRole('link', { name: 'Alpha (renewal)' }).click();
  await expect(page.getByText('Call back in May')).toBeVisible();
  const merged = await exportJson(page);

  // The same file again changes nothing.
  await input.setInputFiles({ name: 'teammate.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(theirs)) });
  await page.getByRole('button', { name: 'Merge into my workspace' }).click();
  await expect(ready).toContainText('adds 0 deals and 0 stage changes');
  const backups = page.getByRole('list', { name: 'Backups' }).getByRole('listitem');
  await expect(backups).toHaveCount(1);
  await page.getByRole('button', { name: 'Apply the merge' }).click();
  // Nothing new: nothing written and no second backup (issue 8: every merge added one).
  await expect(page.getByText('The file brings nothing new: nothing was changed and no backup was taken.')).toBeVisible();
  await expect(backups).toHaveCount(1);
  expect(withoutTimestamp(await exportJson(page))).toEqual(withoutTimestamp(merged));
});

test('a merge offered before another tab\'s edit is worked out again when applied: both stay', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await addDeal(page, { 'Deal title': 'Alpha' });
  const theirs = await exportJson(page);
  const later = new Date(Date.now() + 60_000).toISOString();
  Object.assign(theirs.deals[0], { notes: 'Call back in May', field_times: { notes: later }, updated_at: later, device: 'teammate' });

  // The merge is worked out and offered here (the shown merge keeps the title "Alpha")…
  await nav(page, 'Import & export').click();
  await page.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles({ name: 'teammate.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(theirs)) });
  await page.getByRole('button', { name: 'Merge into my workspace' }).click();
  await expect(page.getByRole('region', { name: 'Ready to import' })).toContainText('adds 0 deals and 0 stage changes; 1 field values');
  // …then another tab renames the deal (this tab hears of it, or finds the store moved on
  // when it writes: either way memory is no longer where the merge was worked out).
  const other = await page.context().newPage();
  await openApp(other, './?view=board');
  await other.getByRole('link', { name: 'Alpha' }).click();
  await other.getByRole('button', { name: 'Edit deal' }).click();
  await other.getByRole('dialog').getByLabel('Deal title', { exact: true }).fill('Alpha (other tab)');
  await other.getByRole('dialog').getByRole('button', { name: 'Save deal' }).click();
  await expect(other.getByRole('heading', { name: 'Alpha (other tab)' })).toBeVisible();
  await other.close();
  // Applied: merged against the renamed deal, not the one the offer was worked out on.
  await page.getByRole('button', { name: 'Apply the merge' }).click();
  await expect(page.getByText('Merged: the workspace now has 1 deals.')).toBeVisible();
  const after = await exportJson(page);
  expect(after.deals.map((d) => [d.title, d.notes])).toEqual([['Alpha (other tab)', 'Call back in May']]);
});

test('an export encrypted with a passphrase imports only with that passphrase', async ({ page, browser, baseURL }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  await page.getByRole('dialog').getByLabel('Deal title', { exact: true }).fill('Secret merger');
  await page.getByRole('dialog').getByRole('button', { name: 'Save deal' }).click();
  await nav(page, 'Import & export').click();
  await page.getByLabel('Passphrase to encrypt the file (optional)').fill('correct horse battery staple');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download workspace (JSON)' }).click(),
  ]);
  await expect(page.getByText(/encrypted with your passphrase/)).toBeVisible();
  const text = await readFile(await download.path(), 'utf8');
  const env = JSON.parse(text);
  expect(env.format).toBe('funnelscope-encrypted');
  expect(env.cipher).toBe('AES-256-GCM');
  expect(text).not.toContain('Secret merger');

  const other = await browser.newContext({ baseURL });
  const fresh = await other.newPage();
  await openApp(fresh);
  await fresh.getByRole('link', { name: 'Import & export' }).click();
  await fresh.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles({ name: 'locked.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  const locked = fresh.getByRole('region', { name: 'Encrypted file' });
  await locked.getByLabel('Passphrase').fill('wrong guess');
  await locked.getByRole('button', { name: 'Decrypt' }).click();
  await expect(fresh.getByRole('alert')).toHaveText('Wrong passphrase (or the file was altered): nothing was imported.');
  await locked.getByLabel('Passphrase').fill('correct horse battery staple');
  await locked.getByRole('button', { name: 'Decrypt' }).click();
  await expect(fresh.getByRole('region', { name: 'Ready to import' })).toContainText('1 pipelines, 1 deals');
  await fresh.getByRole('button', { name: 'Replace my workspace' }).click();
  await nav(fresh, 'Board').click();
  await expect(column(fresh, 'Qualification').getByRole('listitem', { name: 'Secret merger' })).toBeVisible();
  await other.close();
});

test('a Chinese spreadsheet imports after matching its columns; bad rows are named and nothing changes', async ({ page }) => {
  await openApp(page);
  await page.getByRole('combobox', { name: 'Language' }).selectOption('简体中文');
  await page.getByRole('button', { name: '使用 B2B 模板' }).click();
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '导入与导出' }).click();
  const input = page.getByLabel('选择文件（.json、.csv 或 .xlsx）');
  const sheet = '\ufeff商机名称,客户,金额,阶段,负责人,创建日期,备注列\n' +
    'ERP 二期,甲公司,"¥1,200,000",需求分析,王芳,2024年3月5日,x\n' +
    '云迁移,乙公司,80000.50,赢单,李强,2024-01-02,y\n' +
    '培训,丙公司,,试用中,王芳,,z\n';
  // First a version with a bad amount: the row and column are named, nothing is imported.
  await input.setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet.replace('80000.50', '八万')) });
  const map = page.getByRole('region', { name: '匹配表格的列' });
  await expect(map.getByRole('combobox', { name: '列「金额」的含义' })).toHaveValue('Amount');
  await expect(map.getByRole('combobox', { name: '列「备注列」的含义' })).toHaveValue('');
  await map.getByRole('button', { name: /^将 3 个商机导入/ }).click();
  await expect(page.getByRole('alert')).toContainText('第 3 行，列“金额”：“八万”不是金额');
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '看板' }).click();
  expect(await dealCount(page)).toBe(0);

  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '导入与导出' }).click();
  await input.setInputFiles({ name: 'deals.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet) });
  await map.getByRole('combobox', { name: '列「负责人」的含义' }).selectOption('Owner');
  await map.getByRole('button', { name: /^将 3 个商机导入/ }).click();
  await expect(page.getByRole('status')).toContainText('已导入 3 个商机。 新建阶段：试用中。');
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '看板' }).click();
  await expect(column(page, '需求分析').getByRole('listitem', { name: 'ERP 二期' })).toContainText('¥1,200,000');
  await showAllStages(page);
  await expect(column(page, '赢单').getByRole('listitem', { name: '云迁移' })).toBeVisible();
  await expect(column(page, '试用中').getByRole('listitem', { name: '培训' })).toBeVisible();
  await page.reload();
  await expect(column(page, '试用中').getByRole('listitem', { name: '培训' })).toBeVisible();
});

test('an Excel workbook of deals imports through the same column matching (dates and amounts from number cells)', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await nav(page, 'Import & export').click();
  // tests/fixtures/deals-en.xlsx (XlsxWriter): 5 deals, amounts 1000.5 … 5000.5 as numbers,
  // "Created" as date cells 2026-10-01 … 2026-10-05.
  await page.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles('tests/fixtures/deals-en.xlsx');
  const map = page.getByRole('region', { name: "Match the spreadsheet's columns" });
  await expect(map.getByRole('combobox', { name: 'Meaning of column Amount' })).toHaveValue('Amount');
  await expect(map.getByRole('combobox', { name: 'Meaning of column Created' })).toHaveValue('Created');
  await map.getByRole('button', { name: /^Import 5 deals into / }).click();
  await expect(page.getByRole('status')).toContainText('Imported 5 deals.');
  await nav(page, 'Board').click();
  await expect(column(page, 'Demo').getByRole('listitem', { name: 'Deal 2' })).toContainText('$2,000.50');
  await column(page, 'Demo').getByRole('link', { name: 'Deal 2' }).click();
  await expect(page.getByRole('definition').filter({ hasText: 'Account 2 & Co' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: /^2 Oct 2026/ })).toBeVisible();
});

test('a large spreadsheet is read in steps with a progress bar', async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await nav(page, 'Import & export').click();
  let sheet = 'Deal,Account,Amount,Stage\n';
  for (let i = 0; i < 100_000; i++) sheet += `Deal ${i},Account ${i % 97},${(i % 50) * 100},Qualification\n`;
  // Record whether a progress bar was ever shown while the file was read.
  await page.evaluate(() => {
    window.__sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('progress')) window.__sawProgress = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  const t0 = await page.evaluate(() => performance.now());
  await page.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet) });
  await expect(page.getByRole('region', { name: 'Match the spreadsheet\'s columns' })).toContainText('100000 rows');
  console.log(`100,000-row spreadsheet (${(sheet.length / 1e6).toFixed(1)} MB) read and checked: ${((await page.evaluate(() => performance.now())) - t0).toFixed(0)} ms`);
  expect(await page.evaluate(() => window.__sawProgress)).toBe(true);
});

test('the Maven sales-pipeline CSV imports as-is and the board matches the file', async ({ page }) => {
  test.setTimeout(120_000);
  const text = await readFile(MAVEN, 'utf8');
  const counts = {};
  for (const line of text.trim().split('\n').slice(1)) {
    const stage = line.split(',')[4];
    counts[stage] = (counts[stage] ?? 0) + 1;
  }
  await openApp(page);
  await page.getByRole('button', { name: 'Use B2B template' }).click();
  await nav(page, 'Import & export').click();
  const t0 = await page.evaluate(() => performance.now());
  await page.getByLabel('Choose a file (.json, .csv or .xlsx)').setInputFiles(MAVEN);
  await expect(page.getByRole('region', { name: 'Ready to import' })).toContainText('8800 deals');
  console.log(`Maven CSV (8,800 rows) read and checked in the browser: ${((await page.evaluate(() => performance.now())) - t0).toFixed(0)} ms`);
  // A long write says so while it runs: watched from before the click, as the write may
  // be over (about a second) before a poll for the line would find it.
  await page.evaluate(() => {
    window.__savingShown = false;
    const seen = () => [...document.querySelectorAll('[role="status"]')].some((e) => /^Saving \d+ records… \d+%/.test(e.textContent));
    new MutationObserver(() => { window.__savingShown ||= seen(); }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const t1 = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Add as a new pipeline' }).click();
  await expect(page.getByText('Added a pipeline with 8800 deals.')).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => window.__savingShown)).toBe(true);
  console.log(`Maven CSV stored (8,800 deals and their history): ${((await page.evaluate(() => performance.now())) - t1).toFixed(0)} ms`);
  // The new records went in as segments of their own (8,800 deals: 3 of 4,000 at most),
  // not one by one (32,697 records, ≈ 9.5 s before); the template's pipeline stays loose.
  expect(await storedLayout(page, 'deals')).toEqual({ loose: 0, segments: 3 });
  expect((await storedLayout(page, 'events')).loose).toBe(0);
  expect(await storedLayout(page, 'pipelines')).toEqual({ loose: 1, segments: 1 });
  await page.getByRole('combobox', { name: 'Pipeline' }).selectOption({ label: 'Maven sales pipeline' });
  await nav(page, 'Board').click();
  await showAllStages(page);
  for (const [stage, n] of Object.entries(counts)) {
    await expect(column(page, stage).locator('.count')).toHaveText(`${n} deals`);
  }
  // Reloaded twice, the board still equals the file (issue 8: same-instant events came
  // back in id order, and Prospecting/Engaging read 1,310/779 instead of 500/1,589).
  for (let i = 0; i < 2; i++) {
    await page.reload();
    for (const [stage, n] of Object.entries(counts)) {
      await expect(column(page, stage).locator('.count')).toHaveText(`${n} deals`);
    }
  }
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(8800);
  await nav(page, 'Analytics').click();
  await expect(page.getByRole('button', { name: `Engaging: ${8800 - counts.Prospecting} deals reached` })).toBeVisible();
  // Issue 9: figures with too little behind them say so. Prospecting has no date of its
  // own (deals are created in it at their engage date): not measured, not "0.0 days"; one
  // measured stage is not compared with itself; nothing is stuck against a 0-day limit.
  const engaged = 8800 - counts.Prospecting;
  await expect(page.getByText(`Prospecting: time in stage not measured — ${engaged} of ${engaged} finished visits left the moment they entered`)).toBeVisible();
  await expect(page.locator('.callout', { hasText: 'Slowest stage' })).toContainText('Needs a measured median time in at least two stages');
  await expect(page.getByText(/vs 0\.0 days/)).toHaveCount(0);
  // The unbiased "won within a year" comes first in the conversion table.
  const headers = await page.getByRole('table').filter({ hasText: 'Won within a year (estimate)' }).locator('thead th').allTextContents();
  expect(headers.slice(0, 5)).toEqual(['Stage', 'Entered', 'Won within a year (estimate)', 'Won so far ÷ entered', 'Won ÷ closed']);
  // Seen from today the history stopped on 2017-12-31: the forecast says so instead of a
  // bare $0, and offers the history's own view.
  await nav(page, 'Forecast').click();
  const stale = page.getByRole('note').filter({ hasText: 'The newest change in this pipeline is from 2017-12-31' });
  await expect(stale).toContainText('that is why the forecast is $0');
  await stale.getByRole('button', { name: 'Forecast as of 2017-12-31' }).click();
  await expect(page.getByRole('note').filter({ hasText: 'Forecast as of 2017-12-31, the newest change in the data' })).toBeVisible();
  const expected = page.locator('.callout', { hasText: 'Expected won revenue' }).locator('.big');
  await expect.poll(async () => Number((await expected.textContent()).replace(/[^0-9]/g, ''))).toBeGreaterThan(0);
  await expect(page.getByRole('note').filter({ hasText: `${counts.Prospecting + counts.Engaging} open deals have no amount` })).toBeVisible();
  await expect(stale).toHaveCount(0);
  await page.getByRole('button', { name: 'Back to today' }).click();
  await expect(stale).toBeVisible();
});

test('workspaces merged one after another are stored as segments of their own, then cut into as few as they need', async ({ page }) => {
  test.setTimeout(120_000);
  const { spawnSync } = await import('node:child_process');
  const files = [];
  for (const seed of [11, 12, 13]) {
    const out = join(tmpdir(), `funnelscope-merge-${seed}.json`);
    const gen = spawnSync(fileURLToPath(new URL('../../target/release/funnel', import.meta.url)), ['generate', '--deals', '700', '--seed', String(seed), '--as-of', '2026-11-27', '--out', out]);
    expect(gen.status, String(gen.stderr)).toBe(0);
    files.push(JSON.parse(await readFile(out, 'utf8')));
    await rm(out);
  }
  const kinds = ['pipelines', 'deals', 'events', 'category_changes', 'activities', 'owners', 'leads', 'accounts'];
  // Each file: 700 deals and their records, every kind under 4,000, so one segment a kind
  // (8; no contacts). Seeds 11–13 give 2,418 / 2,320 / 2,350 events and 2,522 / 2,586 /
  // 2,577 activities, the rest under 1,000 each.
  for (const f of files) for (const k of kinds) expect(f[k].length).toBeLessThan(4000);
  const layout = async () => Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await storedLayout(page, k)])));
  const segmentsOf = (l) => kinds.reduce((n, k) => n + l[k].segments, 0);
  await openApp(page);
  await page.getByRole('link', { name: 'Import & export' }).click();
  const input = page.getByLabel('Choose a file (.json, .csv or .xlsx)');
  const pick = (f, i) => input.setInputFiles({ name: `team-${i}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(f)) });
  await pick(files[0], 0);
  await page.getByRole('button', { name: 'Replace my workspace' }).click();
  await expect(page.getByText('Workspace replaced: 700 deals.')).toBeVisible();
  expect(segmentsOf(await layout())).toBe(8);
  // The second file merged in: its 8 segments beside the first's, 16 stored where a cut
  // makes 10 (events 2,418 + 2,320 and activities 2,522 + 2,586 are over 4,000: 2 each);
  // 16 ≤ 10 + 9, so they stay.
  await pick(files[1], 1);
  await page.getByRole('button', { name: 'Merge into my workspace' }).click();
  await page.getByRole('button', { name: 'Apply the merge' }).click();
  await expect(page.getByText('Merged: the workspace now has 1400 deals.')).toBeVisible();
  let l = await layout();
  expect(l.deals).toEqual({ loose: 0, segments: 2 });
  expect(segmentsOf(l)).toBe(16);
  // The third: 24 stored where a cut makes 10 (2,100 deals; 7,088 events and 7,685
  // activities, 2 each); 24 > 19, so the cut that follows a big write makes them 10.
  await pick(files[2], 2);
  await page.getByRole('button', { name: 'Merge into my workspace' }).click();
  await page.getByRole('button', { name: 'Apply the merge' }).click();
  await expect(page.getByText('Merged: the workspace now has 2100 deals.')).toBeVisible();
  await expect.poll(async () => segmentsOf(await layout()), { timeout: 20_000 }).toBe(10);
  l = await layout();
  for (const k of kinds) expect(l[k].loose, k).toBe(0);
  expect([l.deals.segments, l.events.segments, l.activities.segments]).toEqual([1, 2, 2]);
  // Read back after the cut, the workspace is the three files' records.
  await page.reload();
  const back = await exportJson(page);
  for (const k of kinds) expect(back[k].length, k).toBe(files.reduce((n, f) => n + f[k].length, 0));
});
