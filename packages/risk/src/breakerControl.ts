/**
 * The circuit breaker's state lives in Redis so every risk replica, every worker and every restart
 * sees the same thing. A trip is one atomic script: only the first of several replicas records it.
 */
import type { RedisClient } from '@polybot/shared/redis';
import { redisKeys } from '@polybot/shared';
import { readBreaker, type BreakerState, type ControlMessage, type TripKind } from '@polybot/shared/breaker';
import { safeJson } from '@polybot/shared/status';

const TRIP_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and obj['state'] == 'open' and (obj['cooldownUntilMs'] == cjson.null or tonumber(obj['cooldownUntilMs']) > tonumber(ARGV[3])) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, 199)
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 1
`;

export interface TripRecord {
  kind: TripKind;
  reason: string;
  trippedAtMs: number;
}

export function createBreakerControl(redis: RedisClient, prefix: string) {
  const keys = redisKeys(prefix);
  async function trip(kind: TripKind, reason: string, nowMs = Date.now(), cooldownMs: number | null = null): Promise<boolean> {
    const state: BreakerState = { state: 'open', kind, reason, trippedAtMs: nowMs, cooldownUntilMs: cooldownMs === null ? null : nowMs + cooldownMs };
    const msg: ControlMessage = { type: 'halt', kind, reason, atMs: nowMs };
    const r = await redis.eval(TRIP_LUA, 3, keys.breaker, keys.breakerTrips, keys.controlChannel, JSON.stringify(state), JSON.stringify(msg), String(nowMs));
    return r === 1;
  }
  return {
    trip,
    /** Manual halt: sticky until a human resumes. */
    halt: (reason = 'manual halt') => trip('manual', reason),
    async resume(nowMs = Date.now()): Promise<void> {
      const state: BreakerState = { state: 'closed', resumedAtMs: nowMs };
      const msg: ControlMessage = { type: 'resume', atMs: nowMs };
      await redis.multi().set(keys.breaker, JSON.stringify(state)).publish(keys.controlChannel, JSON.stringify(msg)).exec();
    },
    async status(nowMs = Date.now()): Promise<{ state: BreakerState; trips: TripRecord[] }> {
      const state = await readBreaker(redis, prefix, nowMs);
      const raw = await redis.lrange(keys.breakerTrips, 0, 19);
      const trips = raw.flatMap((r) => {
        const j = safeJson(r) as Partial<TripRecord> | undefined;
        return j && typeof j.reason === 'string' && typeof j.trippedAtMs === 'number' && j.kind
          ? [{ kind: j.kind, reason: j.reason, trippedAtMs: j.trippedAtMs }]
          : [];
      });
      return { state, trips };
    },
  };
}
export type BreakerControl = ReturnType<typeof createBreakerControl>;
