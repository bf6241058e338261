import { describe, expect, it } from 'vitest';
import { effectiveCost, readOracle, takerFeePerShare, TradePairSchema, TradeSignalSchema, type Market, type OrderBook } from '@polybot/shared';
import { bestTakerBuy, kellyFraction, walkAsks } from './evCalculator.js';
import { probabilityUp } from './jumpDiffusionModel.js';
import { DEFAULT_STRATEGY, pairId, signalId, ValueBettingStrategy, type StrategyContext } from './valueBettingStrategy.js';

const fee = { rate: 0.07, exponent: 1, takerOnly: true };
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
  feeSchedule: fee,
  settlement: { kind: 'twap', lookbackSeconds: 60 },
  acceptingOrders: true,
  negRisk: false,
};
const book = (tokenId: string, bids: Array<[number, number]>, asks: Array<[number, number]>): OrderBook => ({
  tokenId,
  conditionId: market.conditionId,
  bids: bids.map(([price, size]) => ({ price, size })),
  asks: asks.map(([price, size]) => ({ price, size })),
  timestampMs: now,
  tickSize: 0.01,
  minOrderSize: 5,
});
const params = { sigma: 0.5, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 };
const ctx = (spot: number, upAsks: Array<[number, number]>, downAsks: Array<[number, number]>): StrategyContext => ({
  nowMs: now,
  market,
  upBook: book('11', [[0.01, 100]], upAsks),
  downBook: book('22', [[0.01, 100]], downAsks),
  oracle: readOracle({ asset: 'BTC', price: spot, timestampMs: now - 500, source: 'sim' }, now, 5_000),
  averageSoFar: null,
  spotBefore: spot,
  trades: { up: [], down: [] },
  params,
});

describe('EV and Kelly after fees', () => {
  it('walks the book: VWAP and worst price for a size', () => {
    const f = walkAsks(
      [
        { price: 0.4, size: 10 },
        { price: 0.42, size: 10 },
      ],
      15,
    )!;
    expect(f.shares).toBe(15);
    expect(f.vwap).toBeCloseTo((0.4 * 10 + 0.42 * 5) / 15, 12);
    expect(f.worstPrice).toBe(0.42);
  });

  it('folds the fee into Kelly (quant.md §5 worked examples)', () => {
    expect(kellyFraction(0.55, 0.5)).toBeCloseTo(0.1, 12);
    expect(kellyFraction(0.55, effectiveCost(0.5, fee))).toBeCloseTo(0.0674, 3);
    expect(kellyFraction(0.53, effectiveCost(0.5, fee))).toBeCloseTo(0.026, 3);
    expect(kellyFraction(0.8, effectiveCost(0.75, fee))).toBeCloseTo(0.156, 3);
    expect(kellyFraction(0.5175, effectiveCost(0.5, fee))).toBeCloseTo(0, 12);
  });

  it('takes levels only while each still clears the minimum edge after its fee', () => {
    const asks = [
      { price: 0.5, size: 10 },
      { price: 0.52, size: 10 },
      { price: 0.58, size: 10 },
    ];
    const o = bestTakerBuy(0.6, asks, fee, 0.02)!;
    // 0.58 + fee(0.58) = 0.597 → edge 0.003 < 0.02: the third level is left.
    expect(o.limitPrice).toBe(0.52);
    expect(o.shares).toBe(20);
    expect(bestTakerBuy(0.5, asks, fee, 0.02)).toBeNull();
  });
});

describe('ValueBettingStrategy', () => {
  it('signals the underpriced side with its evidence, and nothing for the fair side', () => {
    const spot = 100_100;
    const pUp = probabilityUp({ ...params, spot, strike: 100_000, secondsLeft: 600, twapSeconds: 60 });
    const cheapUp = Math.floor((pUp - 0.06) * 100) / 100;
    // Down's ask is fair plus 0.06, so Up + Down costs more than 1 after fees: no arbitrage here.
    const ev = new ValueBettingStrategy().evaluate(ctx(spot, [[cheapUp, 50]], [[Math.ceil((1 - pUp + 0.06) * 100) / 100, 50]]));
    expect(ev.pair).toBeNull();
    expect(ev.signals).toHaveLength(1);
    const s = TradeSignalSchema.parse(ev.signals[0]);
    expect(s.outcome).toBe('UP');
    expect(s.limitPrice).toBe(cheapUp);
    expect(s.modelProbability).toBeCloseTo(pUp, 12);
    expect(s.edge).toBeCloseTo(pUp - effectiveCost(cheapUp, fee), 12);
    expect(s.evidence.oracleTimestampMs).toBe(now - 500);
    expect(s.id).toBe(signalId(market.conditionId, 'UP', now, DEFAULT_STRATEGY.slotMs));
  });

  it('never signals without a price to beat, on a stale oracle, or on a crossed book', () => {
    const s = new ValueBettingStrategy();
    const good = ctx(100_100, [[0.2, 50]], [[0.2, 50]]);
    expect(s.evaluate({ ...good, market: { ...market, priceToBeat: null } }).signals).toEqual([]);
    expect(s.evaluate({ ...good, oracle: readOracle(null, now, 5_000) }).decision).toMatch(/oracle stale/);
    const crossed = { ...good, upBook: book('11', [[0.3, 10]], [[0.2, 10]]) };
    expect(s.evaluate(crossed).decision).toMatch(/crossed/);
  });

  it('gives the same id to the same decision in one slot, and a new one in the next', () => {
    expect(signalId(market.conditionId, 'UP', now + 1, 10_000)).toBe(signalId(market.conditionId, 'UP', now + 9_999, 10_000));
    expect(signalId(market.conditionId, 'UP', now, 10_000)).toMatch(/^sig-c{16}-UP-\d+$/);
    expect(signalId(market.conditionId, 'UP', now, 10_000)).not.toBe(signalId(market.conditionId, 'UP', now + 10_000, 10_000));
  });
});

