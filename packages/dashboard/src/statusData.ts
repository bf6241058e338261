import { scanKeys, type RedisClient } from '@polybot/shared/redis';
import { redisKeys } from '@polybot/shared';
import { ExecutionStatusSchema, RiskStatusSchema, safeJson, statusStore } from '@polybot/shared/status';
import { createBreakerControl } from '@polybot/risk/breaker';

/** Everything the status page shows, read from Redis (views for humans, never trading inputs). */
export async function readStatus(redis: RedisClient, prefix: string, nowMs = Date.now()) {
  const store = statusStore(redis, prefix);
  const keys = redisKeys(prefix);
  const [markets, execution, risk, breaker, workerKeys] = await Promise.all([
    store.markets(),
    store.get('execution', ExecutionStatusSchema),
    store.get('risk', RiskStatusSchema),
    createBreakerControl(redis, prefix).status(nowMs),
    scanKeys(redis, keys.workersPattern, 1_000),
  ]);
  const workers = (await Promise.all(workerKeys.map((k) => redis.get(k)))).flatMap((raw) => {
    const w = raw ? (safeJson(raw) as { kind?: string; id?: string; atMs?: number } | undefined) : undefined;
    return w && typeof w.kind === 'string' && typeof w.id === 'string' ? [{ kind: w.kind, id: w.id, atMs: Number(w.atMs ?? 0) }] : [];
  });
  return {
    nowMs,
    markets: markets.filter((m) => m.windowEndMs > nowMs - 30_000).sort((a, b) => a.windowEndMs - b.windowEndMs || a.asset.localeCompare(b.asset)),
    execution,
    risk,
    breaker,
    workers: workers.sort((a, b) => a.kind.localeCompare(b.kind)),
  };
}
export type StatusData = Awaited<ReturnType<typeof readStatus>>;
