// A minimal static file server for the built dist/, mounted under a sub-path
// (/funnelscope/) to prove the app works from any static host and sub-path. Like a
// static host set up as the README says, it sends the precompressed copy the build wrote
// next to each file (`.br`, else `.gz`) when the browser accepts it.
// Usage: node scripts/serve.mjs <dist-dir> <port>
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, extname } from 'node:path';

const [root = 'dist', port = '8090'] = process.argv.slice(2);
const BASE = '/funnelscope/';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(302, { location: BASE }).end();
    return;
  }
  if (!url.pathname.startsWith(BASE)) {
    res.writeHead(404).end('not found');
    return;
  }
  let rel = normalize(decodeURIComponent(url.pathname.slice(BASE.length))).replace(/^(\.\.[/\\])+/, '');
  if (rel === '' || rel === '.') rel = 'index.html';
  const type = TYPES[extname(rel)] ?? 'application/octet-stream';
  const accepts = String(req.headers['accept-encoding'] ?? '');
  for (const [ext, name] of [['.br', 'br'], ['.gz', 'gzip']]) {
    if (!accepts.includes(name)) continue;
    try {
      const body = await readFile(join(root, rel + ext));
      res.writeHead(200, { 'content-type': type, 'content-encoding': name, vary: 'Accept-Encoding' }).end(body);
      return;
    } catch { /* no such copy: try the next */ }
  }
  try {
    const body = await readFile(join(root, rel));
    res.writeHead(200, { 'content-type': type, vary: 'Accept-Encoding' }).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`serving ${root} at http://127.0.0.1:${port}${BASE}`));
