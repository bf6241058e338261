/**
 * How every process opens Redis (`@polybot/shared/redis`): one server, a Redis Cluster or a
 * Sentinel set, as `REDIS_URL` says (its forms are parsed in redisUrl.ts and listed in the README,
 * "More than one machine").
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { parseRedisUrl } from './redisUrl.js';

export { hasHashTag, parseRedisUrl, redactRedisUrl, RedisUrlSchema, withRedisCredentials, type HostPort, type RedisTarget } from './redisUrl.js';

/** A connection: one server or Sentinel-found master (`Redis`), or a Cluster. BullMQ takes either. */
export type RedisClient = Redis | Cluster;

/**
 * How every process opens Redis: one server, a Sentinel-found master or a Cluster, as `url` says.
 * `maxRetriesPerRequest: null` is what BullMQ workers require: commands wait for the reconnect (or
 * a Cluster's failover) instead of failing while Redis restarts.
 */
export function createRedisClient(url: string, opts: { logger?: Logger; name?: string; extra?: RedisOptions } = {}): RedisClient {
  let lastLog = 0;
  const target = parseRedisUrl(url);
  const common: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: opts.name,
    // Exponential backoff with jitter, capped, forever: a Redis restart must never kill a worker.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 7), 5_000) + Math.floor(Math.random() * 100),
    ...opts.extra,
  };
  let redis: RedisClient;
  if (target.kind === 'single') redis = new Redis(target.url, common);
  else if (target.kind === 'sentinel') {
    redis = new Redis({
      ...common,
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { tls: {} } : {}),
    });
  } else {
    const { retryStrategy, ...redisOptions } = common;
    redis = new Cluster(target.nodes, {
      redisOptions: {
        ...redisOptions,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
      },
      clusterRetryStrategy: (times) => retryStrategy?.(times) ?? 1_000,
      enableReadyCheck: true,
    } satisfies ClusterOptions);
  }
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLog > 5_000) {
      lastLog = now;
      if (/WRONGPASS|NOAUTH|NOPERM/.test(err.message))
        opts.logger?.error(
          { err: err.message, name: opts.name },
          "redis refused our credentials or a command: check REDIS_USERNAME/REDIS_PASSWORD (or user:password in REDIS_URL) and the user's ACL",
        );
      else opts.logger?.warn({ err: err.message, name: opts.name }, 'redis connection error');
    }
  });
  return redis;
}

/**
 * A single connection (one server, or the master a Sentinel set names) for tests and tools that
 * need a plain `Redis`; a Cluster URL is refused here (use {@link createRedisClient}).
 */
export function createRedis(url: string, opts: { logger?: Logger; name?: string; extra?: RedisOptions } = {}): Redis {
  if (parseRedisUrl(url).kind === 'cluster') throw new Error('createRedis opens one server or a Sentinel master: a Redis Cluster needs createRedisClient');
  return createRedisClient(url, opts) as Redis; // not a Cluster: checked just above
}

/** The servers holding data: the one server, or every master of a Cluster (once it knows them). */
export async function masters(redis: RedisClient): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready')
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('end', () => reject(new Error('redis cluster connection ended')));
    });
  return redis.nodes('master');
}

/**
 * The keys matching `pattern` (SCAN, never KEYS), at most about `max`. On a Cluster a SCAN sees one
 * node only, so each master is scanned.
 */
export async function scanKeys(redis: RedisClient, pattern: string, max = Infinity): Promise<string[]> {
  const nodes = await masters(redis);
  const out = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      cursor = next;
      for (const k of batch) out.add(k);
    } while (cursor !== '0' && out.size < max);
  }
  return [...out];
}

/** `used_memory` in MB, summed over a Cluster's masters. */
export async function usedMemoryMb(redis: RedisClient): Promise<number> {
  const nodes = await masters(redis);
  let bytes = 0;
  for (const n of nodes) {
    const m = /used_memory:(\d+)/.exec(await n.info('memory'));
    bytes += m ? Number(m[1]) : 0;
  }
  return Math.round(bytes / 104_857.6) / 10;
}

export type { Redis, Cluster } from 'ioredis';
