// Storage failures are visible and never leave the screen ahead of what is stored.
import { test, expect, openApp, column, card, addDeal, dealCount, readStore, storedLayout, withCompact } from './helpers.mjs';

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
  // Said as what it is (storage full), not "the browser aborted the write".
  await expect(alert).toContainText("Your last change was not saved: this browser's storage for Funnelscope is full.");
  await expect(card(column(page, 'Qualification'), 'Fragile deal')).toBeVisible();
  await expect(card(column(page, 'Demo'), 'Fragile deal')).toHaveCount(0);
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toBeHidden();

  await page.evaluate(() => (window.__failWrites = false));
  await page.reload();
  await expect(card(column(page, 'Qualification'), 'Fragile deal')).toBeVisible();
});

test('a database written by schema version 1 is migrated in place, data intact', async ({ page }) => {
  // Before the app starts, create the version-1 database an older release left behind:
  // three stores and one pipeline with one deal and its creation event.
  await page.addInitScript(() => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    const stage = (id, name, kind, probability) => ({
      id, name, kind, probability, description: '', entry_criteria: [], exit_criteria: [], archived: false,
    });
    const req = indexedDB.open('funnelscope', 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const name of ['pipelines', 'deals', 'events']) db.createObjectStore(name, { keyPath: 'id' });
      const tx = req.transaction;
      tx.objectStore('pipelines').put({
        id: 'p1', name: 'Legacy pipeline',
        stages: [stage('s1', 'Lead', 'Open', 20), stage('s2', 'Proposal', 'Open', 60), stage('w', 'Won', 'Won', 100), stage('l', 'Lost', 'Lost', 0)],
      });
      tx.objectStore('deals').put({
        id: 'd1', pipeline: 'p1', title: 'Old deal', account: 'Legacy Ltd', contact: '', amount: 420000, currency: 'USD',
        owner: 'Ann', source: '', created_at: '2026-01-05T10:00:00Z', updated_at: '2026-01-05T10:00:00Z',
        expected_close: null, stage: 's2', lost_reason: '', notes: '',
      });
      tx.objectStore('events').put({ id: 'e1', opportunity: 'd1', from: null, to: 's1', at: '2026-01-05T10:00:00Z', note: '' });
      tx.objectStore('events').put({ id: 'e2', opportunity: 'd1', from: 's1', to: 's2', at: '2026-02-01T10:00:00Z', note: '' });
    };
    req.onsuccess = () => req.result.close();
  });
  await openApp(page);
  await expect(card(column(page, 'Proposal'), 'Old deal')).toBeVisible();
  await expect(card(column(page, 'Proposal'), 'Old deal')).toContainText('$4,200');
  const version = await page.evaluate(() => new Promise((r) => {
    const q = indexedDB.open('funnelscope');
    q.onsuccess = () => { r([q.result.version, [...q.result.objectStoreNames].sort()]); q.result.close(); };
  }));
  expect(version).toEqual([10, ['accounts', 'activities', 'backups', 'category_changes', 'contacts', 'deals', 'events', 'leads', 'meta', 'owners', 'pipelines', 'removed', 'segments', 'settings']]);
  // Records stored as JS objects (before v9) are cut into segments in the background of
  // the first open, however few: the next open reads them with the first download alone.
  await expect.poll(() => storedLayout(page, 'events')).toEqual({ loose: 0, segments: 1 });
  expect(await storedLayout(page, 'deals')).toEqual({ loose: 0, segments: 1 });

  // The new store works: a forecast call is logged and survives a reload.
  await card(column(page, 'Proposal'), 'Old deal').getByRole('link', { name: 'Old deal' }).click();
  await page.getByRole('button', { name: 'Edit deal' }).click();
  await page.getByRole('dialog', { name: 'Edit deal' }).getByLabel('Forecast category').selectOption({ label: 'Commit' });
  await page.getByRole('dialog', { name: 'Edit deal' }).getByRole('button', { name: 'Save deal' }).click();
  await page.reload();
  await expect(page.getByText('Commit', { exact: true })).toBeVisible();
  expect((await readStore(page, 'category_changes')).map((c) => c.category)).toEqual(['Commit']);
  // Stored loose as this build stores a record: its id, and the record in the compact encoding.
  expect(await storedLayout(page, 'category_changes')).toEqual({ loose: 1, segments: 0 });
  const stored = await page.evaluate(() => new Promise((r) => {
    const q = indexedDB.open('funnelscope');
    q.onsuccess = () => {
      const all = q.result.transaction('category_changes').objectStore('category_changes').getAll();
      all.onsuccess = () => { r(all.result.map((c) => [Object.keys(c), new TextDecoder().decode(c.data.subarray(0, 4))])); q.result.close(); };
    };
  }));
  expect(stored).toEqual([[['id', 'data'], 'FSB1']]);
});

