import { describe, expect, it } from 'vitest';
import { LiveBooks } from './bookCache.js';
import { ExpiringSet } from './expiring.js';

describe('ExpiringSet', () => {
  it('lets each member go at its own time, and an add extends but never shortens', () => {
    const s = new ExpiringSet<string>();
    s.add('a', 1_000);
    s.add('b', 2_000);
    s.add('a', 500); // a second sighting with an earlier time keeps the later one
    expect(s.prune(999)).toEqual([]);
    expect(s.prune(1_000)).toEqual(['a']);
    expect(s.has('a')).toBe(false);
    expect(s.has('b')).toBe(true);
    s.add('b', 3_000);
    expect(s.prune(2_500)).toEqual([]);
    expect(s.prune(3_000)).toEqual(['b']);
    expect(s.size).toBe(0);
  });

  it('keeps a long run bounded: a thousand windows leave only the live ones behind', () => {
    const s = new ExpiringSet<string>();
    const books = new LiveBooks();
    for (let w = 0; w < 1_000; w++) {
      const now = w * 60_000;
      for (const t of s.prune(now)) books.forget([t]);
      for (const side of ['up', 'down']) {
        const token = `${w}-${side}`;
        s.add(token, now + 120_000);
        books.apply({
          kind: 'book',
          tokenId: token,
          conditionId: `c${w}`,
          bids: [{ price: 0.4, size: 10 }],
          asks: [{ price: 0.6, size: 10 }],
          timestampMs: now,
        });
      }
    }
    expect(s.size).toBeLessThanOrEqual(6);
    expect(books.size).toBe(s.size);
  });
});
