// Trunk post-build hook (Trunk.toml [[hooks]]): splits the wasm, locks the page down and
// makes it work offline. Runs on Trunk's staging directory (TRUNK_STAGING_DIR) before it
// becomes dist/.
//
// 0. The screens other than the board and the welcome page are split points in the code
//    (`wasm_split` in src/ui/mod.rs): wasm-split-cli moves them, and whatever only they
//    use, out of the first download into chunks fetched after the first screen. It works
//    on cargo's own output (linked with relocations, .cargo/config.toml), so Trunk's
//    wasm-bindgen output is made again here from the split main module, and wasm-opt
//    (release) runs here on every module, terser on the JS. Chunks and their loader get
//    content-hashed names like Trunk's files, so a new deploy never meets an old chunk in
//    a cache.
// 1. Trunk writes its wasm bootstrap as an inline <script>. A Content-Security-Policy
//    that allows only the app's own files would block it, so it is moved into a hashed
//    file (boot-<hash>.js) with the service-worker registration appended.
// 2. A CSP <meta> goes first in <head>: scripts, styles, images, fonts and workers from
//    the app's own origin only, connections also to a team-sync server (below); WebAssembly compilation allowed; no inline
//    script or style, no plugins, no <base>, no form posts.
// 3. sw.js lists every built file; its version is a hash of their names (which Trunk
//    already hashes by content), so each deploy yields a new worker that the page offers
//    as an update, and the previous deploy keeps working offline until then.
// 4. Every file is written precompressed beside itself (`name.br`, brotli at its best;
//    `name.gz`, gzip -9) for static hosts that serve those when the browser accepts them
//    (README); the sizes of the first load are printed.
// 5. The engine's Web Worker and 6. the Chinese texts (below: they run after 0, before 1).
import { readFile, writeFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { minify } from 'terser';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('post_build: TRUNK_STAGING_DIR is not set (run through trunk build)');
  process.exit(1);
}

export const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  // Team sync talks to a CouchDB server the user configures, so it cannot be named here:
  // any HTTPS origin, or plain HTTP on this computer. With sync off the app contacts none
  // (the browser tests assert it); with it on, only the configured server.
  "connect-src 'self' https: http://localhost:* http://127.0.0.1:*",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

// The JS of a release build, minified (wasm-bindgen's glue, the split loader, the boot
// script: 3 KB gzip of the first load). Trunk's own minifier cannot parse the glue.
const minified = async (code) => {
  try {
    return (await minify(code, { module: true, compress: true, mangle: true, format: { comments: false } })).code;
  } catch (e) {
    console.error(`post_build: terser failed: ${e.message}`);
    process.exit(1);
  }
};

const sha = (text, n = 16) => createHash('sha256').update(text).digest('hex').slice(0, n);
const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');
const run = (cmd, args) => {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    console.error(e.code === 'ENOENT' ? `post_build: ${cmd} is not on PATH: run \`. scripts/setup\` first` : `post_build: ${cmd} failed`);
    process.exit(1);
  }
};

