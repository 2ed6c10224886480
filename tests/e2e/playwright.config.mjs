import { defineConfig } from '@playwright/test';

// E2E_PORT lets a second run go on beside another (e.g. a CI clone's) on the same machine.
const PORT = Number(process.env.E2E_PORT || 8090);

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  outputDir: './artifacts/results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/funnelscope/`,
    // Debian's Chromium; Playwright never downloads a browser here.
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: [
    {
      command: `node scripts/serve.mjs dist ${PORT}`,
      cwd: '../..',
      url: `http://127.0.0.1:${PORT}/funnelscope/`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
    {
      // The benchmark build (window.wasmBindings.bench_*), for perf.spec.mjs only.
      command: `node scripts/serve.mjs dist-bench ${PORT + 1}`,
      cwd: '../..',
      url: `http://127.0.0.1:${PORT + 1}/funnelscope/`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
  ],
});
