import { describe, expect, it } from 'vitest';
import { chunk, TokenBucket } from './rateLimiter.js';

describe('TokenBucket', () => {
  it('lets a burst through, then meters at the rate', () => {
    const b = new TokenBucket(40, 60, 0);
    let passed = 0;
    while (b.take(0) === 0) passed++;
    expect(passed).toBe(60);
    expect(b.take(0)).toBe(25); // one token at 40/s
    expect(b.take(25)).toBe(0);
    // One second later, 40 more and no more.
    let again = 0;
    while (b.take(1025) === 0) again++;
    expect(again).toBe(40);
  });

  it('honours Retry-After: nothing before the pause ends, then the bucket refills from empty', () => {
    const b = new TokenBucket(40, 60, 0);
    b.pause(2_000);
    expect(b.take(500)).toBe(1_500);
    expect(b.take(2_000)).toBe(25);
    expect(b.take(2_025)).toBe(0);
  });

  it('refuses a request costing more than the burst', () => {
    expect(() => new TokenBucket(40, 60, 0).take(0, 61)).toThrow(/never passes/);
  });
});

describe('chunk', () => {
  it('splits batches at 15', () => {
    const sizes = chunk(Array.from({ length: 31 }, (_, i) => i)).map((c) => c.length);
    expect(sizes).toEqual([15, 15, 1]);
  });
});