test('a version-6 database of loose records is read, then cut into segments; changes after the cut lie over them', async ({ page }) => {
  // The layout every earlier release left: one record per deal and per event. 1,200 deals
  // with their creation event (2,400 records, over the 2,000 from which a cut is made).
  await page.addInitScript(() => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    const stage = (id, name, kind, probability) => ({
      id, name, kind, probability, description: '', entry_criteria: [], exit_criteria: [], archived: false,
    });
    const req = indexedDB.open('funnelscope', 6);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const name of ['pipelines', 'deals', 'events', 'category_changes', 'backups', 'activities', 'owners', 'leads', 'accounts', 'contacts']) {
        db.createObjectStore(name, { keyPath: 'id' });
      }
      db.createObjectStore('meta');
      db.createObjectStore('settings');
      const tx = req.transaction;
      tx.objectStore('pipelines').put({
        id: 'p1', name: 'Legacy pipeline',
        stages: [stage('s1', 'Lead', 'Open', 20), stage('s2', 'Proposal', 'Open', 60), stage('w', 'Won', 'Won', 100), stage('l', 'Lost', 'Lost', 0)],
      });
      for (let i = 0; i < 1200; i++) {
        const id = `d${String(i).padStart(4, '0')}`;
        const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
        tx.objectStore('deals').put({
          id, pipeline: 'p1', title: `Deal ${i}`, account: '', contact: '', amount: (1000 + i) * 100, currency: 'USD',
          owner: '', source: '', created_at: at, updated_at: at, expected_close: null, stage: 's1', lost_reason: '', notes: '',
        });
        tx.objectStore('events').put({ id: `e${id}`, opportunity: id, from: null, to: 's1', at, note: '', seq: i + 1 });
      }
      tx.objectStore('settings').put({ exchange: { reporting: 'USD', rates: [{ currency: 'CNY', on: '2026-01-01', rate: '0.14' }] } }, 'settings');
      tx.objectStore('meta').put(3, 'rev');
    };
    req.onsuccess = () => req.result.close();
  });
  await openApp(page, './?view=board');
  await expect.poll(() => dealCount(page)).toBe(1200);
  // Cut in the background once the board is up: everything in segments, nothing loose.
  await expect.poll(async () => storedLayout(page, 'deals'), { timeout: 20_000 }).toEqual({ loose: 0, segments: 1 });
  expect(await storedLayout(page, 'events')).toEqual({ loose: 0, segments: 1 });
  expect((await readStore(page, 'deals')).length).toBe(1200);
  const [version, settingsFields] = await page.evaluate(() => new Promise((r) => {
    const q = indexedDB.open('funnelscope');
    q.onsuccess = () => {
      const s = q.result.transaction('settings').objectStore('settings').get('settings');
      s.onsuccess = () => { r([q.result.version, Object.keys(s.result)]); q.result.close(); };
    };
  }));
  expect(version).toBe(10);
  // The settings record, a JS object before, put again by the cut as this build stores it.
  expect(settingsFields).toEqual(['data']);
  expect(await readStore(page, 'settings')).toEqual([{ exchange: { reporting: 'USD', rates: [{ currency: 'CNY', on: '2026-01-01', rate: '0.14' }] } }]);

  // Read back from the segments: the same deals, amounts and stages.
  await page.reload();
  await expect.poll(() => dealCount(page)).toBe(1200);
  await page.getByRole('search', { name: 'Find deals' }).getByRole('searchbox', { name: 'Search deals' }).fill('Deal 1199');
  await expect(card(column(page, 'Lead'), 'Deal 1199')).toContainText('$2,199');

  // A move after the cut is stored loose (the deal and its event) and wins over the
  // segment's copy on the next open.
  await page.getByRole('combobox', { name: 'Move Deal 1199 to stage' }).selectOption({ label: 'Proposal' });
  await page.getByRole('dialog').getByRole('button', { name: 'Move', exact: true }).click();
  await expect(card(column(page, 'Proposal'), 'Deal 1199')).toBeVisible();
  expect(await storedLayout(page, 'deals')).toEqual({ loose: 1, segments: 1 });
  expect(await storedLayout(page, 'events')).toEqual({ loose: 1, segments: 1 });
  await page.reload();
  await page.getByRole('search', { name: 'Find deals' }).getByRole('searchbox', { name: 'Search deals' }).fill('Deal 1199');
  await expect(card(column(page, 'Proposal'), 'Deal 1199')).toBeVisible();
  await expect(card(column(page, 'Lead'), 'Deal 1199')).toHaveCount(0);
  const events = (await readStore(page, 'events')).filter((e) => e.opportunity === 'd1199');
  expect(events.map((e) => e.to)).toEqual(['s1', 's2']);
});

