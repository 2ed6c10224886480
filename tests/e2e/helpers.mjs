// Shared e2e helpers: every test watches for requests leaving the app's origin.
import { test as base, expect } from '@playwright/test';

export const test = base.extend({
  page: async ({ page, baseURL }, use) => {
    const origin = new URL(baseURL).origin;
    const foreign = [];
    const errors = [];
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
    });
    page.on('pageerror', (err) => errors.push(String(err)));
    // Content-Security-Policy violations: the browser reports each on the console, and the
    // page's own listener (added before any script) records what the console may not.
    const csp = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) csp.push(msg.text());
    });
    await page.addInitScript(() => {
      addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    await use(page);
    expect(foreign, 'requests outside the app origin').toEqual([]);
    expect(errors, 'uncaught page errors (a wasm panic would show here)').toEqual([]);
    expect(csp, 'Content-Security-Policy violations').toEqual([]);
  },
});

export { expect };

/** Opens the app and waits until the wasm has rendered. */
export async function openApp(page, path = './') {
  await page.goto(path);
  await expect(page.getByRole('link', { name: /Funnelscope/ })).toBeVisible();
}

export const column = (page, name) => page.getByRole('region', { name, exact: true });
export const card = (scope, title) => scope.getByRole('listitem', { name: title, exact: true });

/** Card titles per column, in board order: a complete picture of the board. */
export async function boardSnapshot(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.board .column')].map((col) => ({
      stage: col.querySelector('h2').textContent,
      stats: col.querySelector('.column-stats').textContent,
      cards: [...col.querySelectorAll('.card')].map((c) => c.getAttribute('aria-label')),
    })),
  );
}

/** Deals on the board: open, won and lost, as the board's Show choice counts them (Won
 *  and Lost are not columns unless chosen). */
export async function dealCount(page) {
  const options = await showing(page).locator('option').allTextContents();
  return options.slice(0, 3).reduce((n, s) => n + Number((s.match(/\((\d+)\)/) || [0, '0'])[1]), 0);
}

/** The board's open / won / lost / all stages choice. */
export const showing = (page) => page.getByRole('search').getByRole('combobox', { name: /^(Show|显示)/ });

/** Every stage as a column, Won and Lost included (the board shows open stages by default). */
export async function showAllStages(page) {
  await showing(page).selectOption('all');
  await expect(page).toHaveURL(/show=all/);
}

