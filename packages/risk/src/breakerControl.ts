/**
 * The circuit breaker's state lives in Redis so every risk replica, every worker and every restart
 * sees the same thing. A trip is one atomic script: only the first of several replicas records it.
 */
import type { RedisClient } from '@polybot/shared/redis';
import { redisKeys } from '@polybot/shared';
import { readBreaker, type BreakerState, type ControlMessage, type TripKind } from '@polybot/shared/breaker';
import { safeJson } from '@polybot/shared/status';
import { z } from 'zod';
import { dayOf, LedgerSchema } from './ledger.js';

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
    /**
     * A human's resume, checked: refused while today's realised loss is at or over the daily-loss
     * limit (risk's own, as it published it; else `fallbackMaxDailyLossUsd`), and after a daily-loss
     * trip only with `confirm`. The dashboard and `pnpm bot resume` go through here.
     */
    async resumeChecked(opts: {
      confirm: boolean;
      fallbackMaxDailyLossUsd: number;
      nowMs?: number;
    }): Promise<{ ok: true } | { ok: false; reason: string; needsConfirmation: boolean }> {
      const nowMs = opts.nowMs ?? Date.now();
      const [state, rawLedger, rawLimits] = await Promise.all([readBreaker(redis, prefix, nowMs), redis.get(keys.riskLedger), redis.get(keys.riskLimits)]);
      const limits = z.object({ maxDailyLossUsd: z.number().positive() }).safeParse(safeJson(rawLimits ?? ''));
      const limit = limits.success ? limits.data.maxDailyLossUsd : opts.fallbackMaxDailyLossUsd;
      const ledger = rawLedger === null ? null : LedgerSchema.safeParse(safeJson(rawLedger));
      if (ledger && !ledger.success)
        return { ok: false, reason: "the risk ledger in Redis is unreadable: cannot check the day's loss", needsConfirmation: false };
      const pnl = ledger?.data.daily[dayOf(nowMs)] ?? 0;
      if (pnl <= -limit)
        return { ok: false, reason: `today's realised loss $${(-pnl).toFixed(2)} is still at or over the $${limit} daily limit`, needsConfirmation: false };
      if (state.state === 'open' && state.kind === 'drawdown' && !opts.confirm) {
        return { ok: false, reason: `trading stopped on the daily-loss limit (${state.reason}): confirm to resume`, needsConfirmation: true };
      }
      await this.resume(nowMs);
      return { ok: true };
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
