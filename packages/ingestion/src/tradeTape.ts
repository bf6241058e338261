import type { RedisClient } from '@polybot/shared/redis';
import { z } from 'zod';

export const TapeTradeSchema = z.object({
  price: z.number().gt(0).lt(1),
  size: z.number().positive(),
  side: z.enum(['BUY', 'SELL']),
  timestampMs: z.number().int().nonnegative(),
});
export type TapeTrade = z.infer<typeof TapeTradeSchema>;

/** Recent public trades per token with their aggressor side, for the toxicity filter. */
export function createTradeTape(redis: RedisClient, prefix: string) {
  const key = (tokenId: string) => `${prefix}:tape:${tokenId}`;
  return {
    async recent(tokenId: string, sinceMs: number): Promise<TapeTrade[]> {
      const rows = await redis.zrangebyscore(key(tokenId), sinceMs, '+inf');
      return rows.flatMap((r) => {
        try {
          const p = TapeTradeSchema.safeParse(JSON.parse(r));
          return p.success ? [p.data] : [];
        } catch {
          return [];
        }
      });
    },
    async push(tokenId: string, t: TapeTrade): Promise<void> {
      const trade = TapeTradeSchema.parse(t);
      await redis
        .multi()
        .zadd(key(tokenId), trade.timestampMs, JSON.stringify(trade))
        .zremrangebyscore(key(tokenId), 0, trade.timestampMs - 3_600_000)
        .pexpire(key(tokenId), 3_600_000)
        .exec();
    },
  };
}
export type TradeTape = ReturnType<typeof createTradeTape>;
