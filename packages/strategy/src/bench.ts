/** Micro-benchmarks for `pnpm bench` (figures come from here, never from unit tests). */
import { readOracle, type Market, type OrderBook } from '@polybot/shared';
import { probabilityUp } from './jumpDiffusionModel.js';
import { ValueBettingStrategy, type StrategyContext } from './valueBettingStrategy.js';

/** Runs `batch` calls of `body(i)` until `durationMs` has passed; returns the count and the rate per second. */
function timed(durationMs: number, batch: number, body: (i: number) => void): { count: number; perSec: number } {
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < batch; i++) body(i);
    count += batch;
    now = performance.now();
  }
  return { count, perSec: Math.round(count / ((now - start) / 1000)) };
}

export function benchPricing(durationMs = 1_000): { evalsPerSec: number; evals: number } {
  let sink = 0;
  const r = timed(durationMs, 10_000, (i) => {
    sink += probabilityUp({
      spot: 100 + (i % 50) * 0.01,
      strike: 100,
      secondsLeft: 60 + (i % 840),
      sigma: 0.6,
      lambdaPerYear: 1_700,
      jumpMean: 0.0005,
      jumpStd: 0.006,
      twapSeconds: i % 2 ? 60 : 0,
    });
  });
  if (sink < 0) throw new Error('unreachable');
  return { evals: r.count, evalsPerSec: r.perSec };
}

/** Whole strategy passes (model, book walk, toxicity, arbitrage, signal checks) on a synthetic market. */
export function benchStrategyPass(durationMs = 1_000): { passesPerSec: number; passes: number; signals: number } {
  const t0 = 1_800_000_000_000;
  const market: Market = {
    id: '1',
    conditionId: `0x${'b'.repeat(64)}`,
    slug: 'btc-updown-15m-bench',
    asset: 'BTC',
    intervalSeconds: 900,
    windowStartMs: t0 - 300_000,
    windowEndMs: t0 + 600_000,
    upTokenId: '11',
    downTokenId: '22',
    priceToBeat: 100_000,
    tickSize: 0.01,
    minOrderSize: 5,
    feeSchedule: { rate: 0.07, exponent: 1, takerOnly: true },
    settlement: { kind: 'twap', lookbackSeconds: 60 },
    acceptingOrders: true,
    negRisk: false,
  };
  const levels = (from: number, step: number) =>
    Array.from({ length: 10 }, (_, i) => ({ price: Math.round((from + i * step) * 100) / 100, size: 50 + i * 10 }));
  const book = (tokenId: string, bid: number, ask: number): OrderBook => ({
    tokenId,
    conditionId: market.conditionId,
    bids: levels(bid, -0.01),
    asks: levels(ask, 0.01),
    timestampMs: t0,
    tickSize: 0.01,
    minOrderSize: 5,
  });
  const trades = Array.from({ length: 200 }, (_, i) => ({
    price: 0.5,
    size: 5 + (i % 20),
    side: (i % 3 ? 'BUY' : 'SELL') as 'BUY' | 'SELL',
    timestampMs: t0 - 30_000 + i * 100,
  }));
  const strategy = new ValueBettingStrategy();
  let signals = 0;
  const r = timed(durationMs, 1_000, (i) => {
    const spot = 99_900 + (i % 200);
    const ctx: StrategyContext = {
      nowMs: t0 + i,
      market,
      upBook: book('11', 0.45, 0.47),
      downBook: book('22', 0.5, 0.52),
      oracle: readOracle({ asset: 'BTC', price: spot, timestampMs: t0 - 200, source: 'sim' }, t0 + i, 5_000),
      averageSoFar: null,
      spotBefore: spot - 5,
      trades: { up: trades, down: trades },
      params: { sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0.0005, jumpStd: 0.006 },
    };
    signals += strategy.evaluate(ctx).signals.length;
  });
  return { passes: r.count, signals, passesPerSec: r.perSec };
}