export async function addDeal(page, fields) {
  await page.getByRole('button', { name: 'Add deal', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New deal' });
  for (const [label, value] of Object.entries(fields)) {
    await dialog.getByLabel(label, { exact: true }).fill(value);
  }
  await dialog.getByRole('button', { name: 'Save deal' }).click();
  await expect(dialog).toBeHidden();
}

export async function confirmMove(page, dealTitle, stage, { note, reason } = {}) {
  const dialog = page.getByRole('dialog', { name: `Move “${dealTitle}” to ${stage}` });
  await expect(dialog).toBeVisible();
  if (note) await dialog.getByLabel('Note (optional)').fill(note);
  if (reason) await dialog.getByRole('combobox', { name: /^Lost reason/ }).selectOption(reason);
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(dialog).toBeHidden();
}

/// A deal page's timeline showing stage changes only (it interleaves activities).
export async function stageHistory(page) {
  await page.getByRole('combobox', { name: 'Show' }).selectOption({ label: 'Stage changes' });
  return page.getByRole('list', { name: 'History' });
}

/** axe-core's serious and critical findings on the page (or inside `include`). The script
 *  is evaluated through the test driver, so the page's Content-Security-Policy (no inline
 *  scripts) stays as it is. */
export async function axeSerious(page, include) {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const src = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(src);
  const violations = await page.evaluate(async (include) => {
    const r = await window.axe.run(include ? { include: [include] } : document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, include);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Puts `window.__compact` in the page: the compact encoding of `io::compact`, from its
 *  description in core/src/io/compact.rs (not from its code). `decode(bytes)`: the records
 *  of a segment; `encode(record)`: one record's bytes (strings written out each time, times
 *  as RFC 3339 text, which the app reads as well); `loose(record)`: a record as the app
 *  stores it loose, `{id, data}`; `plain(stored)`: a stored loose record as a plain object
 *  (one from an older build, a JS object, as it is). */
function installCompact() {
  if (window.__compact) return;
  const decode = (bytes) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    if (utf8.decode(bytes.subarray(0, 4)) !== 'FSB1') throw new Error('not a compact segment');
    let at = 4;
    const strings = [];
    const uuids = [];
    const varint = () => {
      let n = 0;
      for (let scale = 1; ; scale *= 128) {
        const b = bytes[at++];
        if (b === undefined) throw new Error('cut short');
        n += (b & 0x7f) * scale;
        if (b < 0x80) return n;
      }
    };
    const text = () => { const len = varint(); const s = utf8.decode(bytes.subarray(at, at + len)); at += len; return s; };
    const END = 14;
    const value = () => {
      const tag = bytes[at++];
      switch (tag) {
        case 0: return null;
        case 1: return false;
        case 2: return true;
        case 3: return varint();
        case 4: return -1 - varint();
        case 5: { const f = view.getFloat64(at, true); at += 8; return f; }
        case 6: { const s = text(); strings.push(s); return s; }
        case 7: return strings[varint()];
        case 8: return text();
        case 9: {
          const hex = [...bytes.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
          at += 16;
          uuids.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
          return uuids[uuids.length - 1];
        }
        case 10: return uuids[varint()];
        case 11: {
          const z = varint();
          const secs = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
          return new Date(secs * 1000).toISOString().replace('.000Z', 'Z');
        }
        case 15: {
          // Nanoseconds, zigzag: past 2^53, so read as a BigInt. As the text chrono writes:
          // the fraction in 3, 6 or 9 digits, as few as hold it.
          let z = 0n;
          for (let shift = 0n; ; shift += 7n) {
            const b = bytes[at++];
            if (b === undefined) throw new Error('cut short');
            z |= BigInt(b & 0x7f) << shift;
            if (b < 0x80) break;
          }
          const ns = z % 2n === 0n ? z / 2n : -(z + 1n) / 2n;
          let secs = ns / 1000000000n;
          let frac = ns % 1000000000n;
          if (frac < 0n) { frac += 1000000000n; secs -= 1n; }
          const f = Number(frac);
          const digits = f % 1000000 === 0 ? String(f / 1000000).padStart(3, '0') : f % 1000 === 0 ? String(f / 1000).padStart(6, '0') : String(f).padStart(9, '0');
          return `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${digits}Z`;
        }
        case 12: { const out = []; while (bytes[at] !== END) out.push(value()); at++; return out; }
        case 13: { const out = {}; while (bytes[at] !== END) { const k = value(); out[k] = value(); } at++; return out; }
        default: throw new Error(`unknown tag ${tag} at ${at - 1}`);
      }
    };
    const records = [];
    while (at < bytes.length) records.push(value());
    return records;
  };
  const encode = (record) => {
    const utf8 = new TextEncoder();
    const out = [...utf8.encode('FSB1')];
    const varint = (n) => {
      while (n >= 128) { out.push((n % 128) | 128); n = Math.floor(n / 128); }
      out.push(n);
    };
    const value = (v) => {
      if (v === null || v === undefined) out.push(0);
      else if (typeof v === 'boolean') out.push(v ? 2 : 1);
      else if (typeof v === 'number' && Number.isInteger(v)) { out.push(v >= 0 ? 3 : 4); varint(v >= 0 ? v : -1 - v); }
      else if (typeof v === 'number') { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v, true); out.push(5, ...b); }
      else if (typeof v === 'string') { const b = utf8.encode(v); out.push(8); varint(b.length); out.push(...b); }
      else if (Array.isArray(v)) { out.push(12); v.forEach(value); out.push(14); }
      else {
        out.push(13);
        for (const [k, x] of Object.entries(v)) if (x !== undefined) { value(k); value(x); }
        out.push(14);
      }
    };
    value(record);
    return new Uint8Array(out);
  };
  window.__compact = {
    decode,
    encode,
    loose: (record) => ({ id: record.id, data: encode(record) }),
    // (Bytes that are not this encoding, as a test may store to damage a record: as they are.)
    plain: (stored) => (stored.data instanceof Uint8Array && new TextDecoder().decode(stored.data.subarray(0, 4)) === 'FSB1' ? decode(stored.data)[0] : stored),
  };
}

/** Puts `window.__compact` (above) in the page, for a test's own reads and writes of
 *  stored records. Again after every navigation. */
export const withCompact = (page) => page.evaluate(installCompact);

/** Every stored record of one kind, read straight from IndexedDB: what the segments hold
 *  (`segments` store, keys "<store>/<n>", in `data` the compact encoding, read by
 *  `window.__compact`; in `json`, from an older build, a JSON array as UTF-8), with the
 *  loose records of the kind's own store laid over them by id (each `{id, data}`, the
 *  record alone in that encoding; from an older build, the record as a JS object), less
 *  the ids listed as removed since the cut. Times read as the RFC 3339 text JSON holds. The
 *  settings record is read as the loose ones; other stores (backups, meta) as they are. */
export const readStore = async (page, store) => {
  await withCompact(page);
  return page.evaluate((store) => new Promise((resolve, reject) => {
    const { decode: decodeCompact, plain } = window.__compact;
    const q = indexedDB.open('funnelscope');
    q.onerror = () => reject(q.error);
    q.onsuccess = () => {
      const db = q.result;
      const names = [store, 'segments', 'removed'].filter((n) => db.objectStoreNames.contains(n));
      const tx = db.transaction(names);
      const get = (n) => new Promise((r) => { const a = tx.objectStore(n).getAll(); a.onsuccess = () => r(a.result); });
      Promise.all(names.map(get)).then(([loose, segments = [], removed = []]) => {
        db.close();
        if (store === 'backups' || store === 'meta') return resolve(loose);
        if (store === 'settings') return resolve(loose.map(plain));
        const byId = new Map();
        const text = new TextDecoder();
        for (const s of segments) {
          if (!s.id.startsWith(`${store}/`)) continue;
          for (const r of s.data ? decodeCompact(s.data) : JSON.parse(text.decode(s.json))) byId.set(r.id, r);
        }
        for (const r of removed) if (r.id.startsWith(`${store}/`)) byId.delete(r.id.slice(store.length + 1));
        for (const r of loose.map(plain)) byId.set(r.id, r);
        resolve([...byId.values()]);
      });
    };
  }), store);
};

/** How many records of one kind are stored loose (not yet cut into segments), and the
 *  number of segments of that kind. */
export const storedLayout = (page, store) => page.evaluate((store) => new Promise((resolve) => {
  const q = indexedDB.open('funnelscope');
  q.onsuccess = () => {
    const tx = q.result.transaction([store, 'segments']);
    const loose = tx.objectStore(store).count();
    const segs = tx.objectStore('segments').getAllKeys();
    segs.onsuccess = () => { resolve({ loose: loose.result, segments: segs.result.filter((k) => k.startsWith(`${store}/`)).length }); q.result.close(); };
  };
}), store);

/** Starts counting the page's long tasks (the browser's own observer: tasks over 50 ms);
 *  the returned function reads the longest and how many, for a figure to print. Each one's
 *  [start, duration] is kept in `window.__longTasks.entries`. */
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = { longest: 0, count: 0, entries: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__longTasks.longest = Math.max(window.__longTasks.longest, e.duration);
        window.__longTasks.count += 1;
        window.__longTasks.entries.push([e.startTime, e.duration]);
      }
    }).observe({ type: 'longtask' });
  });
  return async () => {
    const { longest, count } = await page.evaluate(() => window.__longTasks);
    return `longest task ${longest.toFixed(0)} ms, ${count} tasks over 50 ms`;
  };
}
