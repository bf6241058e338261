import { describe, expect, it } from 'vitest';
import { readOracle, TradeSignalSchema, type Market, type OrderBook } from '@polybot/shared';
import { probabilityUp } from './jumpDiffusionModel.js';
import { anchoredProbability } from './marketAnchor.js';
import {
  DEFAULT_PAIR_ACCUMULATOR,
  EMPTY_INVENTORY,
  GTD_SECURITY_MARGIN_MS,
  highestPairPrice,
  inventoryOf,
  PairAccumulator,
  type AccumulatorContext,
  type Inventory,
} from './pairAccumulator.js';
import { DEFAULT_STRATEGY, ValueBettingStrategy, type StrategyContext } from './valueBettingStrategy.js';

const now = 1_766_754_300_000; // 5 minutes into btc-updown-15m-1766754000
const market: Market = {
  id: '1',
  conditionId: `0x${'a'.repeat(64)}`,
  slug: 'btc-updown-15m-1766754000',
  asset: 'BTC',
  intervalSeconds: 900,
  windowStartMs: 1_766_754_000_000,
  windowEndMs: 1_766_754_900_000,
  upTokenId: '11',
  downTokenId: '22',
  priceToBeat: 87_000,
  tickSize: 0.01,
  minOrderSize: 5,
  feeSchedule: { rate: 0, exponent: 1, takerOnly: true },
  settlement: { kind: 'point' },
  acceptingOrders: true,
  negRisk: false,
};
const book = (tokenId: string, bid: number, ask: number, size = 500): OrderBook => ({
  tokenId,
  conditionId: market.conditionId,
  bids: [{ price: bid, size }],
  asks: [{ price: ask, size }],
  timestampMs: now,
  tickSize: 0.01,
  minOrderSize: 5,
});
const ctx = (inventory: Inventory, over: Partial<AccumulatorContext> = {}): AccumulatorContext => ({
  nowMs: now,
  market,
  upBook: book('11', 0.48, 0.49),
  downBook: book('22', 0.51, 0.52),
  oracle: readOracle({ asset: 'BTC', price: 87_010, timestampMs: now, source: 'exchange-fallback' }, now, 65_000),
  inventory,
  ...over,
});
// The rules under test with round numbers (the shipped defaults are chosen on data: pairAccumulator.ts).
const CFG = {
  ...DEFAULT_PAIR_ACCUMULATOR,
  maxPairCost: 0.98,
  catchUpPairCost: 0.995,
  stopBeforeEndSec: 180,
  maxUnmatchedShares: 20,
  clipShares: 10,
  maxWindowSpendUsd: 50,
};
const acc = new PairAccumulator(CFG);

