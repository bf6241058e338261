import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookProblems } from '@polybot/shared';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { createBookCache, DEFAULT_BOOK_CACHE, LiveBooks } from './bookCache.js';
import { parseMarketFrame } from './polymarket/marketChannel.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/polymarket/ws-market');
let redis: Redis;
beforeAll(() => void (redis = createRedis(testRedisUrl())));
afterAll(async () => redis.quit());

describe('live books from the market channel', () => {
  it('builds a best-first book from a snapshot, applies level changes, and drops it on a tick change', () => {
    const live = new LiveBooks();
    const [snap] = parseMarketFrame(readFileSync(path.join(FIX, 'ws_book_2024.json'), 'utf8'));
    const r = live.apply(snap!);
    const book = r && 'publish' in r ? r.publish : null;
    expect(book).not.toBeNull();
    // The 2024 market traded on a 0.001 grid; a `book` message carries no tick size, the market does.
    expect(bookProblems(book!, 0.001)).toEqual([]);
    const bestBid = book!.bids[0]!;
    const removed = live.apply({ kind: 'level', tokenId: book!.tokenId, side: 'BUY', price: bestBid.price, size: 0, timestampMs: book!.timestampMs + 1 });
    expect(removed && 'publish' in removed && removed.publish.bids[0]!.price).toBeLessThan(bestBid.price);
    const added = live.apply({
      kind: 'level',
      tokenId: book!.tokenId,
      side: 'SELL',
      price: book!.asks[0]!.price - 0.001,
      size: 7,
      timestampMs: book!.timestampMs + 2,
    });
    expect(added && 'publish' in added && added.publish.asks[0]).toEqual({ price: book!.asks[0]!.price - 0.001, size: 7 });
    expect(live.apply({ kind: 'tick_size', tokenId: book!.tokenId, tickSize: 0.001, timestampMs: 0 })).toEqual({ drop: book!.tokenId });
    expect(live.apply({ kind: 'level', tokenId: book!.tokenId, side: 'BUY', price: 0.5, size: 1, timestampMs: 0 })).toBeNull();
  });

  it('serves fresh books from Redis and treats stale or unreadable ones as missing', async () => {
    const prefix = testPrefix('books');
    const cache = createBookCache(redis, prefix);
    const book = {
      tokenId: '42',
      conditionId: '0x1',
      bids: [{ price: 0.4, size: 10 }],
      asks: [{ price: 0.42, size: 10 }],
      timestampMs: 1_000,
      tickSize: 0.01,
      minOrderSize: 5,
    };
    await cache.put(book);
    expect(await cache.get('42', 1_500, 1_000)).toEqual(book);
    expect(await cache.get('42', 2_001, 1_000)).toBeNull();
    await redis.set(`${prefix}:book:42`, '{broken');
    expect(await cache.get('42', 1_500, 1_000)).toBeNull();
  });
});

describe('top-of-book change times for the book-change-speed flag', () => {
  const book = (bid: number, bidSize: number, ask: number, timestampMs: number) => ({
    tokenId: '77',
    conditionId: '0x1',
    bids: [
      { price: bid, size: bidSize },
      { price: bid - 0.01, size: 100 },
    ],
    asks: [{ price: ask, size: 10 }],
    timestampMs,
    tickSize: 0.01,
    minOrderSize: 5,
  });

  it('records a time when the best bid or ask changes in price or size, not for deeper levels or the first book', async () => {
    const prefix = testPrefix('bookchanges');
    const cache = createBookCache(redis, prefix);
    await cache.put(book(0.4, 10, 0.42, 1_000)); // first sight: no previous top to differ from
    await cache.put({
      ...book(0.4, 10, 0.42, 1_100),
      bids: [
        { price: 0.4, size: 10 },
        { price: 0.39, size: 5 },
      ],
    }); // depth only
    await cache.put(book(0.41, 10, 0.42, 1_200)); // bid price
    await cache.put(book(0.41, 12, 0.42, 1_300)); // bid size
    await cache.put(book(0.41, 12, 0.43, 1_400)); // ask price
    await cache.put(book(0.41, 12, 0.43, 1_500)); // unchanged
    expect(await cache.changes('77', 0)).toEqual([1_200, 1_300, 1_400]);
    expect(await cache.changes('77', 1_200)).toEqual([1_300, 1_400]);
    // Another process reading the same key sees them; a token with none gives an empty list.
    expect(await createBookCache(redis, prefix).changes('77', 0)).toEqual([1_200, 1_300, 1_400]);
    expect(await cache.changes('nope', 0)).toEqual([]);
    const ttl = await redis.pttl(`${prefix}:book:changes:77`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(DEFAULT_BOOK_CACHE.changesKeepMs);
  });

  it('stays bounded: capped in count and trimmed in age, and one change written by two processes counts once', async () => {
    const prefix = testPrefix('bookchanges');
    const opts = { changesCap: 5, changesKeepMs: 10_000, maxTrackedTokens: 10 };
    const a = createBookCache(redis, prefix, opts);
    const b = createBookCache(redis, prefix, opts);
    for (const c of [a, b]) await c.put(book(0.3, 1, 0.5, 0));
    for (let i = 1; i <= 8; i++) for (const c of [a, b]) await c.put(book(0.3, 1 + i, 0.5, i * 100));
    expect(await a.changes('77', -1)).toEqual([400, 500, 600, 700, 800]);
    await a.put(book(0.3, 1, 0.5, 10_650)); // trims everything older than 650 ms
    expect(await a.changes('77', -1)).toEqual([700, 800, 10_650]);
    expect(await redis.zcard(`${prefix}:book:changes:77`)).toBe(3);
  });
});
