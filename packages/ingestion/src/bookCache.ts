/**
 * Books kept current by the market channel, shared through Redis so every analysis replica reads
 * the same snapshot; a missing or stale entry means "ask the CLOB over REST" (the fallback).
 * Each change of the top of book (best bid or ask, price or size) is also recorded with its time,
 * for the book-change-speed toxicity flag: a sorted set per token, trimmed to the last
 * `changesKeepMs` and at most `changesCap` entries, expiring when the token goes quiet.
 */
import type { RedisClient } from '@polybot/shared/redis';
import { z } from 'zod';
import { OrderBookSchema, redisKeys, type OrderBook } from '@polybot/shared';
import type { MarketUpdate } from './polymarket/marketChannel.js';

const TTL_MS = 15_000;

export interface BookCacheOptions {
  /** Most change times kept per token (the flag's baseline is 60 s; a busy book changes a few times a second). */
  changesCap: number;
  /** Change times older than this are trimmed, and the set expires after this much silence. */
  changesKeepMs: number;
  /** Tokens whose last top this process remembers (markets rotate every 15 minutes). */
  maxTrackedTokens: number;
}

export const DEFAULT_BOOK_CACHE: BookCacheOptions = { changesCap: 2_000, changesKeepMs: 300_000, maxTrackedTokens: 5_000 };

const topOf = (b: OrderBook) => `${b.bids[0]?.price ?? '-'}/${b.bids[0]?.size ?? '-'}|${b.asks[0]?.price ?? '-'}/${b.asks[0]?.size ?? '-'}`;
const ScoresSchema = z.array(z.coerce.number().finite());

export function createBookCache(redis: RedisClient, prefix: string, opts: BookCacheOptions = DEFAULT_BOOK_CACHE) {
  const key = (tokenId: string) => `${prefix}:book:${tokenId}`;
  const changesKey = redisKeys(prefix).bookChanges;
  // The last top published per token by this process: the first book seen is not a change.
  const lastTop = new Map<string, string>();
  return {
    async put(book: OrderBook): Promise<void> {
      const parsed = OrderBookSchema.parse(book);
      const top = topOf(parsed);
      const prev = lastTop.get(parsed.tokenId);
      lastTop.delete(parsed.tokenId);
      lastTop.set(parsed.tokenId, top);
      if (lastTop.size > opts.maxTrackedTokens) lastTop.delete(lastTop.keys().next().value!);
      const tx = redis.multi().set(key(parsed.tokenId), JSON.stringify(parsed), 'PX', TTL_MS);
      if (prev !== undefined && prev !== top) {
        const ck = changesKey(parsed.tokenId);
        const t = parsed.timestampMs;
        // The member names the new top, so replicas recording the same change write it once.
        tx.zadd(ck, t, `${t}:${top}`)
          .zremrangebyscore(ck, '-inf', `(${t - opts.changesKeepMs}`)
          .zremrangebyrank(ck, 0, -opts.changesCap - 1)
          .pexpire(ck, opts.changesKeepMs);
      }
      await tx.exec();
    },
    async drop(tokenId: string): Promise<void> {
      lastTop.delete(tokenId);
      await redis.del(key(tokenId));
    },
    /** Times (ms, oldest first) of the top-of-book changes recorded after `sinceMs`. */
    async changes(tokenId: string, sinceMs: number): Promise<number[]> {
      const raw = await redis.zrangebyscore(changesKey(tokenId), `(${sinceMs}`, '+inf', 'WITHSCORES');
      const scores = ScoresSchema.safeParse(raw.filter((_, i) => i % 2 === 1));
      return scores.success ? scores.data : [];
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

  /** Forgets the books of tokens whose market is over. */
  forget(tokenIds: string[]): void {
    for (const t of tokenIds) this.books.delete(t);
  }

  get size(): number {
    return this.books.size;
  }
}