describe('arbitrage pairs', () => {
  const strategy = new ValueBettingStrategy();
  // Spot at the strike: p(Up) ≈ 0.5, so asks near 0.45 are also value bets on both sides.
  const at = (upAsks: Array<[number, number]>, downAsks: Array<[number, number]>, bids: [number, number] = [0.4, 100]) => ({
    ...ctx(100_000, upAsks, downAsks),
    upBook: book('11', [bids], upAsks),
    downBook: book('22', [bids], downAsks),
  });

  it('reports the reverse case — both bids above 1 plus fees — for pairs already held, and trades nothing on it', () => {
    // 0.53 + 0.53 − fees(0.53) ×2 ≈ 1.0078 > 1 for held pairs; the asks (0.54 each) are no arbitrage.
    const ev = strategy.evaluate(at([[0.54, 100]], [[0.54, 100]], [0.53, 40]));
    expect(ev.arbitrage).toBeNull();
    expect(ev.reverseArbitrage).toMatchObject({ kind: 'sell_both', shares: 40 });
    expect(ev.reverseArbitrage!.proceedsPerPair).toBeCloseTo(0.53 * 2 - 2 * 0.07 * 0.53 * 0.47, 9);
    expect(ev.decision).toContain('held pairs sell for');
    expect(strategy.evaluate(at([[0.54, 100]], [[0.54, 100]], [0.51, 40])).reverseArbitrage).toBeNull(); // 1.02 − fees < 1
  });

  it('emits both legs as one FOK pair of equal size, limited at the worst price walked, instead of the conflicting value signals', () => {
    const ev = strategy.evaluate(
      at(
        [
          [0.45, 30],
          [0.47, 40],
        ],
        [[0.46, 50]],
      ),
    );
    expect(ev.arbitrage).not.toBeNull();
    const pair = TradePairSchema.parse(ev.pair);
    const [up, down] = pair.legs;
    // 0.45 + 0.46 + fees = 0.9446 for 30 pairs, 0.47 + 0.46 = 0.9648 for 20 more: 50 pairs.
    expect(pair.shares).toBe(50);
    expect(up.maxShares).toBe(50);
    expect(down.maxShares).toBe(50);
    expect(up.limitPrice).toBe(0.47);
    expect(down.limitPrice).toBe(0.46);
    expect(up.orderType).toBe('FOK');
    expect(down.orderType).toBe('FOK');
    expect(up.kind).toBe('arbitrage');
    const f = (p: number) => takerFeePerShare(p, fee);
    const profit = 30 * (1 - 0.45 - 0.46 - f(0.45) - f(0.46)) + 20 * (1 - 0.47 - 0.46 - f(0.47) - f(0.46));
    expect(pair.guaranteedProfitUsd).toBeCloseTo(profit, 6);
    expect(up.evidence.arbitrage?.guaranteedProfitUsd).toBeCloseTo(profit, 6);
    expect(up.evidence.arbitrage?.costPerPair).toBeCloseTo(1 - profit / 50, 9);
    // Deterministic ids per market and slot; legs reference each other and the pair.
    const id = pairId(market.conditionId, now, DEFAULT_STRATEGY.slotMs);
    expect(pair.id).toBe(id);
    expect(id).toMatch(/^arb-c{16}-\d+$/);
    expect([up.id, down.id]).toEqual([`${id}-UP`, `${id}-DOWN`]);
    expect(up.pair).toMatchObject({ pairId: id, otherSignalId: down.id });
    expect(down.pair).toMatchObject({ pairId: id, otherSignalId: up.id });
    expect(
      strategy.evaluate({
        ...at(
          [
            [0.45, 30],
            [0.47, 40],
          ],
          [[0.46, 50]],
        ),
        nowMs: now + 1,
      }).pair?.id,
    ).toBe(id);
    // Both sides were also value bets at p ≈ 0.5: not sent, and the decision says so.
    expect(ev.signals).toEqual([]);
    expect(ev.decision).toMatch(/^arbitrage: 50 pairs/);
    expect(ev.decision).toMatch(/value signals UP\+DOWN not sent/);
  });

  it('leaves a near-arbitrage alone when the fees eat it (0.48 + 0.49 = 0.97, 1.005 after fees)', () => {
    expect(0.48 + 0.49).toBeLessThan(1);
    expect(0.48 + 0.49 + takerFeePerShare(0.48, fee) + takerFeePerShare(0.49, fee)).toBeGreaterThan(1);
    const ev = strategy.evaluate(at([[0.48, 100]], [[0.49, 100]]));
    expect(ev.arbitrage).toBeNull();
    expect(ev.pair).toBeNull();
    expect(strategy.evaluate(at([[0.48, 100]], [[0.48, 100]])).pair?.shares).toBe(100); // 0.99494: still one
  });

  it('no pair below the minimum size, below $1 a leg, or off the tick grid; value signals go out instead', () => {
    const small = strategy.evaluate(at([[0.45, 4.99]], [[0.45, 100]]));
    expect(small.pair).toBeNull();
    expect(small.signals.map((x) => x.outcome).sort()).toEqual(['DOWN', 'UP']);
    expect(small.decision).toMatch(/^signal:/);
    // 0.05 + 0.05: a huge arbitrage, but 10 shares are $0.50 a leg.
    expect(strategy.evaluate(at([[0.05, 10]], [[0.05, 10]], [0.01, 10])).pair).toBeNull();
    // 0.455 is not on the 0.01 grid: the venue would refuse the leg.
    expect(strategy.evaluate(at([[0.455, 50]], [[0.45, 50]])).pair).toBeNull();
  });
});
