/**
 * REDIS_URL: one server, a Redis Cluster or a Sentinel set (a pure parser; `redis.ts` connects).
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

/** A Redis URL fit for a log line or a terminal: the password (and a Sentinel's) replaced by `[redacted]`. */
export function redactRedisUrl(url: string): string {
  return url
    .replace(/(sentinelPassword=)[^&#]*/g, '$1[redacted]')
    .replace(/^([a-z+]+:\/\/)([^:/@?#]*)(:[^@/?#]*)?@/i, (_m, p: string, u: string, pw?: string) => `${p}${u}${pw ? ':[redacted]' : ''}@`);
}

/**
 * The URL with a user and password put in (REDIS_USERNAME / REDIS_PASSWORD), so every connection
 * (workers, BullMQ, pub/sub) authenticates the same way. A URL that already carries credentials and
 * separate ones as well is refused: which one is meant cannot be guessed.
 */
export function withRedisCredentials(url: string, username: string | undefined, password: string | undefined): string {
  if (username === undefined && password === undefined) return url;
  const m = URL_RE.exec(url.trim());
  if (!m) throw new Error('expected redis://host:port, redis+cluster://host:port,host:port… or redis+sentinel://host:port,…/<master name>');
  if (m[3] !== undefined) throw new Error('REDIS_URL already carries credentials: give them either there or in REDIS_USERNAME/REDIS_PASSWORD, not both');
  const scheme = url.trim().slice(0, url.trim().indexOf('://') + 3);
  const userinfo = `${encodeURIComponent(username ?? '')}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  return `${scheme}${userinfo}${url.trim().slice(scheme.length)}`;
}

/** The passwords a Redis URL carries (as written and decoded), for the logger to scrub wherever they would show. */
export function redisUrlSecrets(url: string): string[] {
  const out: string[] = [];
  const m = URL_RE.exec(url.trim());
  if (!m) return out;
  const i = m[3]?.indexOf(':') ?? -1;
  if (m[3] !== undefined && i >= 0) out.push(m[3].slice(i + 1));
  const q = /sentinelPassword=([^&#]*)/.exec(m[6] ?? '');
  if (q) out.push(q[1]!);
  return [...new Set(out.flatMap((s) => [s, safeDecode(s)]).filter((s) => s.length > 0))];
}
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
