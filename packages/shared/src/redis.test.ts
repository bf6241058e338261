/**
 * REDIS_URL may name one server, a Redis Cluster or a Sentinel set. The forms are parsed (and bad
 * ones refused with a reason), and the two multi-node forms are exercised against real local
 * servers: a three-node Cluster carrying BullMQ queues under a hash-tagged prefix, and a Sentinel.
 */
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseConfig } from './config.js';
import { createRedis, createRedisClient, parseRedisUrl, scanKeys, usedMemoryMb, type RedisClient } from './redis.js';
import { spawnRedisCluster, spawnRedisSentinel, type SpawnedCluster, type SpawnedSentinel } from './redisServer.js';

describe('REDIS_URL forms', () => {
  it('reads one server, a Cluster and a Sentinel set', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisUrl('redis+cluster://a:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      username: 'a',
      password: 'pw',
      tls: false,
    });
    expect(parseRedisUrl('rediss+sentinel://:s%40cret@s1:26380,s2/mymaster/3?sentinelPassword=x')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      db: 3,
      password: 's@cret',
      sentinelPassword: 'x',
      tls: true,
    });
  });

  it('refuses what it cannot connect to, saying why', () => {
    expect(() => parseRedisUrl('http://x:1')).toThrow(/expected redis:\/\//);
    expect(() => parseRedisUrl('redis://a:1,b:2')).toThrow(/several hosts need redis\+cluster/);
    expect(() => parseRedisUrl('redis+cluster://a:1/2')).toThrow(/only database 0/);
    expect(() => parseRedisUrl('redis+sentinel://s1:26379')).toThrow(/\/<master name>/);
    expect(() => parseRedisUrl('redis+sentinel://s1/m?tls=1')).toThrow(/unknown option "tls"/);
    expect(() => parseRedisUrl('redis+cluster://a:99999')).toThrow(/out of range/);
  });

  it('is checked by the config loader: a Cluster needs a hash-tagged prefix, and a password never reaches the message', () => {
    expect(loadBaseConfig({ REDIS_URL: 'redis+cluster://a:7000,b:7001' }).redisUrl).toBe('redis+cluster://a:7000,b:7001');
    expect(() => loadBaseConfig({ REDIS_URL: 'redis+cluster://a:7000', POLYBOT_QUEUE_PREFIX: 'polybot' })).toThrow(/hash tag/);
    let msg = '';
    try {
      loadBaseConfig({ REDIS_URL: 'redis://u:hunter2@a:1,b:2' });
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/REDIS_URL: several hosts/);
    expect(msg).not.toContain('hunter2');
  });
});

describe('on a local three-node Redis Cluster', () => {
  let cluster: SpawnedCluster;
  let redis: RedisClient;
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
    redis = createRedisClient(cluster.url);
  }, 60_000);
  afterAll(async () => {
    await redis?.quit().catch(() => undefined);
    await cluster?.stop();
  });

  it('runs BullMQ queues under a hash-tagged prefix and finds their keys on whichever node holds the slot', async () => {
    expect(() => createRedis(cluster.url)).toThrow(/createRedisClient/);
    const prefix = '{t-cluster}';
    const queue = new Queue('markets', { connection: redis, prefix });
    const seen: number[] = [];
    const worker = new Worker('markets', async (job) => void seen.push((job.data as { n: number }).n), { connection: redis, prefix });
    await queue.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: 'm', data: { n } })));
    const deadline = Date.now() + 10_000;
    while (seen.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    await redis.set(`${prefix}:workers:x:1`, '1');
    expect(await scanKeys(redis, `${prefix}:workers:*`)).toEqual([`${prefix}:workers:x:1`]);
    expect(await usedMemoryMb(redis)).toBeGreaterThan(0);
    await queue.obliterate({ force: true });
    await queue.close();
  }, 30_000);
});

describe('through a Sentinel', () => {
  let sentinel: SpawnedSentinel;
  beforeAll(async () => {
    sentinel = await spawnRedisSentinel('polybot-test');
  }, 30_000);
  afterAll(async () => sentinel?.stop());

  it('connects to the master the Sentinel names', async () => {
    const redis = createRedis(sentinel.url);
    await redis.set('k', 'v');
    const direct = createRedis(`redis://127.0.0.1:${sentinel.master.port}`);
    expect(await direct.get('k')).toBe('v');
    await redis.quit();
    await direct.quit();
  });
});
