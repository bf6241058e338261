/**
 * Public CLOB market data (books, resolution) for the paper venue, read with the official client
 * (no key, L0) and parsed here: the venue's JSON stops at this file.
 */
import { ClobClient } from '@polymarket/clob-client-v2';
import { z } from 'zod';
import type { MarketData } from './paperVenue.js';

const Num = z.union([z.string(), z.number()]).transform(Number).pipe(z.number().finite());
const LevelSchema = z.object({ price: Num.pipe(z.number().gt(0).lt(1)), size: Num.pipe(z.number().positive()) }).passthrough();
const BookJsonSchema = z.object({ bids: z.array(LevelSchema), asks: z.array(LevelSchema) }).passthrough();
const MarketJsonSchema = z
  .object({ closed: z.boolean().optional(), tokens: z.array(z.object({ outcome: z.string(), winner: z.boolean().optional() }).passthrough()) })
  .passthrough();

/** The venue sends bids ascending and asks descending; we want best first on both sides. */
export function parseBook(raw: unknown) {
  const p = BookJsonSchema.safeParse(raw);
  if (!p.success) return null;
  const lv = (l: { price: number; size: number }) => ({ price: l.price, size: l.size });
  return {
    bids: p.data.bids.map(lv).sort((a, b) => b.price - a.price),
    asks: p.data.asks.map(lv).sort((a, b) => a.price - b.price),
  };
}

export function parseWinner(raw: unknown): 'UP' | 'DOWN' | null {
  const m = MarketJsonSchema.safeParse(raw);
  if (!m.success || !m.data.closed) return null;
  const w = m.data.tokens.find((t) => t.winner === true);
  if (!w) return null;
  return /^up$/i.test(w.outcome) ? 'UP' : /^down$/i.test(w.outcome) ? 'DOWN' : null;
}

export function clobMarketData(host: string): MarketData {
  const client = new ClobClient({ host, chain: 137, throwOnError: true } as never);
  return {
    async book(tokenId) {
      try {
        return parseBook(await client.getOrderBook(tokenId));
      } catch (err) {
        if ((err as { status?: number }).status === 404) return null; // closed market: no book
        throw err;
      }
    },
    async winner(conditionId) {
      return parseWinner(await client.getMarket(conditionId));
    },
  };
}
