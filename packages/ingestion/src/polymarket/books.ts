import { z } from 'zod';
import { OrderBookSchema, type OrderBook } from '@polybot/shared';

const num = z.string().regex(/^\d+(\.\d+)?$/).transform(Number);

/** The CLOB's book JSON: strings everywhere; bids ascending and asks descending (best last). */
export const ClobBookSchema = z
  .object({
    market: z.string(),
    asset_id: z.string(),
    timestamp: z.string().regex(/^\d+$/),
    hash: z.string().optional(),
    bids: z.array(z.object({ price: num, size: num })),
    asks: z.array(z.object({ price: num, size: num })),
    min_order_size: num,
    tick_size: num,
  })
  .passthrough();
export type ClobBook = z.infer<typeof ClobBookSchema>;

/** Normalised best first on both sides; levels with zero size are dropped. */
export function normaliseBook(raw: ClobBook): OrderBook {
  const levels = (ls: Array<{ price: number; size: number }>) => ls.filter((l) => l.size > 0);
  return OrderBookSchema.parse({
    tokenId: raw.asset_id,
    conditionId: raw.market,
    bids: levels(raw.bids).sort((a, b) => b.price - a.price),
    asks: levels(raw.asks).sort((a, b) => a.price - b.price),
    timestampMs: Number(raw.timestamp),
    tickSize: raw.tick_size,
    minOrderSize: raw.min_order_size,
    ...(raw.hash ? { hash: raw.hash } : {}),
  });
}
