/** `pnpm bot halt` against a running execution worker: resting orders are cancelled at the venue and nothing is placed until resume. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { readOrders } from '@polybot/execution/store';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { openSimMarkets } from '@polybot/execution/testing/simMarkets';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { Stack } from './stack.js';

const BOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist/cli/bot.js');
let venue: SimVenue;
let redis: Redis;
let stack: Stack;
const prefix = testPrefix('halt');
const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-halt-'));
const env = () => ({ REDIS_URL: testRedisUrl(), POLYBOT_QUEUE_PREFIX: prefix, POLYBOT_DATA_DIR: dir });

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC'], seed: 9, misprice: 0 });
  redis = createRedis(testRedisUrl());
  stack = new Stack({
    env: { ...env(), POLYBOT_CLOB_URL: venue.url, POLYBOT_METRICS_PORT: '0', EXEC_POLL_MS: '300' },
    logDir: path.join(dir, 'logs'),
    restart: false,
  });
  stack.add({ kind: 'execution', index: 0, env: {} });
});
afterAll(async () => {
  await stack?.stop(10_000);
  await venue?.close();
  await redis?.quit();
});

const bot = (...args: string[]) =>
  spawnSync(process.execPath, [BOT, ...args], { env: { PATH: process.env.PATH ?? '', ...env() }, encoding: 'utf8', timeout: 15_000 });
const venueOrders = async () => ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: Array<{ id: string; status: string }> }).orders;
async function waitFor(cond: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('condition not met in time');
}

function resting(id: string): OrderRequest {
  // A market that stays open for the whole test: the current window may end (and refuse orders) mid-test.
  const m = openSimMarkets(venue, 60_000)[0]!;
  return {
    id,
    signalId: id,
    createdAtMs: Date.now(),
    conditionId: m.conditionId as `0x${string}`,
    asset: 'BTC',
    outcome: 'UP',
    tokenId: m.upToken,
    side: 'BUY',
    orderType: 'GTC',
    postOnly: false,
    price: 0.02,
    size: 10,
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 0.2, cappedBy: null },
  };
}

describe('halt', () => {
  it('cancels open orders at the venue and places nothing while halted', async () => {
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    await orders.add(resting('sig-rest-1'), 'sig-rest-1');
    await waitFor(async () => (await venueOrders()).some((o) => o.status === 'LIVE'));

    const halted = bot('halt', '--reason', 'test halt');
    expect(halted.status, halted.stderr).toBe(0);
    await waitFor(async () => (await venueOrders()).every((o) => o.status.startsWith('CANCELED')));
    const file = path.join(dir, 'orders.db');
    await waitFor(async () => existsSync(file) && readOrders(file).every((o) => o.state === 'canceled'));

    const status = bot('status', '--json');
    expect(JSON.parse(status.stdout).breaker.state).toMatchObject({ state: 'open', kind: 'manual', reason: 'test halt' });

    await orders.add(resting('sig-rest-2'), 'sig-rest-2');
    await waitFor(async () => (await orders.queue.getJobCountByTypes('waiting', 'active')) === 0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await venueOrders()).toHaveLength(1);

    expect(bot('resume').status).toBe(0);
    await orders.add(resting('sig-rest-3'), 'sig-rest-3');
    await waitFor(async () => (await venueOrders()).length === 2);
    await orders.close();
  }, 60_000);
});
