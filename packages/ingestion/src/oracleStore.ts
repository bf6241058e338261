import type { RedisClient } from '@polybot/shared/redis';
import { OraclePriceSchema, redisKeys, type Asset, type OraclePrice } from '@polybot/shared';

const HISTORY_MS = 6 * 3600 * 1000;

export interface OracleStore {
  latest(asset: Asset): Promise<OraclePrice | null>;
  history(asset: Asset, fromMs: number, toMs: number): Promise<Array<{ timestampMs: number; price: number }>>;
  put(p: OraclePrice): Promise<void>;
  /** The published 60-second TWAP at or just before a time (what TWAP markets settle on), if recorded. */
  twapAt(asset: Asset, atMs: number, toleranceMs: number): Promise<number | null>;
}

/** Latest oracle prices and a bounded history in Redis, so every worker sees the same value and its age. */
export function createOracleStore(redis: RedisClient, prefix: string): OracleStore {
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
    async twapAt(asset, atMs, toleranceMs) {
      const rows = await redis.zrevrangebyscore(`${keys.oracleHistory(asset)}:twap`, atMs, atMs - toleranceMs, 'LIMIT', 0, 1);
      const v = rows[0] ? Number(rows[0].split(':')[1]) : NaN;
      return Number.isFinite(v) && v > 0 ? v : null;
    },
    async put(p) {
      const price = OraclePriceSchema.parse(p);
      // The published TWAP is kept apart: it is a settlement value, not the spot price.
      const hist = price.source === 'chainlink-twap' ? `${keys.oracleHistory(price.asset)}:twap` : keys.oracleHistory(price.asset);
      if (price.source === 'chainlink-twap') {
        await redis
          .multi()
          .zadd(hist, price.timestampMs, `${price.timestampMs}:${price.price}`)
          .zremrangebyscore(hist, 0, price.timestampMs - HISTORY_MS)
          .exec();
        return;
      }
      await redis
        .multi()
        .set(keys.oracleLatest(price.asset), JSON.stringify(price))
        .zadd(hist, price.timestampMs, `${price.timestampMs}:${price.price}`)
        .zremrangebyscore(hist, 0, price.timestampMs - HISTORY_MS)
        .exec();
    },
  };
}
