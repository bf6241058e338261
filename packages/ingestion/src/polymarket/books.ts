import { z } from 'zod';
import { OrderBookSchema, type OrderBook } from '@polybot/shared';

const num = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .transform(Number);

/** The CLOB's book JSON: strings everywhere; bids ascending and asks descending (best last). */
export const ClobBookSchema = z
  .object({
    market: z.string(),
    asset_id: z.string(),
    timestamp: z.string().regex(/^\d+$/),
    hash: z.string().optional(),
    bids: z.array(z.object({ price: num, size: num })),
    asks: z.array(z.object({ price: num, size: num })),
    min_order_size: num.optional(),
    tick_size: num.optional(),
  })
  .passthrough();
export type ClobBook = z.infer<typeof ClobBookSchema>;

/**
 * Normalised best first on both sides; levels with zero size are dropped. Older books carry no
 * tick or minimum size: the fallback fills them, and orders always use the Market's own values.
 */
export function normaliseBook(raw: ClobBook, fallback: { tickSize: number; minOrderSize: number } = { tickSize: 0.01, minOrderSize: 5 }): OrderBook {
  const levels = (ls: Array<{ price: number; size: number }>) => ls.filter((l) => l.size > 0);
  return OrderBookSchema.parse({
    tokenId: raw.asset_id,
    conditionId: raw.market,
    bids: levels(raw.bids).sort((a, b) => b.price - a.price),
    asks: levels(raw.asks).sort((a, b) => a.price - b.price),
    timestampMs: Number(raw.timestamp),
    tickSize: raw.tick_size ?? fallback.tickSize,
    minOrderSize: raw.min_order_size ?? fallback.minOrderSize,
    ...(raw.hash ? { hash: raw.hash } : {}),
  });
}