/** What the last release left: segments as JSON arrays under `json` (300 deals and their
 *  creation events, one segment each), and one deal edited since, stored loose. */
/** The stores (keyed by `id`) of versions 7 to 9, besides `meta` and `settings`. */
const STORES_V7_TO_V9 = ['pipelines', 'deals', 'events', 'category_changes', 'backups', 'activities', 'owners', 'leads', 'accounts', 'contacts', 'segments', 'removed'];

const seedVersion7 = (stores) => {
  if (sessionStorage.getItem('seeded')) return;
  sessionStorage.setItem('seeded', '1');
  const stage = (id, name, kind, probability) => ({
    id, name, kind, probability, description: '', entry_criteria: [], exit_criteria: [], archived: false,
  });
  const req = indexedDB.open('funnelscope', 7);
  req.onupgradeneeded = () => {
    const db = req.result;
    for (const name of stores) {
      db.createObjectStore(name, { keyPath: 'id' });
    }
    db.createObjectStore('meta');
    db.createObjectStore('settings');
    const tx = req.transaction;
    const json = (records) => new TextEncoder().encode(JSON.stringify(records));
    const pipeline = {
      id: 'p1', name: 'Legacy pipeline',
      stages: [stage('s1', 'Lead', 'Open', 20), stage('s2', 'Proposal', 'Open', 60), stage('w', 'Won', 'Won', 100), stage('l', 'Lost', 'Lost', 0)],
    };
    const deals = [];
    const events = [];
    for (let i = 0; i < 300; i++) {
      const id = `d${String(i).padStart(4, '0')}`;
      const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z');
      deals.push({
        id, pipeline: 'p1', title: `Deal ${i}`, account: '', contact: '', amount: (1000 + i) * 100, currency: 'USD',
        owner: '', source: '', created_at: at, updated_at: at, expected_close: null, stage: 's1', lost_reason: '', notes: '',
        // A field a newer build wrote: kept through every read and write.
        ...(i === 7 ? { newer_field: { kept: [1, 'two'] } } : {}),
      });
      events.push({ id: `e${id}`, opportunity: id, from: null, to: 's1', at, note: '', seq: i + 1 });
    }
    tx.objectStore('segments').put({ id: 'pipelines/000000', json: json([pipeline]) });
    tx.objectStore('segments').put({ id: 'deals/000000', json: json(deals) });
    tx.objectStore('segments').put({ id: 'events/000000', json: json(events) });
    // Activities and leads, read after the board is shown (their segments arrive while
    // it is put together): one call on Deal 3, one lead.
    const t = '2026-02-01T09:00:00Z';
    tx.objectStore('segments').put({ id: 'activities/000000', json: json([{ id: 'a1', kind: 'Call', deal: 'd0003', subject: 'Legacy call', at: t, created_at: t, updated_at: t }]) });
    tx.objectStore('segments').put({ id: 'leads/000000', json: json([{ id: 'l1', name: 'Legacy Lead', created_at: t, updated_at: t }]) });
    tx.objectStore('deals').put({ ...deals[5], title: 'Deal 5 renamed', updated_at: '2026-03-01T00:00:00Z' });
    // A loose note, as that release stored it (a JS object): read after the board too.
    tx.objectStore('activities').put({ id: 'a2', kind: 'Note', deal: 'd0004', subject: 'Loose legacy note', at: t, created_at: t, updated_at: t });
    tx.objectStore('meta').put(3, 'rev');
  };
  req.onsuccess = () => req.result.close();
};