describe('pair accumulation', () => {
  it('rests a bid on each side whose pair cost stays within the cap, GTD to the end of its slot', () => {
    const ev = acc.evaluate(ctx(EMPTY_INVENTORY));
    expect(ev.signals).toHaveLength(2);
    // Up at its best bid would pair with Down's best bid at 0.48 + 0.51 = 0.99 > 0.98: capped one tick lower.
    expect(ev.bids).toEqual({ UP: 0.47, DOWN: 0.5 });
    expect(ev.bids.UP! + 0.51).toBeLessThanOrEqual(CFG.maxPairCost + 1e-9);
    const slotEnd = (Math.floor(now / CFG.slotMs) + 1) * CFG.slotMs;
    for (const s of ev.signals) {
      expect(TradeSignalSchema.parse(s)).toEqual(s);
      expect(s).toMatchObject({
        kind: 'accumulate',
        orderType: 'GTD',
        side: 'BUY',
        maxShares: CFG.clipShares,
        expiresAtMs: slotEnd + GTD_SECURITY_MARGIN_MS,
      });
      expect(s.limitPrice).toBeLessThan(s.evidence.bestAsk!);
    }
  });

  it('stops bidding the side that leads by the unmatched cap, and bids the other up to the pair cap', () => {
    const inv: Inventory = { upShares: 20, upCostUsd: 9, downShares: 0, downCostUsd: 0 };
    const ev = acc.evaluate(ctx(inv, { downBook: book('22', 0.5, 0.55) }));
    expect(ev.bids.UP).toBeNull();
    // Down trails by 20 ≥ 5: catching up at 0.55 would cost 0.45 + 0.55 = 1.00 > 0.995, so it rests a bid instead,
    // one tick above the best bid (it trails), and no higher than the pair cap allows.
    expect(ev.bids.DOWN).toBe(0.51);
    expect(ev.signals.map((s) => s.orderType)).toEqual(['GTD']);
    expect(highestPairPrice({ shares: 0, costUsd: 0 }, 10, 0.45, 0.98, 0.01, () => 0)).toBe(0.53);
  });

  it('catches a trailing side up as a taker when the completed pairs still pay', () => {
    const inv: Inventory = { upShares: 20, upCostUsd: 9, downShares: 0, downCostUsd: 0 };
    const ev = acc.evaluate(ctx(inv, { downBook: book('22', 0.5, 0.53) }));
    const down = ev.signals.find((s) => s.outcome === 'DOWN')!;
    expect(down).toMatchObject({ orderType: 'FAK', limitPrice: 0.53, maxShares: 20 });
    expect(down.expiresAtMs).toBeUndefined();
    expect(down.edge).toBeCloseTo(1 - (0.45 + 0.53), 9);
  });

  it('places nothing near the window end or once the budget is spent', () => {
    expect(acc.evaluate(ctx(EMPTY_INVENTORY, { nowMs: market.windowEndMs - CFG.stopBeforeEndSec * 1000 })).signals).toEqual([]);
    const spent: Inventory = { upShares: 50, upCostUsd: 24, downShares: 50, downCostUsd: 25.5 };
    expect(acc.evaluate(ctx(spent)).signals).toEqual([]);
  });
});

describe('value strategy anchored on the market', () => {
  it('trades on the blend of model and mid, and says so in the evidence', () => {
    const anchor = { intercept: 0, wModel: 0.5, wMarket: 0.5 };
    const s = new ValueBettingStrategy({ ...DEFAULT_STRATEGY, minEdge: 0, anchor });
    const c: StrategyContext = {
      ...ctx(EMPTY_INVENTORY),
      averageSoFar: null,
      spotBefore: null,
      trades: { up: [], down: [] },
      params: { sigma: 0.3, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 },
    };
    const ev = s.evaluate(c);
    const pModel = probabilityUp({ ...c.params, spot: 87_010, strike: 87_000, secondsLeft: 600 });
    expect(ev.modelProbabilityUp).toBeCloseTo(pModel, 12);
    expect(ev.probabilityUp).toBeCloseTo(anchoredProbability(pModel, 0.485, anchor), 12);
    for (const sig of ev.signals) expect(sig.evidence.model.name).toBe('merton-jump-diffusion+market-anchor');
    const plain = new ValueBettingStrategy({ ...DEFAULT_STRATEGY, minEdge: 0 }).evaluate(c);
    expect(plain.probabilityUp).toBeCloseTo(pModel, 12);
  });
});

describe('inventory for the live worker', () => {
  it('sums confirmed and pending shares per side of one market, cost with fees', () => {
    const row = (conditionId: string, outcome: 'UP' | 'DOWN', confirmedShares: number, pendingShares: number, costUsd: number, feesUsd: number) => ({
      conditionId,
      outcome,
      confirmedShares,
      pendingShares,
      costUsd,
      feesUsd,
    });
    const cid = market.conditionId;
    expect(inventoryOf([row(cid, 'UP', 10, 5, 7, 0.1), row(cid, 'DOWN', 20, 0, 9.8, 0), row(`0x${'b'.repeat(64)}`, 'UP', 99, 0, 50, 0)], cid)).toEqual({
      upShares: 15,
      upCostUsd: 7.1,
      downShares: 20,
      downCostUsd: 9.8,
    });
    expect(inventoryOf([], cid)).toEqual(EMPTY_INVENTORY);
  });
});
