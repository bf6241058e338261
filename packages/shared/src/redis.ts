/**
 * One way to open Redis, from one URL that may name a single server, a Redis Cluster or a Sentinel
 * set (`REDIS_URL`, parsed by {@link RedisUrlSchema}):
 *
 * | form | meaning |
 * |---|---|
 * | `redis://[[user]:password@]host[:port][/db]` | one server (`rediss://` for TLS); port 6379 |
 * | `redis+cluster://[[user]:password@]host:port[,host:port…]` | a Redis Cluster, given by one or more seed nodes (`rediss+cluster://` for TLS); port 6379 |
 * | `redis+sentinel://[[user]:password@]host:port[,host:port…]/<master name>[/db][?sentinelPassword=…&sentinelUsername=…]` | the master a Sentinel set names (`rediss+sentinel://` for TLS to the servers); port 26379 |
 *
 * The user and password are those of the data nodes; Sentinel's own credentials, when it has any,
 * go in the query. Every key (BullMQ's and ours) starts with the queue prefix, which must contain a
 * hash tag (`{polybot}`) on a Cluster so that all of them fall in one slot, as BullMQ requires.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      db: number;
      username?: string;
      password?: string;
      sentinelUsername?: string;
      sentinelPassword?: string;
      tls: boolean;
    };

const URL_RE = /^(rediss?)(?:\+(cluster|sentinel))?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

function hostPort(s: string, defaultPort: number): HostPort {
  const m = HOST_PORT_RE.exec(s);
  if (!m) throw new Error(`"${s}" is not host[:port]`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!(port >= 1 && port <= 65_535)) throw new Error(`port ${m[2]} is out of range`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function credentials(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  const i = userinfo.indexOf(':');
  const user = decodeURIComponent(i < 0 ? userinfo : userinfo.slice(0, i));
  const password = i < 0 ? undefined : decodeURIComponent(userinfo.slice(i + 1));
  return { ...(user ? { username: user } : {}), ...(password ? { password } : {}) };
}

/** REDIS_URL → what to connect to. Throws an Error naming what is wrong (never echoing a password). */
export function parseRedisUrl(url: string): RedisTarget {
  const m = URL_RE.exec(url.trim());
  if (!m) throw new Error('expected redis://host:port, redis+cluster://host:port,host:port… or redis+sentinel://host:port,…/<master name>');
  const [, scheme, mode, userinfo, hosts, pathPart, query] = m;
  const tls = scheme === 'rediss';
  const list = hosts!.split(',').filter((h) => h !== '');
  if (list.length === 0) throw new Error('no host given');
  const creds = credentials(userinfo);
  if (mode === undefined) {
    if (list.length > 1) throw new Error('several hosts need redis+cluster:// or redis+sentinel://');
    hostPort(list[0]!, 6379);
    if (pathPart && pathPart !== '/' && !/^\/\d{1,2}$/.test(pathPart)) throw new Error(`database "${pathPart.slice(1)}" is not a number`);
    return { kind: 'single', url: url.trim() };
  }
  if (mode === 'cluster') {
    if (pathPart && pathPart !== '/') throw new Error('a Redis Cluster has only database 0: no /db in the URL');
    return { kind: 'cluster', nodes: list.map((h) => hostPort(h, 6379)), ...creds, tls };
  }
  const parts = (pathPart ?? '').split('/').filter((p) => p !== '');
  if (parts.length < 1 || parts.length > 2) throw new Error('a Sentinel URL ends in /<master name>[/db]');
  const db = parts[1] === undefined ? 0 : Number(parts[1]);
  if (!Number.isInteger(db) || db < 0) throw new Error(`database "${parts[1]}" is not a number`);
  const q = new URLSearchParams(query ?? '');
  for (const k of q.keys())
    if (k !== 'sentinelPassword' && k !== 'sentinelUsername') throw new Error(`unknown option "${k}" (sentinelPassword, sentinelUsername)`);
  return {
    kind: 'sentinel',
    sentinels: list.map((h) => hostPort(h, 26379)),
    name: decodeURIComponent(parts[0]!),
    db,
    ...creds,
    ...(q.get('sentinelUsername') ? { sentinelUsername: q.get('sentinelUsername')! } : {}),
    ...(q.get('sentinelPassword') ? { sentinelPassword: q.get('sentinelPassword')! } : {}),
    tls,
  };
}

/** REDIS_URL as zod sees it: a string that {@link parseRedisUrl} accepts. */
export const RedisUrlSchema = z.string().superRefine((s, ctx) => {
  try {
    parseRedisUrl(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** A queue prefix with a hash tag: every key under it hashes to one Cluster slot. */
export const hasHashTag = (prefix: string): boolean => /\{[^{}]+\}/.test(prefix);

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
      opts.logger?.warn({ err: err.message, name: opts.name }, 'redis connection error');
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
async function masters(redis: RedisClient): Promise<Redis[]> {
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