test('a version-7 database whose segments are JSON is read, then cut again in the compact encoding, unknown fields kept', async ({ page }) => {
  // Far fewer loose records than a cut needs: the JSON segments alone make it.
  await page.addInitScript(seedVersion7, STORES_V7_TO_V9);
  await openApp(page, './?view=board');
  await expect.poll(() => dealCount(page)).toBe(300);
  // Cut in the background: every segment compact, nothing loose, no JSON left.
  const layout = () => page.evaluate(() => new Promise((resolve) => {
    const q = indexedDB.open('funnelscope');
    q.onsuccess = () => {
      const tx = q.result.transaction(['segments', 'deals']);
      const segs = tx.objectStore('segments').getAll();
      const loose = tx.objectStore('deals').count();
      tx.oncomplete = () => {
        resolve({ version: q.result.version, loose: loose.result, segments: segs.result.map((s) => `${s.id} ${s.data ? new TextDecoder().decode(s.data.subarray(0, 4)) : 'json'}`).sort() });
        q.result.close();
      };
    };
  }));
  await expect.poll(layout, { timeout: 20_000 }).toEqual({
    version: 10,
    loose: 0,
    segments: ['activities/000000 FSB1', 'deals/000000 FSB1', 'events/000000 FSB1', 'leads/000000 FSB1', 'pipelines/000000 FSB1'],
  });
  // The records read from the compact bytes (by the test's own decoder) are those stored:
  // the loose edit laid over its segment copy, the unknown field kept, times as they were.
  const deals = await readStore(page, 'deals');
  expect(deals.length).toBe(300);
  expect(deals.find((d) => d.id === 'd0005').title).toBe('Deal 5 renamed');
  expect(deals.find((d) => d.id === 'd0007').newer_field).toEqual({ kept: [1, 'two'] });
  expect(deals.find((d) => d.id === 'd0299').created_at).toBe('2026-01-13T11:00:00Z');
  const events = await readStore(page, 'events');
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  // And the app reads them back the same.
  await page.reload();
  await expect.poll(() => dealCount(page)).toBe(300);
  await page.getByRole('search', { name: 'Find deals' }).getByRole('searchbox', { name: 'Search deals' }).fill('Deal 5 renamed');
  await expect(card(column(page, 'Lead'), 'Deal 5 renamed')).toContainText('$1,005');
  // The activities and the lead came through both encodings.
  expect((await readStore(page, 'activities')).map((a) => [a.id, a.subject, a.deal])).toEqual([['a1', 'Legacy call', 'd0003'], ['a2', 'Loose legacy note', 'd0004']]);
  await page.goto('./?view=leads');
  await expect(page.getByText('Legacy Lead')).toBeVisible();
});

test.describe('with no service worker (it would answer the blocked fetch from its cache)', () => {
  test.use({ serviceWorkers: 'block' });

  test('a version-7 database whose JSON segments cannot be read (the reader did not download): the page says so and shows nothing to write over; with it back, everything is read', async ({ page }) => {
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript(seedVersion7, STORES_V7_TO_V9);
    let tries = 0;
    await page.route(/\/split_read-[0-9a-f]{16}\.wasm$/, (route) => { tries += 1; return route.abort(); });
    await openApp(page, './?view=board');
    await expect(page.getByRole('alert').filter({ hasText: 'Part of what is saved could not be read' })).toBeVisible({ timeout: 15_000 });
    await expect(page.getByRole('button', { name: 'Reload' })).toBeVisible();
    expect(tries).toBeGreaterThanOrEqual(3);
    // Nothing was read: no board, and no welcome page offering to start afresh over it.
    await expect(page.getByRole('button', { name: 'Use B2B template' })).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Lead', exact: true })).toHaveCount(0);
    // The reader back: everything is read.
    await page.unroute(/\/split_read-[0-9a-f]{16}\.wasm$/);
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => dealCount(page)).toBe(300);
    expect(errors).toEqual([]);
  });
});

