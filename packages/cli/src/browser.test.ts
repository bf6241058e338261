/**
 * The dashboard while the whole stack trades on the sim venue, in Debian's Chromium: live windows
 * and orders appear and update, Bull Board shows the queues, and Halt on the page stops trading.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE } from '@polybot/dashboard';
import { readBreaker } from '@polybot/shared/breaker';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { freePort } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { Stack, waitForHttp } from './stack.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts');
const prefix = testPrefix('browser');
let stack: Stack;
let browser: Browser;
let redis: Redis;
let venueUrl: string;
let dashUrl: string;
let login: { user: string; password: string };

const venueOrderCount = async () => ((await (await fetch(`${venueUrl}/sim/orders`)).json()) as { orders: unknown[] }).orders.length;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (./polybot test installs it)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-browser-'));
  const venuePort = await freePort();
  const dashPort = await freePort();
  venueUrl = `http://127.0.0.1:${venuePort}`;
  dashUrl = `http://127.0.0.1:${dashPort}`;
  redis = createRedis(testRedisUrl());
  stack = new Stack({
    env: {
      REDIS_URL: testRedisUrl(),
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: dir,
      SIM_VENUE_PORT: String(venuePort),
      SIM_WINDOW_SECONDS: '120',
      SIM_MISPRICE_PROB: '0.4',
      POLYBOT_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    logDir: path.join(dir, 'logs'),
    restart: false,
  });
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`${venueUrl}/healthz`, 20_000);
  for (const kind of ['execution', 'risk', 'analysis', 'discovery'] as const) stack.add({ kind, index: 0, env: {} });
  stack.add({ kind: 'dashboard', index: 0, env: { POLYBOT_DASHBOARD_PORT: String(dashPort) } });
  // No credentials configured: the dashboard generated a password on its first start (mode 0600).
  const file = path.join(dir, CREDENTIALS_FILE);
  const end = Date.now() + 30_000;
  while (!existsSync(file) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  expect(statSync(file).mode & 0o777).toBe(0o600);
  login = JSON.parse(readFileSync(file, 'utf8')) as { user: string; password: string };
  expect((await fetch(`${dashUrl}/api/status`).catch(() => null))?.status ?? 401).toBe(401);
  await waitForHttp(`${dashUrl}/api/status`, 30_000, { authorization: `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop(10_000);
  await redis?.quit();
});

describe('dashboard on a running stack', () => {
  it('shows live windows, orders and queues as it trades, and Halt stops trading', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, httpCredentials: { username: login.user, password: login.password } });
    await page.goto(`${dashUrl}/`);
    await page.waitForSelector('.market', { timeout: 60_000 });
    const firstUpdate = await page.textContent('#updated');
    // Orders reach the venue, and the page shows positions or open orders for them.
    const deadline = Date.now() + 90_000;
    while ((await venueOrderCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1_000));
    expect(await venueOrderCount()).toBeGreaterThan(0);
    await page.waitForFunction(
      () => (document.querySelector('#positions tbody')?.children.length ?? 0) + (document.querySelector('#orders tbody')?.children.length ?? 0) > 0,
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForFunction((prev) => document.querySelector('#updated')?.textContent !== prev, firstUpdate, { timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-live.png'), fullPage: true });

    await page.click('#halt');
    await page.waitForFunction(() => document.querySelector('#breaker')?.textContent?.includes('HALTED'), undefined, { timeout: 10_000 });
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('open');
    await new Promise((r) => setTimeout(r, 3_000)); // anything already in flight lands
    const atHalt = await venueOrderCount();
    await new Promise((r) => setTimeout(r, 10_000));
    expect(await venueOrderCount()).toBe(atHalt); // nothing new while halted

    await page.goto(`${dashUrl}/queues`);
    await page.waitForSelector('text=markets', { timeout: 20_000 });
    for (const q of ['markets', 'signals', 'orders', 'execution-events']) expect(await page.textContent('body')).toContain(q);
    await page.screenshot({ path: path.join(ARTIFACTS, 'bull-board-live.png') });
    await page.close();
  }, 180_000);
});
