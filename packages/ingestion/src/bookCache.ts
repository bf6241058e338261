/**
 * Books kept current by the market channel, shared through Redis so every analysis replica reads
 * the same snapshot; a missing or stale entry means "ask the CLOB over REST" (the fallback).
 */
import type { Redis } from 'ioredis';
import { OrderBookSchema, type OrderBook } from '@polybot/shared';
import type { MarketUpdate } from './polymarket/marketChannel.js';

const TTL_MS = 15_000;

export function createBookCache(redis: Redis, prefix: string) {
  const key = (tokenId: string) => `${prefix}:book:${tokenId}`;
  return {
    async put(book: OrderBook): Promise<void> {
      await redis.set(key(book.tokenId), JSON.stringify(OrderBookSchema.parse(book)), 'PX', TTL_MS);
    },
    async drop(tokenId: string): Promise<void> {
      await redis.del(key(tokenId));
    },
    /** A book no older than `maxAgeMs`, or null (missing, stale or unreadable). */
    async get(tokenId: string, nowMs: number, maxAgeMs: number): Promise<OrderBook | null> {
      const raw = await redis.get(key(tokenId));
      if (raw === null) return null;
      try {
        const b = OrderBookSchema.safeParse(JSON.parse(raw));
        return b.success && nowMs - b.data.timestampMs <= maxAgeMs ? b.data : null;
      } catch {
        return null;
      }
    },
  };
}
export type BookCache = ReturnType<typeof createBookCache>;

/**
 * Applies market-channel updates to in-memory books: a `book` replaces, a `level` sets one level's
 * total size (0 removes it), a tick-size change drops the book until the next snapshot.
 * Returns the book to publish, or null when there is nothing valid to publish.
 */
export class LiveBooks {
  private readonly books = new Map<string, OrderBook>();

  apply(u: MarketUpdate): { publish: OrderBook } | { drop: string } | null {
    if (u.kind === 'book') {
      const book: OrderBook = {
        tokenId: u.tokenId,
        conditionId: u.conditionId,
        bids: u.bids.filter((l) => l.size > 0 && l.price > 0 && l.price < 1).sort((a, b) => b.price - a.price),
        asks: u.asks.filter((l) => l.size > 0 && l.price > 0 && l.price < 1).sort((a, b) => a.price - b.price),
        timestampMs: u.timestampMs,
        tickSize: 0.01,
        minOrderSize: 5,
      };
      this.books.set(u.tokenId, book);
      return { publish: book };
    }
    if (u.kind === 'level') {
      const book = this.books.get(u.tokenId);
      if (!book) return null;
      const side = u.side === 'BUY' ? 'bids' : 'asks';
      const levels = book[side].filter((l) => Math.abs(l.price - u.price) > 1e-9);
      if (u.size > 0) levels.push({ price: u.price, size: u.size });
      levels.sort((a, b) => (side === 'bids' ? b.price - a.price : a.price - b.price));
      const next = { ...book, [side]: levels, timestampMs: u.timestampMs };
      this.books.set(u.tokenId, next);
      return { publish: next };
    }
    if (u.kind === 'tick_size') {
      this.books.delete(u.tokenId);
      return { drop: u.tokenId };
    }
    return null;
  }
}