test('a version-9 database, its clock-stamped times stored as text, is read exactly, and a change after the upgrade is stored and read back', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Seeded from a page of the same origin that is not the app, with the test's own
  // encoder writing times as v9 did: chrono's text, to the millisecond.
  await page.goto('./not-the-app');
  await withCompact(page);
  await page.evaluate((stores) => new Promise((resolve, reject) => {
    const req = indexedDB.open('funnelscope', 9);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const name of stores) {
        db.createObjectStore(name, { keyPath: 'id' });
      }
      db.createObjectStore('meta');
      db.createObjectStore('settings');
      const tx = req.transaction;
      // A segment: the magic once, then each record's bytes.
      const segment = (records) => {
        const parts = records.map((r, i) => window.__compact.encode(r).subarray(i === 0 ? 0 : 4));
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) { out.set(p, at); at += p.length; }
        return out;
      };
      const stage = (id, name, kind, probability) => ({ id, name, kind, probability, description: '', entry_criteria: [], exit_criteria: [], archived: false });
      const pipeline = { id: 'p1', name: 'Clock pipeline', stages: [stage('s1', 'Lead', 'Open', 20), stage('s2', 'Proposal', 'Open', 60), stage('w', 'Won', 'Won', 100), stage('l', 'Lost', 'Lost', 0)] };
      const deal = (id, title, at) => ({ id, pipeline: 'p1', title, account: '', contact: '', amount: 500000, currency: 'USD', owner: '', source: '', created_at: at, updated_at: at, expected_close: null, stage: 's1', lost_reason: '', notes: '' });
      const deals = [deal('d1', 'Stamped one', '2026-11-02T09:41:27.123Z'), deal('d2', 'Stamped two', '2026-11-03T10:00:00.5Z')];
      const events = [
        { id: 'e1', opportunity: 'd1', from: null, to: 's1', at: '2026-11-02T09:41:27.123Z', note: '', seq: 1 },
        { id: 'e2', opportunity: 'd2', from: null, to: 's1', at: '2026-11-03T10:00:00.5Z', note: '', seq: 2 },
        { id: 'e3', opportunity: 'd2', from: 's1', to: 's2', at: '2026-11-04T08:15:30.000007Z', note: '', seq: 3 },
      ];
      tx.objectStore('segments').put({ id: 'pipelines/000000', data: segment([pipeline]) });
      tx.objectStore('segments').put({ id: 'deals/000000', data: segment(deals) });
      tx.objectStore('segments').put({ id: 'events/000000', data: segment(events) });
      tx.objectStore('meta').put(3, 'rev');
    };
    req.onsuccess = () => { req.result.close(); resolve(); };
    req.onerror = () => reject(req.error);
  }), STORES_V7_TO_V9);
  await openApp(page, './?view=board');
  await expect(card(column(page, 'Lead'), 'Stamped one')).toBeVisible();
  await expect(card(column(page, 'Proposal'), 'Stamped two')).toBeVisible();
  const version = await page.evaluate(() => new Promise((r) => {
    const q = indexedDB.open('funnelscope');
    q.onsuccess = () => { r(q.result.version); q.result.close(); };
  }));
  expect(version).toBe(10);
  // Opening changed nothing stored (two deals are far from a cut): the v9 texts are there
  // as they were, the move above read from them (d2 went to Proposal at its third event).
  expect((await readStore(page, 'events')).map((e) => e.at).sort()).toEqual(['2026-11-02T09:41:27.123Z', '2026-11-03T10:00:00.5Z', '2026-11-04T08:15:30.000007Z']);
  // A move after the upgrade is stored as this build stores a time (nanoseconds), and read
  // back with the rest.
  await page.getByRole('combobox', { name: 'Move Stamped one to stage' }).selectOption({ label: 'Proposal' });
  await page.getByRole('dialog').getByRole('button', { name: 'Move', exact: true }).click();
  await expect(card(column(page, 'Proposal'), 'Stamped one')).toBeVisible();
  await page.reload();
  await expect(card(column(page, 'Proposal'), 'Stamped one')).toBeVisible();
  const moved = (await readStore(page, 'events')).filter((e) => e.opportunity === 'd1').map((e) => e.at).sort();
  expect(moved.length).toBe(2);
  expect(moved[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/);
  expect(moved[1] > moved[0]).toBe(true);
  expect(errors).toEqual([]);
});
