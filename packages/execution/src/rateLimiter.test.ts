import { describe, expect, it } from 'vitest';
import { chunk } from './rateLimiter.js';

describe('chunk', () => {
  it('splits batches at 15', () => {
    const sizes = chunk(Array.from({ length: 31 }, (_, i) => i)).map((c) => c.length);
    expect(sizes).toEqual([15, 15, 1]);
  });
});
