import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookProblems } from '@polybot/shared';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { createBookCache, LiveBooks } from './bookCache.js';
import { parseMarketFrame } from './polymarket/marketChannel.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/polymarket/ws-market');
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
    expect(bookProblems(book!)).toEqual([]);
    const bestBid = book!.bids[0]!;
    const removed = live.apply({ kind: 'level', tokenId: book!.tokenId, side: 'BUY', price: bestBid.price, size: 0, timestampMs: book!.timestampMs + 1 });
    expect(removed && 'publish' in removed && removed.publish.bids[0]!.price).toBeLessThan(bestBid.price);
    const added = live.apply({ kind: 'level', tokenId: book!.tokenId, side: 'SELL', price: book!.asks[0]!.price - 0.001, size: 7, timestampMs: book!.timestampMs + 2 });
    expect(added && 'publish' in added && added.publish.asks[0]).toEqual({ price: book!.asks[0]!.price - 0.001, size: 7 });
    expect(live.apply({ kind: 'tick_size', tokenId: book!.tokenId, tickSize: 0.001, timestampMs: 0 })).toEqual({ drop: book!.tokenId });
    expect(live.apply({ kind: 'level', tokenId: book!.tokenId, side: 'BUY', price: 0.5, size: 1, timestampMs: 0 })).toBeNull();
  });

  it('serves fresh books from Redis and treats stale or unreadable ones as missing', async () => {
    const prefix = testPrefix('books');
    const cache = createBookCache(redis, prefix);
    const book = { tokenId: '42', conditionId: '0x1', bids: [{ price: 0.4, size: 10 }], asks: [{ price: 0.42, size: 10 }], timestampMs: 1_000, tickSize: 0.01, minOrderSize: 5 };
    await cache.put(book);
    expect(await cache.get('42', 1_500, 1_000)).toEqual(book);
    expect(await cache.get('42', 2_001, 1_000)).toBeNull();
    await redis.set(`${prefix}:book:42`, '{broken');
    expect(await cache.get('42', 1_500, 1_000)).toBeNull();
  });
});
