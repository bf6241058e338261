import { describe, expect, it } from 'vitest';
import { DEFAULT_TOXICITY, toxicityFlags, vpin, type TapeTrade } from './toxicityFilter.js';

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
