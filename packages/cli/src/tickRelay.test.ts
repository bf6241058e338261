/**
 * The market channel's `tick_size_change` reaches execution: the discovery worker (a real process)
 * follows the sim venue's market channel and relays each change on Redis (`keys.tickSizeChannel`,
 * `TickSizeChangeSchema`), where the execution worker listens (`applyTickSizeMessage`, tested with
 * the venue port in execution's `venue/tickSize.test.ts`). docs/polymarket-venue.md §5.2 item 5.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, TickSizeChangeSchema, type TickSizeChange } from '@polybot/shared';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { Stack } from './stack.js';

const prefix = testPrefix('tick-relay');
const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-tick-relay-'));
let venue: SimVenue;
let stack: Stack;
let sub: Redis;
const heard: TickSizeChange[] = [];

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 3_600, assets: ['BTC'], seed: 31, misprice: 0, priceToBeatDelayMs: 0 });
  sub = createRedis(testRedisUrl());
  await sub.subscribe(redisKeys(prefix).tickSizeChannel);
  sub.on('message', (_c: string, raw: string) => {
    const p = TickSizeChangeSchema.safeParse(JSON.parse(raw));
    if (p.success) heard.push(p.data);
  });
  stack = new Stack({
    env: {
      REDIS_URL: testRedisUrl(),
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: dir,
      POLYBOT_METRICS_PORT: '0',
      POLYBOT_VENUE: 'sim',
      POLYBOT_CLOB_URL: venue.url,
      POLYBOT_GAMMA_URL: venue.url,
      POLYBOT_ORACLE_URL: venue.url,
      POLYBOT_ASSETS: 'BTC',
      SIM_WINDOW_SECONDS: '3600',
      DISCOVERY_REFRESH_MS: '500',
    },
    logDir: path.join(dir, 'logs'),
    restart: false,
  });
  stack.add({ kind: 'discovery', index: 0, env: {} });
});
afterAll(async () => {
  await stack?.stop(10_000);
  await sub?.quit();
  await venue?.close();
});

describe('tick_size_change relayed from the market channel to execution', () => {
  it('a change at the venue arrives on the tick-size channel, for both tokens, with the new tick', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const current = () => [...venue.state.schedule.markets.values()].find((x) => !x.closed && x.startMs <= Date.now() && x.endMs > Date.now() + 30_000);
    // The current window, or (in its last 30 s) the next one once it starts and has its price to beat.
    for (let i = 0; i < 450 && !current()?.priceToBeat; i++) await sleep(100);
    const m = current()!;
    // Wait until discovery follows the market (its books are in Redis), then push Up towards 1.
    const redis = createRedis(testRedisUrl());
    try {
      for (let i = 0; i < 150 && !(await redis.exists(`${prefix}:book:${m.upToken}`)); i++) await sleep(100);
      const saved = m.priceToBeat;
      m.priceToBeat = 1;
      try {
        for (let i = 0; i < 150 && !heard.some((h) => h.tokenId === m.downToken); i++) await sleep(100);
      } finally {
        m.priceToBeat = saved;
      }
    } finally {
      await redis.quit();
    }
    expect(heard.find((h) => h.tokenId === m.upToken)).toMatchObject({ tickSize: 0.001 });
    expect(heard.find((h) => h.tokenId === m.downToken)).toMatchObject({ tickSize: 0.001 });
  }, 90_000);
});
