/**
 * The one rate limiter: its two kinds of limit in memory (exact waits on an injected clock), and
 * shared through Redis by several processes that together keep to each limit.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalRateLimiter, window10s, type NamedLimit } from './rateLimit.js';
import { createRedis } from './redis.js';
import { RedisRateLimiter } from './redisRateLimit.js';
import { testPrefix } from './testing/redis.js';
import { testRedisUrl } from './testing/vitest.js';

function fakeClock(start = 0) {
  const c = { t: start, waits: [] as number[] };
  return {
    c,
    clock: {
      now: () => c.t,
      sleep: async (ms: number) => {
        c.waits.push(ms);
        c.t += ms;
      },
    },
  };
}

describe('in one process', () => {
  const bucket: NamedLimit = { name: 'orders', limit: { kind: 'bucket', ratePerS: 40, burst: 60 } };

  it('a bucket lets its burst through, then meters at its rate', () => {
    const { c, clock } = fakeClock();
    const l = new LocalRateLimiter(clock);
    let passed = 0;
    while (l.tryTake([bucket]) === 0) passed++;
    expect(passed).toBe(60);
    expect(l.tryTake([bucket])).toBe(25); // one token at 40/s
    c.t = 25;
    expect(l.tryTake([bucket])).toBe(0);
    c.t = 1_025; // one second later: 40 more and no more
    let again = 0;
    while (l.tryTake([bucket]) === 0) again++;
    expect(again).toBe(40);
  });

  it('a pause (429) lets nothing through before it ends, then the bucket refills from empty', async () => {
    const { c, clock } = fakeClock();
    const l = new LocalRateLimiter(clock);
    await l.pause(bucket, 2_000);
    c.t = 500;
    expect(l.tryTake([bucket])).toBe(1_500);
    c.t = 2_000;
    expect(l.tryTake([bucket])).toBe(25);
    c.t = 2_025;
    expect(l.tryTake([bucket])).toBe(0);
  });

  it('a window holds the n+1th start until the first leaves it; several limits pass together or not at all', async () => {
    const { c, clock } = fakeClock(1_000);
    const l = new LocalRateLimiter(clock);
    const three = { name: 'w', limit: window10s(3) };
    const wide = { name: 'wide', limit: window10s(100) };
    for (let i = 0; i < 3; i++) {
      await l.acquire([three, wide]);
      c.t += 100;
    }
    expect(c.waits).toEqual([]);
    // t = 1300: refused by the narrow limit, and nothing taken from the wide one (97 left, not 96).
    expect(l.tryTake([three, wide])).toBe(9_700);
    const other = new LocalRateLimiter(clock);
    for (let i = 0; i < 3; i++) other.tryTake([wide]);
    for (let i = 0; i < 97; i++) expect(l.tryTake([wide])).toBe(other.tryTake([wide]));
    expect(l.tryTake([wide])).toBeGreaterThan(0);
    await l.acquire([three]); // the first start (1000) leaves the window at 11000
    expect(c.waits).toEqual([9_700]);
    expect(c.t).toBe(11_000);
  });

  it('refuses a cost that can never pass', () => {
    expect(() => new LocalRateLimiter().tryTake([bucket], 61)).toThrow(/never passes/);
    expect(() => new LocalRateLimiter().tryTake([bucket], 0.5)).toThrow(/whole number/);
  });
});

// Processes run the compiled limiter (pnpm test builds first), as workers do.
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const CHILD = `
const { createRedis } = await import(${JSON.stringify(path.join(DIST, 'redis.js'))});
const { RedisRateLimiter } = await import(${JSON.stringify(path.join(DIST, 'redisRateLimit.js'))});
const [url, prefix, limits, ms] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3]), Number(process.argv[4])];
const redis = createRedis(url);
const limiter = new RedisRateLimiter(redis, prefix);
await redis.ping();
const starts = [];
const end = Date.now() + ms;
while (Date.now() < end) { await limiter.acquire(limits); starts.push(Date.now()); }
process.stdout.write(JSON.stringify(starts));
await redis.quit();
`;

function hammer(prefix: string, limits: NamedLimit[], ms: number): Promise<number[]> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD, testRedisUrl(), prefix, JSON.stringify(limits), String(ms)],
      { timeout: 30_000 },
      (err, out) => (err ? reject(err) : resolve(JSON.parse(out) as number[])),
    ),
  );
}

/** The most starts within any `span` ms. */
function busiest(starts: number[], span: number): number {
  const s = [...starts].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! > span) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('shared through Redis', () => {
  it('three processes together keep to one window limit, and use it', async () => {
    const limits: NamedLimit[] = [{ name: 'venue /x', limit: { kind: 'window', limit: 20, windowMs: 2_000 } }];
    const prefix = testPrefix('ratelimit');
    const all = (await Promise.all([0, 1, 2].map(() => hammer(prefix, limits, 4_500)))).flat();
    // A start is recorded a little after Redis granted it (more on a loaded machine), so look at
    // windows 300 ms shorter than the limit's.
    expect(busiest(all, 1_700)).toBeLessThanOrEqual(20);
    expect(all.length).toBeGreaterThanOrEqual(40); // shared, not divided: the limit is used
    expect(all.length).toBeLessThanOrEqual(20 * 4);
  }, 40_000);

  it('three processes together keep to one token bucket; a pause stops them all', async () => {
    const prefix = testPrefix('ratelimit');
    const bucket: NamedLimit = { name: 'orders 0xabc', limit: { kind: 'bucket', ratePerS: 20, burst: 10 } };
    const all = (await Promise.all([0, 1, 2].map(() => hammer(prefix, [bucket], 2_000)))).flat();
    const span = Math.max(...all) - Math.min(...all);
    expect(all.length).toBeLessThanOrEqual(10 + Math.ceil((20 * span) / 1_000) + 1);
    expect(all.length).toBeGreaterThanOrEqual(30);

    const redis = createRedis(testRedisUrl());
    const limiter = new RedisRateLimiter(redis, prefix);
    await limiter.pause(bucket, 600);
    const t0 = Date.now();
    const [first] = await hammer(prefix, [bucket], 100);
    expect(first! - t0).toBeGreaterThanOrEqual(500);
    await redis.quit();
  }, 40_000);

  it('limits the process alone when Redis does not answer', async () => {
    const redis = createRedis('redis://127.0.0.1:1', { extra: { retryStrategy: () => 50, lazyConnect: true } });
    const limiter = new RedisRateLimiter(redis, '{x}', { timeoutMs: 100 });
    const w = { name: 'w', limit: { kind: 'window' as const, limit: 2, windowMs: 60_000 } };
    expect(await limiter.tryTake([w])).toBeNull();
    const t0 = Date.now();
    await limiter.acquire([w]);
    await limiter.acquire([w]);
    expect(Date.now() - t0).toBeLessThan(2_000);
    redis.disconnect();
  });
});
