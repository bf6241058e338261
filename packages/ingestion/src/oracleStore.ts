import type { Redis } from 'ioredis';
import { OraclePriceSchema, redisKeys, type Asset, type OraclePrice } from '@polybot/shared';

const HISTORY_MS = 6 * 3600 * 1000;

export interface OracleStore {
  latest(asset: Asset): Promise<OraclePrice | null>;
  history(asset: Asset, fromMs: number, toMs: number): Promise<Array<{ timestampMs: number; price: number }>>;
  put(p: OraclePrice): Promise<void>;
}

/** Latest oracle prices and a bounded history in Redis, so every worker sees the same value and its age. */
export function createOracleStore(redis: Redis, prefix: string): OracleStore {
  const keys = redisKeys(prefix);
  return {
    async latest(asset) {
      const raw = await redis.get(keys.oracleLatest(asset));
      if (raw === null) return null;
      try {
        const parsed = OraclePriceSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : null; // unparseable = missing = stale
      } catch {
        return null;
      }
    },
    async history(asset, fromMs, toMs) {
      const rows = await redis.zrangebyscore(keys.oracleHistory(asset), fromMs, toMs);
      return rows.flatMap((row) => {
        const [t, p] = row.split(':').map(Number);
        return Number.isFinite(t) && Number.isFinite(p) && p! > 0 ? [{ timestampMs: t!, price: p! }] : [];
      });
    },
    async put(p) {
      const price = OraclePriceSchema.parse(p);
      const hist = keys.oracleHistory(price.asset);
      await redis
        .multi()
        .set(keys.oracleLatest(price.asset), JSON.stringify(price))
        .zadd(hist, price.timestampMs, `${price.timestampMs}:${price.price}`)
        .zremrangebyscore(hist, 0, price.timestampMs - HISTORY_MS)
        .exec();
    },
  };
}
