/**
 * Paper and live refuse a Redis without an append-only file (real servers, one with and one
 * without); Redis credentials from REDIS_USERNAME/REDIS_PASSWORD reach the URL and never an error text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseConfig } from './config.js';
import { isPolybotError } from './errors.js';
import { createRedis, redactRedisUrl, type Redis } from './redis.js';
import { aofProblem, requireDurableRedis } from './redisPersistence.js';
import { spawnRedisServer, type SpawnedRedis } from './redisServer.js';
import { redisUrlSecrets } from './redisUrl.js';

describe('AOF persistence required for paper and live', () => {
  let volatile: SpawnedRedis;
  let durable: SpawnedRedis;
  let a: Redis;
  let b: Redis;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-aof-'));
  beforeAll(async () => {
    volatile = await spawnRedisServer();
    durable = await spawnRedisServer(undefined, ['--appendonly', 'yes', '--dir', dir]);
    a = createRedis(volatile.url);
    b = createRedis(durable.url);
  });
  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await volatile?.stop();
    await durable?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses paper and live on a Redis without AOF, naming the fix; the sim may run on it', async () => {
    for (const venue of ['paper', 'live'] as const) {
      const err = await requireDurableRedis(a, venue).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isPolybotError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(
        new RegExp(`^${venue} trading refused: Redis at 127\\.0\\.0\\.1:${volatile.port}: it has no AOF persistence \\(appendonly no\\)`),
      );
      expect((err as Error).message).toMatch(/--appendonly yes/);
      expect((err as Error).message).toMatch(/CONFIG SET appendonly yes/);
    }
    await expect(requireDurableRedis(a, 'sim')).resolves.toBeUndefined();
  });

  it('accepts a Redis that writes an AOF, and one switched on at run time', async () => {
    await expect(requireDurableRedis(b, 'live')).resolves.toBeUndefined();
    const own = mkdtempSync(path.join(os.tmpdir(), 'polybot-aof-set-'));
    const c = await spawnRedisServer(undefined, ['--dir', own]);
    const r = createRedis(c.url);
    try {
      await expect(requireDurableRedis(r, 'paper')).rejects.toThrow(/appendonly no/);
      await r.config('SET', 'appendonly', 'yes');
      await expect(requireDurableRedis(r, 'paper')).resolves.toBeUndefined();
      // Redis will not shut down while it writes the first AOF: let it finish.
      while (/aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await r.info('persistence'))) await new Promise((res) => setTimeout(res, 50));
    } finally {
      r.disconnect();
      await c.stop();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('reads INFO persistence by its fields: a failed AOF write or a missing field is a problem too', () => {
    expect(aofProblem('# Persistence\r\nloading:0\r\naof_enabled:1\r\naof_last_write_status:ok\r\n')).toBeNull();
    expect(aofProblem('aof_enabled:0\r\n')).toMatch(/appendonly no/);
    expect(aofProblem('aof_enabled:1\r\naof_last_write_status:err\r\n')).toMatch(/last AOF write failed/);
    expect(aofProblem('loading:0\r\n')).toMatch(/no aof_enabled/);
  });
});

describe('Redis credentials', () => {
  const pw = 'Sup3r-secret-redis-pass';
  it('REDIS_USERNAME and REDIS_PASSWORD go into the URL every connection uses', () => {
    const c = loadBaseConfig({ REDIS_URL: 'redis://redis:6379', REDIS_USERNAME: 'polybot', REDIS_PASSWORD: pw });
    expect(c.redisUrl).toBe(`redis://polybot:${pw}@redis:6379`);
    const odd = loadBaseConfig({ REDIS_URL: 'redis+cluster://n1:7000,n2:7001', REDIS_USERNAME: 'bot', REDIS_PASSWORD: 'p@ss:w/rd with space' });
    expect(odd.redisUrl).toBe('redis+cluster://bot:p%40ss%3Aw%2Frd%20with%20space@n1:7000,n2:7001');
    expect(redisUrlSecrets(odd.redisUrl)).toContain('p@ss:w/rd with space');
    expect(loadBaseConfig({ REDIS_URL: 'redis://h:1' }).redisUrl).toBe('redis://h:1');
  });

  it('refuses credentials given twice, a user without a password and a short password, never echoing the password', () => {
    const attempts: Array<Record<string, string>> = [
      { REDIS_URL: `redis://a:${pw}@h:1`, REDIS_USERNAME: 'polybot', REDIS_PASSWORD: pw },
      { REDIS_URL: 'redis://h:1', REDIS_USERNAME: 'polybot' },
      { REDIS_URL: 'redis://h:1', REDIS_PASSWORD: 'short-pw' },
    ];
    const messages = attempts.map((env) => {
      try {
        loadBaseConfig(env);
        return 'accepted';
      } catch (err) {
        expect(isPolybotError(err, 'CONFIG_INVALID')).toBe(true);
        return (err as Error).message;
      }
    });
    expect(messages[0]).toMatch(/either there or in REDIS_USERNAME\/REDIS_PASSWORD/);
    expect(messages[1]).toMatch(/REDIS_PASSWORD: REDIS_USERNAME is set/);
    expect(messages[2]).toMatch(/REDIS_PASSWORD: at least 16 characters \(got "\[redacted\]"\)/);
    for (const m of messages) {
      expect(m).not.toContain(pw);
      expect(m).not.toContain('short-pw');
    }
  });

  it('redacts the password of a URL (and a Sentinel password) for display', () => {
    expect(redactRedisUrl(`redis://polybot:${pw}@h:6379/0`)).toBe('redis://polybot:[redacted]@h:6379/0');
    expect(redactRedisUrl(`redis+sentinel://:${pw}@s1:26379/m?sentinelPassword=${pw}`)).toBe(
      'redis+sentinel://:[redacted]@s1:26379/m?sentinelPassword=[redacted]',
    );
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
  });
});
