// Issue 13: what opening the app costs over the wire, from the shipped build served as
// the README tells a static host to serve it (the precompressed copies the build writes).
// Prints the figure; asserts only that compression was used, never a size.
import { test, expect, openApp } from './helpers.mjs';

test('first load: the files the first screen fetches, and their bytes over the wire', async ({ page }) => {
  const encoding = {};
  page.on('response', (r) => { encoding[new URL(r.url()).pathname.split('/').pop() || 'index.html'] = r.headers()['content-encoding'] ?? 'identity'; });
  await openApp(page);
  await expect(page.getByRole('button', { name: 'Use B2B template' })).toBeVisible();
  const files = await page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => ({
      name: new URL(e.name).pathname.split('/').pop() || 'index.html',
      wire: e.encodedBodySize,
      body: e.decodedBodySize,
    })),
  );
  const wasm = files.find((f) => f.name.endsWith('.wasm'));
  expect(wasm, 'the app is fetched').toBeTruthy();
  // Every text and wasm file came brotli-compressed, from its .br copy.
  for (const f of files.filter((f) => /\.(html|js|css|wasm)$/.test(f.name))) expect(encoding[f.name], f.name).toBe('br');
  const sum = (k) => files.reduce((s, f) => s + f[k], 0);
  console.log(`first load: ${files.length} files (${files.map((f) => f.name.replace(/-[0-9a-f]{16}/, '')).join(', ')}), ${sum('body')} bytes, ${sum('wire')} bytes over the wire (brotli); the wasm alone ${wasm.wire} (goal for everything: 300 KB)`);
});