// A wasm module's bytes with its custom sections (id 0: linking, relocations, names,
// producers) left out; the sections the browser runs are copied as they are.
function withoutCustomSections(b) {
  if (b.length < 8 || b.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const keep = [b.subarray(0, 8)];
  let i = 8;
  while (i < b.length) {
    const start = i;
    const id = b[i++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[i++];
      size += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
    }
    i += size;
    if (i > b.length) throw new Error('a section runs past the end');
    if (id !== 0) keep.push(b.subarray(start, i));
  }
  return Buffer.concat(keep);
}

{
  const release = process.env.TRUNK_PROFILE === 'release';
  const js = (await readdir(dir)).find((f) => /^funnelscope-[0-9a-f]+\.js$/.test(f));
  if (!js) {
    console.error('post_build: no funnelscope-<hash>.js in the staging directory');
    process.exit(1);
  }
  const stem = js.slice(0, -3);
  const target = process.env.CARGO_TARGET_DIR || join(process.env.TRUNK_SOURCE_DIR, 'target');
  const input = join(target, 'wasm32-unknown-unknown', release ? 'release' : 'debug', 'funnelscope.wasm');
  const tmp = await mkdtemp(join(tmpdir(), 'funnelscope-split-'));
  run('wasm-split-cli', [input, tmp, '--out-name', stem]);
  // The split main module still imports its loader and exports what the chunks call:
  // wasm-bindgen must keep those exports and their names.
  // FUNNELSCOPE_KEEP_NAMES=1 keeps the functions' names in every module, for a CPU profile
  // that names them (how the time spent in chrono's parser when decoding was found).
  const names = process.env.FUNNELSCOPE_KEEP_NAMES === '1';
  run('wasm-bindgen', ['--target=web', '--no-typescript', '--keep-lld-exports', '--no-demangle', ...(names ? ['--keep-debug'] : []), `--out-dir=${dir}`, `--out-name=${stem}`, join(tmp, `${stem}.wasm`)]);
  const opt = (file) => release && run('wasm-opt', [...(names ? ['-g'] : []), '-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', file, '-o', file]);
  opt(join(dir, `${stem}_bg.wasm`));
  let loader = await readFile(join(tmp, '__wasm_split.js'), 'utf8');
  const chunks = (await readdir(tmp)).filter((f) => f.endsWith('.wasm') && f !== `${stem}.wasm`);
  for (const chunk of chunks) {
    opt(join(tmp, chunk));
    const bytes = await readFile(join(tmp, chunk));
    const named = `${chunk.slice(0, -5)}-${sha(bytes)}.wasm`;
    await writeFile(join(dir, named), bytes);
    if (!loader.includes(`"./${chunk}"`)) {
      console.error(`post_build: the split loader does not name ${chunk}`);
      process.exit(1);
    }
    loader = loader.replaceAll(`"./${chunk}"`, `"./${named}"`);
  }
  if (release) loader = await minified(loader);
  const loaderName = `split-${sha(loader)}.js`;
  await writeFile(join(dir, loaderName), loader);
  // Only the JS import changes: the wasm's own import keeps the module name it was linked with.
  const mainJs = await readFile(join(dir, js), 'utf8');
  const importLine = 'from "./__wasm_split.js"';
  if (!mainJs.includes(importLine)) {
    console.error('post_build: the main module does not import the split loader');
    process.exit(1);
  }
  const glue = mainJs.replaceAll(importLine, `from "./${loaderName}"`);
  await writeFile(join(dir, js), release ? await minified(glue) : glue);
  await rm(tmp, { recursive: true });
  // Trunk's index.html carries the integrity of the files it wrote: now those of ours.
  const indexPath = join(dir, 'index.html');
  let html = await readFile(indexPath, 'utf8');
  for (const f of [js, `${stem}_bg.wasm`]) {
    const re = new RegExp(`(href="\\./${f.replace('.', '\\.')}"[^>]*integrity=")[^"]*(")`);
    html = html.replace(re, `$1${sri(await readFile(join(dir, f)))}$2`);
  }
  await writeFile(indexPath, html);
  console.log(`post_build: split ${chunks.length} chunk(s) off the first download (${loaderName})`);
}

// 5. The engine's Web Worker (engine/, the forecast's Monte Carlo): Trunk names a worker's
//    files after its binary (engine.js, engine_bg.wasm), since a page must name the script
//    it starts. They get content-hashed names here like every other file, a worker script
//    that loads them (worker-<hash>.js: the wasm-bindgen glue, then the wasm), and the page
//    learns that script's name from a <meta name="funnelscope-engine"> in index.html.
//    Not part of the first load: the page starts the worker when a forecast needs it.
{
  const release = process.env.TRUNK_PROFILE === 'release';
  const glue = join(dir, 'engine.js');
  const wasm = join(dir, 'engine_bg.wasm');
  // Linked with relocations like the app (.cargo/config.toml applies to every wasm build),
  // which nothing splits here: their custom sections (≈ 220 KB against 30 KB of code) go.
  try {
    await writeFile(wasm, withoutCustomSections(await readFile(wasm)));
  } catch {
    console.error('post_build: engine_bg.wasm is missing or not a wasm module (the worker link in index.html)');
    process.exit(1);
  }
  if (release) run('wasm-opt', ['-O3', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', wasm, '-o', wasm]);
  let glueText, wasmBytes;
  try {
    glueText = await readFile(glue, 'utf8');
    wasmBytes = await readFile(wasm);
  } catch {
    console.error('post_build: no engine.js / engine_bg.wasm in the staging directory (the worker link in index.html)');
    process.exit(1);
  }
  const glueName = `engine-${sha(glueText)}.js`;
  const wasmName = `engine-${sha(wasmBytes)}_bg.wasm`;
  await writeFile(join(dir, glueName), glueText);
  await writeFile(join(dir, wasmName), wasmBytes);
  await rm(glue);
  await rm(wasm);
  // A start that fails (the wasm missing, a broken build) is thrown where the page's
  // Worker sees it as an error event: the page then runs the trials itself.
  const shim = `importScripts('./${glueName}');\nwasm_bindgen({ module_or_path: './${wasmName}' }).catch((e) => setTimeout(() => { throw e; }));\n`;
  const shimName = `worker-${sha(shim)}.js`;
  await writeFile(join(dir, shimName), shim);
  const indexPath = join(dir, 'index.html');
  const html = await readFile(indexPath, 'utf8');
  await writeFile(indexPath, html.replace('</head>', `  <meta name="funnelscope-engine" content="./${shimName}" />\n  </head>`));
  console.log(`post_build: engine worker ${shimName} (${wasmBytes.length} bytes of wasm)`);
}

// 6. The Chinese UI texts: the app's wasm leaves them out (core's `zh_fetched`) and
//    fetches this file, made from the same table by the native CLI (`funnel texts zh`),
//    when Chinese is asked for; English users never download it. Its content-hashed name
//    is in <meta name="funnelscope-zh">.
{
  const release = process.env.TRUNK_PROFILE === 'release';
  let text;
  try {
    text = execFileSync('cargo', ['run', '--quiet', ...(release ? ['--release'] : []), '--bin', 'funnel', '--', 'texts', 'zh'], {
      cwd: process.env.TRUNK_SOURCE_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24,
    });
  } catch {
    console.error('post_build: `funnel texts zh` failed');
    process.exit(1);
  }
  const name = `texts-zh-${sha(text)}.txt`;
  await writeFile(join(dir, name), text);
  const indexPath = join(dir, 'index.html');
  const html = await readFile(indexPath, 'utf8');
  await writeFile(indexPath, html.replace('</head>', `  <meta name="funnelscope-zh" content="./${name}" />\n  </head>`));
  console.log(`post_build: Chinese texts ${name} (${Buffer.byteLength(text)} bytes)`);
}

// `trunk serve` (a debug build) adds its live-reload script inline and rebuilds on every
// change: a CSP would block that script and a cache-first worker would serve stale builds.
// Both apply to release builds, which are what gets deployed and tested.
if (process.env.TRUNK_PROFILE !== 'release') {
  console.log('post_build: debug build, no CSP and no service worker (trunk serve live reload)');
  process.exit(0);
}

const REGISTER = `
// Offline: a service worker caches this deploy. A newer deploy is installed in the
// background and offered; the page switches only when the user says so.
if ('serviceWorker' in navigator) {
  let switching = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (switching) location.reload();
  });
  addEventListener('funnelscope:apply-update', () => {
    navigator.serviceWorker.getRegistration().then((reg) => {
      if (reg && reg.waiting) {
        switching = true;
        reg.waiting.postMessage('skipWaiting');
      }
    });
  });
  const offer = () => dispatchEvent(new CustomEvent('funnelscope:update-ready'));
  navigator.serviceWorker.register('./sw.js').then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) offer();
    reg.addEventListener('updatefound', () => {
      const next = reg.installing;
      next && next.addEventListener('statechange', () => {
        if (next.state === 'installed' && navigator.serviceWorker.controller) offer();
      });
    });
  }).catch((e) => console.warn('offline cache unavailable:', e && e.message));
}
`;

// A visit in Chinese (the saved choice, else the browser's language) starts fetching the
// Chinese texts now, beside the wasm, instead of after it has started; the app takes this
// answer as its first try (src/ui/texts.rs). The choice is read as the app reads it
// (`ui::state::wanted_lang`, the key and shape of `storage::Prefs`): if the two ever
// disagree, the app fetches the file itself a moment later (`load.spec` would fail first:
// it asserts this request comes before the app's code starts).
const PREFETCH_ZH = `
{
  const meta = document.querySelector('meta[name=funnelscope-zh]');
  let chosen = null;
  try { chosen = JSON.parse(localStorage.getItem('funnelscope.prefs') || 'null')?.lang; } catch {}
  const zh = chosen ? chosen === 'Zh' : (navigator.language || '').toLowerCase().startsWith('zh');
  if (meta && zh) {
    window.__funnelscopeZh = fetch(meta.content).then((r) => (r.ok ? r.text() : null)).catch(() => null);
  }
}
`;

const indexPath = join(dir, 'index.html');
let html = await readFile(indexPath, 'utf8');
const inline = /<script type="module">([\s\S]*?)<\/script>/;
const m = html.match(inline);
if (!m) {
  console.error('post_build: no inline bootstrap script found in index.html');
  process.exit(1);
}
const boot = await minified(PREFETCH_ZH + m[1].trim() + '\n' + REGISTER);
const bootName = `boot-${sha(boot)}.js`;
await writeFile(join(dir, bootName), boot);
const integrity = sri(boot);
html = html.replace(inline, `<script type="module" src="./${bootName}" integrity="${integrity}"></script>`);
html = html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`);
await writeFile(indexPath, html);

const files = (await readdir(dir)).filter((f) => f !== 'sw.js').sort();
const version = sha(files.join('\n'));
const sw = `// Generated by scripts/post_build.mjs for one deploy. Cache-first for this deploy's files;
// the page is served from the cache too, so the app opens with the server gone.
const VERSION = 'funnelscope-${version}';
const FILES = ${JSON.stringify(['./', ...files.map((f) => './' + f)])};

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(FILES)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('funnelscope-') && k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skipWaiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    // Any screen (?view=…) is the same page.
    event.respondWith(caches.open(VERSION).then((c) => c.match('./')).then((hit) => hit || fetch(req)));
    return;
  }
  event.respondWith(caches.match(req, { cacheName: VERSION }).then((hit) => hit || fetch(req)));
});
`;
await writeFile(join(dir, 'sw.js'), sw);
console.log(`post_build: ${bootName}, CSP set, sw.js caches ${files.length + 1} files (version ${version})`);

// Only files a browser fetches as text or wasm (the Chinese texts too); images are small
// and svg is text too.
const COMPRESS = /\.(html|js|css|wasm|svg|json|txt)$/;
const sizes = { raw: 0, gz: 0, br: 0 };
const firstLoad = /^(index\.html|boot-.*\.js|funnelscope-[^_]*\.js|funnelscope-.*_bg\.wasm|split-.*\.js|main-.*\.css)$/;
for (const f of [...files, 'sw.js'].filter((f) => COMPRESS.test(f))) {
  const raw = await readFile(join(dir, f));
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  await writeFile(join(dir, f + '.gz'), gz);
  await writeFile(join(dir, f + '.br'), br);
  if (firstLoad.test(f)) {
    sizes.raw += raw.length;
    sizes.gz += gz.length;
    sizes.br += br.length;
  }
}
console.log(`post_build: first load (html, js, css, wasm) ${sizes.raw} bytes, gzip ${sizes.gz}, brotli ${sizes.br}`);
