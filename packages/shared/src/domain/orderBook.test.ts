import { describe, expect, it } from 'vitest';
import { bookProblems, type OrderBook } from './orderBook.js';

const book = (bids: Array<[number, number]>, asks: Array<[number, number]>, tickSize = 0.01): OrderBook => ({
  tokenId: '1',
  conditionId: '0x1',
  timestampMs: 0,
  tickSize,
  minOrderSize: 5,
  bids: bids.map(([price, size]) => ({ price, size })),
  asks: asks.map(([price, size]) => ({ price, size })),
});

describe('bookProblems', () => {
  it('passes a sound book', () =>
    expect(
      bookProblems(
        book(
          [
            [0.48, 10],
            [0.47, 5],
          ],
          [[0.5, 10]],
        ),
      ),
    ).toEqual([]));
  it('flags empty, one-sided, crossed and unsorted books', () => {
    expect(bookProblems(book([], []))).toEqual(['empty']);
    expect(bookProblems(book([[0.4, 1]], []))).toEqual(['one_sided']);
    expect(bookProblems(book([[0.5, 1]], [[0.5, 1]]))).toEqual(['crossed']);
    expect(
      bookProblems(
        book(
          [
            [0.4, 1],
            [0.45, 1],
          ],
          [[0.5, 1]],
        ),
      ),
    ).toEqual(['unsorted']);
  });
  it('flags a level off the tick grid, and accepts the finer grid when the tick is finer', () => {
    expect(bookProblems(book([[0.45, 1]], [[0.455, 1]]))).toEqual(['off_grid']);
    expect(bookProblems(book([[0.45, 1]], [[0.455, 1]], 0.001))).toEqual([]);
    expect(bookProblems(book([[0.45, 1]], [[0.455, 1]]), 0.001)).toEqual([]); // the market's tick, given
    expect(bookProblems(book([[0.45, 1]], [[0.455, 1]], 0.001), 0.01)).toEqual(['off_grid']);
  });
});
