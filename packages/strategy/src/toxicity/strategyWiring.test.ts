/** The book-change times in the strategy context reach each signal's evidence as a flag, per side. */
import { describe, expect, it } from 'vitest';
import { readOracle, type Market, type OrderBook } from '@polybot/shared';
import { DEFAULT_TOXICITY } from '../toxicityFilter.js';
import { ValueBettingStrategy, type StrategyContext } from '../valueBettingStrategy.js';

const now = 1_800_000_000_000;
const market: Market = {
  id: '1',
  conditionId: `0x${'c'.repeat(64)}`,
  slug: 'btc-updown-15m-1799999700',
  asset: 'BTC',
  intervalSeconds: 900,
  windowStartMs: now - 300_000,
  windowEndMs: now + 600_000,
  upTokenId: '11',
  downTokenId: '22',
  priceToBeat: 100_000,
  tickSize: 0.01,
  minOrderSize: 5,
  feeSchedule: { rate: 0.07, exponent: 1, takerOnly: true },
  settlement: { kind: 'point' },
  acceptingOrders: true,
  negRisk: false,
};
const book = (tokenId: string, ask: number): OrderBook => ({
  tokenId,
  conditionId: market.conditionId,
  bids: [{ price: 0.01, size: 100 }],
  asks: [{ price: ask, size: 50 }],
  timestampMs: now,
  tickSize: 0.01,
  minOrderSize: 5,
});
// Spot at the strike (p ≈ ½): Up offered at 0.30 signals, Down at 0.75 does not (and 1.05 is no arbitrage).
const ctx = (bookChanges?: StrategyContext['bookChanges']): StrategyContext => ({
  nowMs: now,
  market,
  upBook: book('11', 0.3),
  downBook: book('22', 0.75),
  oracle: readOracle({ asset: 'BTC', price: 100_000, timestampMs: now - 500, source: 'sim' }, now, 5_000),
  averageSoFar: null,
  spotBefore: 100_000,
  trades: { up: [], down: [] },
  params: { sigma: 0.5, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 },
  ...(bookChanges ? { bookChanges } : {}),
});

const speedFlag = (c: StrategyContext) => {
  const signals = new ValueBettingStrategy().evaluate(c).signals;
  expect(signals.map((s) => s.outcome)).toEqual(['UP']);
  return signals[0]!.evidence.toxicity.find((f) => f.name === 'book_change_speed')!;
};

describe('book_change_speed in the signals', () => {
  const quiet = Array.from({ length: 20 }, (_, i) => now - 59_000 + i * 2_900);
  const burst = [...quiet, now - 1_500, now - 1_000, now - 500, now];

  it("flags a signal when its own token's book just changed fast, not when the other token's did", () => {
    const hot = speedFlag(ctx({ up: burst, down: quiet }));
    expect(hot).toMatchObject({ threshold: DEFAULT_TOXICITY.bookSpeedThreshold, flagged: true });
    expect(hot.value).toBeCloseTo(4 / 2_000 / (24 / 60_000), 9);
    expect(speedFlag(ctx({ up: quiet, down: burst })).flagged).toBe(false);
  });

  it('is carried unflagged when the context has no change times', () => {
    expect(speedFlag(ctx())).toMatchObject({ value: 0, flagged: false });
  });
});
