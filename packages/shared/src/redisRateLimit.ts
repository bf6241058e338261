/**
 * The rate limiter shared by every process through Redis (`@polybot/shared/redisRateLimit`). Its
 * state is changed only by Lua scripts that read Redis's own clock, so any number of processes on
 * any number of hosts together stay within each limit (see rateLimit.ts for the kinds of limit).
 * A 429 pauses a limit for everyone. If Redis does not answer within a second, the process keeps
 * the same limits in its own memory (and says so in the log): an outage slows nothing down, but
 * the limit is then no longer shared.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { checkCost, LocalRateLimiter, type NamedLimit, type RateLimiter } from './rateLimit.js';
import type { RedisClient } from './redis.js';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: per limit, its state (sorted set or hash) and its pause key. ARGV: cost, unique id, then per
 * limit: kind ('w'|'b'), limit|ratePerS, windowMs|burst. Returns 0 (taken from all) or the longest
 * wait in ms (nothing taken).
 */
const ACQUIRE_LUA = `${NOW}
local cost = tonumber(ARGV[1]) local id = ARGV[2] local n = #KEYS / 2
local wait = 0 local tokens = {}
for i = 1, n do
  local state, pause = KEYS[2 * i - 1], KEYS[2 * i]
  local kind, a, b = ARGV[3 * i], tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local w = 0
  local paused = tonumber(redis.call('GET', pause) or '0')
  if paused > now then
    w = paused - now
  elseif kind == 'w' then
    redis.call('ZREMRANGEBYSCORE', state, '-inf', now - b)
    local c = redis.call('ZCARD', state)
    if c + cost > a then
      local e = redis.call('ZRANGE', state, c + cost - a - 1, c + cost - a - 1, 'WITHSCORES')
      w = math.max(1, tonumber(e[2]) + b - now)
    end
  else
    local rate = a / 1000
    local h = redis.call('HMGET', state, 'tokens', 'ts')
    local tk = tonumber(h[1]) or b
    local ts = tonumber(h[2]) or now
    if ts > now then ts = now end
    tk = math.min(b, tk + (now - ts) * rate)
    tokens[i] = tk
    if tk < cost then w = math.max(1, math.ceil((cost - tk) / rate)) end
  end
  if w > wait then wait = w end
end
if wait > 0 then return wait end
for i = 1, n do
  local state = KEYS[2 * i - 1]
  local kind, a, b = ARGV[3 * i], tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if kind == 'w' then
    for j = 1, cost do redis.call('ZADD', state, now, id .. ':' .. j) end
    redis.call('PEXPIRE', state, b)
  else
    redis.call('HSET', state, 'tokens', tostring(tokens[i] - cost), 'ts', now)
    redis.call('PEXPIRE', state, math.ceil(b / (a / 1000)) + 1000)
  end
end
return 0`;

/** KEYS: state, pause. ARGV: kind, ms. */
const PAUSE_LUA = `${NOW}
local ms = tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if now + ms > cur then redis.call('SET', KEYS[2], now + ms, 'PX', ms) end
if ARGV[1] == 'b' then redis.call('HSET', KEYS[1], 'tokens', '0', 'ts', now + ms) redis.call('PEXPIRE', KEYS[1], ms + 60000) end
return 0`;

const script = (lua: string) => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const ACQUIRE = script(ACQUIRE_LUA);
const PAUSE = script(PAUSE_LUA);

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The limiter shared through Redis. Its keys live under the queue prefix (hash-tagged: one Cluster slot). */
export class RedisRateLimiter implements RateLimiter {
  private readonly local = new LocalRateLimiter();
  private lastWarn = 0;
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly opts: { logger?: Logger; timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  private keys(limits: readonly NamedLimit[]): string[] {
    return limits.flatMap(({ name }) => [`${this.prefix}:ratelimit:${name}`, `${this.prefix}:ratelimit:${name}:pause`]);
  }

  private async run(s: { lua: string; sha: string }, keys: string[], args: (string | number)[]): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const call = async () => {
      try {
        return Number(await this.redis.evalsha(s.sha, keys.length, ...keys, ...args));
      } catch (err) {
        if (!/NOSCRIPT/.test((err as Error).message)) throw err;
        return Number(await this.redis.eval(s.lua, keys.length, ...keys, ...args));
      }
    };
    try {
      // A Redis that does not answer (commands queue while it reconnects) must not stop every request.
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer from Redis')), this.opts.timeoutMs ?? 1_000))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** 0 when taken, else how long to wait; null when Redis did not answer. */
  async tryTake(limits: readonly NamedLimit[], cost = 1): Promise<number | null> {
    checkCost(limits, cost);
    const args: (string | number)[] = [cost, randomUUID()];
    for (const { limit: l } of limits) args.push(...(l.kind === 'window' ? ['w', l.limit, l.windowMs] : ['b', l.ratePerS, l.burst]));
    try {
      return await this.run(ACQUIRE, this.keys(limits), args);
    } catch (err) {
      const now = Date.now();
      if (now - this.lastWarn > 30_000) {
        this.lastWarn = now;
        this.opts.logger?.warn(
          { limits: limits.map((l) => l.name), err: (err as Error).message },
          'shared rate limiter unreachable: this process limits itself alone',
        );
      }
      return null;
    }
  }

  async acquire(limits: readonly NamedLimit[], cost = 1): Promise<void> {
    if (limits.length === 0) return;
    const sleep = this.opts.sleep ?? defaultSleep;
    for (;;) {
      const wait = await this.tryTake(limits, cost);
      if (wait === null) return this.local.acquire(limits, cost);
      if (wait === 0) return;
      await sleep(wait);
    }
  }

  async pause(limit: NamedLimit, ms: number): Promise<void> {
    await this.local.pause(limit, ms);
    const wait = Math.max(1, Math.round(ms));
    await this.run(PAUSE, this.keys([limit]), [limit.limit.kind === 'window' ? 'w' : 'b', wait]).catch(() => undefined);
  }
}
