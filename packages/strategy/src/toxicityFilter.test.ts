import { describe, expect, it } from 'vitest';
import { bookChangeSpeed, DEFAULT_TOXICITY, toxicityFlags, vpin, type TapeTrade } from './toxicityFilter.js';

const t = (side: 'BUY' | 'SELL', size: number, timestampMs: number): TapeTrade => ({ price: 0.5, size, side, timestampMs });

describe('VPIN over equal-volume buckets', () => {
  it('splits a trade across bucket boundaries and averages |sell − buy| / V', () => {
    // Buckets of 10: [BUY 10] → 1; [BUY 5 + SELL 5] → 0; [SELL 10] → 1; 3 shares left open.
    const trades = [t('BUY', 15, 1), t('SELL', 18, 2)];
    const r = vpin(trades, 10, 10);
    expect(r.buckets).toBe(3);
    expect(r.vpin).toBeCloseTo(2 / 3, 12);
    // Only the last two buckets: (0 + 1) / 2.
    expect(vpin(trades, 10, 2).vpin).toBeCloseTo(0.5, 12);
  });

  it('is order-independent in input (sorted by time) and zero for balanced flow', () => {
    const balanced = Array.from({ length: 40 }, (_, i) => t(i % 2 ? 'SELL' : 'BUY', 5, i));
    expect(vpin(balanced, 10, 10).vpin).toBe(0);
    expect(vpin([...balanced].reverse(), 10, 10).vpin).toBe(0);
  });

  it('flags one-sided flow only once enough buckets are complete', () => {
    const cfg = { ...DEFAULT_TOXICITY, vpinBucketVolume: 10, vpinBuckets: 5, vpinThreshold: 0.8 };
    const flag = (trades: TapeTrade[]) => toxicityFlags({ trades, spotNow: 1, spotBefore: 1, nowMs: 100 }, cfg).find((f) => f.name === 'vpin')!;
    expect(flag(Array.from({ length: 4 }, (_, i) => t('BUY', 10, i))).flagged).toBe(false);
    const oneSided = flag(Array.from({ length: 6 }, (_, i) => t('BUY', 10, i)));
    expect(oneSided).toMatchObject({ value: 1, threshold: 0.8, flagged: true });
  });
});

describe('book change speed', () => {
  it('is the short-window rate of top-of-book changes over the long-window rate, ignoring the future', () => {
    // One change a second up to 58 s, then 8 in the last 2 s (58.25 … 60 s); two after now are ignored.
    const steady = Array.from({ length: 58 }, (_, i) => 1_000 + i * 1_000);
    const burst = Array.from({ length: 8 }, (_, i) => 58_250 + i * 250);
    const r = bookChangeSpeed([...steady, ...burst, 61_000, 70_000], 60_000, 2_000, 60_000);
    expect(r.shortCount).toBe(8); // (58 s, 60 s]: 58 s itself is out
    expect(r.longCount).toBe(58 + 8);
    expect(r.ratio).toBeCloseTo(8 / 2_000 / (66 / 60_000), 12);
    expect(bookChangeSpeed([], 1_000, 2_000, 60_000)).toEqual({ ratio: 0, shortCount: 0, longCount: 0 });
    // A steady rate gives 1, whatever the rate: the measure is dimensionless.
    for (const every of [100, 1_000, 5_000]) {
      const even = Array.from({ length: 60_000 / every }, (_, i) => 60_000 - i * every);
      expect(bookChangeSpeed(even, 60_000, 10_000, 60_000).ratio).toBeCloseTo(1, 12);
    }
  });

  it('flags a burst against a quiet baseline, carrying value and threshold, and needs a baseline first', () => {
    const flag = (bookChangesMs: number[] | undefined) =>
      toxicityFlags({ trades: [], spotNow: 1, spotBefore: 1, nowMs: 60_000, ...(bookChangesMs ? { bookChangesMs } : {}) }).find(
        (f) => f.name === 'book_change_speed',
      )!;
    const quiet = Array.from({ length: 20 }, (_, i) => 1_000 + i * 2_900); // 1 … 56.1 s
    const burst = [...quiet, 58_500, 59_000, 59_500, 60_000];
    const hot = flag(burst);
    expect(hot.threshold).toBe(DEFAULT_TOXICITY.bookSpeedThreshold);
    expect(hot.value).toBeCloseTo(4 / 2_000 / (24 / 60_000), 12); // 5 × the minute's rate
    expect(hot.flagged).toBe(true);
    expect(flag(quiet).flagged).toBe(false);
    // Too few changes in the minute to call anything a burst; no data at all is not a flag either.
    expect(flag([59_000, 59_500, 60_000]).flagged).toBe(false);
    expect(flag(undefined)).toMatchObject({ value: 0, flagged: false });
  });
});
