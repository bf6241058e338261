/** decidePair: both legs or neither, one size, the combined notional within every cap. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOnStep, isValidPrice, PairOrderRequestSchema, SIZE_STEP, TradePairSchema, type TradePair } from '@polybot/shared';
import { decidePair, decideSignal } from './decide.js';
import { DEFAULT_SIZER, KellySizer, type SizerConfig } from './kellySizer.js';
import { applyEvent, newLedger } from './ledger.js';
import { DEFAULT_GATE, NoTradeGate } from './noTradeGate.js';
import { makeSignal } from './testSignal.js';

const now = Date.parse('2026-11-01T12:00:00Z');
const cores = (sizer: Partial<SizerConfig> = {}) => ({ gate: new NoTradeGate(DEFAULT_GATE), sizer: new KellySizer({ ...DEFAULT_SIZER, ...sizer }) });
const fresh = { nowMs: now, breakerOpen: false, ledger: newLedger(1_000) };

/** A pair as analysis emits it: Up at `up`, Down at `down`, `shares` deep; `over` edits one leg's evidence. */
function makePair(up = 0.47, down = 0.46, shares = 200, downEvidence: Parameters<typeof makeSignal>[2] = {}): TradePair {
  const id = 'arb-test-1';
  const leg = (outcome: 'UP' | 'DOWN', price: number, ev: Parameters<typeof makeSignal>[2] = {}) =>
    makeSignal(
      now,
      {
        id: `${id}-${outcome}`,
        kind: 'arbitrage',
        outcome,
        tokenId: outcome === 'UP' ? '11' : '22',
        orderType: 'FOK',
        limitPrice: price,
        fillablePrice: price,
        maxShares: shares,
        kellyFraction: 1,
        pair: { pairId: id, otherSignalId: `${id}-${outcome === 'UP' ? 'DOWN' : 'UP'}`, onLoneFill: outcome === 'UP' ? 'hold' : 'sell' },
      },
      { bestAsk: price, bestBid: price - 0.01, ...ev },
    );
  const legs = [leg('UP', up), leg('DOWN', down, downEvidence)] as const;
  return TradePairSchema.parse({
    kind: 'pair',
    id,
    createdAtMs: now,
    conditionId: legs[0].conditionId,
    asset: 'BTC',
    shares,
    costPerPair: 0.99,
    guaranteedProfitUsd: 1,
    legs,
  });
}

describe('decidePair', () => {
  it('sizes both legs the same, within the per-order cap on their combined notional, with the lone-leg rule', () => {
    const d = decidePair(makePair(), fresh, cores());
    if (!d.accept) throw new Error(d.reasons.join(','));
    expect(PairOrderRequestSchema.parse(d.request)).toEqual(d.request);
    const [up, down] = d.request.legs;
    // $25 per order over 0.47 + 0.46 a pair → 26.88 pairs (floored to the share grid).
    expect(d.shares).toBe(26.88);
    expect(up.size).toBe(26.88);
    expect(down.size).toBe(26.88);
    expect(d.notionalUsd).toBeLessThanOrEqual(DEFAULT_SIZER.maxOrderUsd);
    expect(d.notionalUsd).toBeGreaterThan(DEFAULT_SIZER.maxOrderUsd - 0.93 * SIZE_STEP - 1e-9);
    expect(d.cappedBy).toBe('max_order_usd');
    expect([up.id, down.id, up.orderType, down.orderType, up.price, down.price]).toEqual(['arb-test-1-UP', 'arb-test-1-DOWN', 'FOK', 'FOK', 0.47, 0.46]);
    expect(d.request.onLoneFill).toEqual({ UP: 'hold', DOWN: 'sell' });
    const f = (p: number) => 0.07 * p * (1 - p);
    expect(d.expectedProfitUsd).toBeCloseTo(26.88 * (1 - 0.93 - f(0.47) - f(0.46)), 6);
    expect(d.request.worstCostPerPair).toBeCloseTo(0.93 + f(0.47) + f(0.46), 12);
  });

  it('refuses both legs when the breaker is open, or when only one leg fails the gate', () => {
    const open = decidePair(makePair(), { ...fresh, breakerOpen: true }, cores());
    expect(open).toEqual({ accept: false, reasons: ['breaker_open'] });
    const staleDown = decidePair(makePair(0.47, 0.46, 200, { bookTimestampMs: now - 60_000 }), fresh, cores());
    expect(staleDown.accept).toBe(false);
    if (!staleDown.accept) expect(staleDown.reasons).toEqual(['book_stale']);
  });

  it('counts exposure already held against both legs together', () => {
    let ledger = newLedger(1_000);
    const p = makePair();
    // $45 of the $50 market cap in use: $5 left for both legs → 5.37 pairs at 0.93.
    ledger = applyEvent(ledger, {
      id: 'f1',
      atMs: now,
      type: 'fill',
      orderId: 'o',
      signalId: 'o',
      conditionId: p.conditionId,
      asset: 'BTC',
      outcome: 'UP',
      tradeId: 't1',
      status: 'CONFIRMED',
      size: 90,
      price: 0.5,
      fee: 0,
    }).ledger;
    const d = decidePair(p, { ...fresh, ledger }, cores());
    if (!d.accept) throw new Error(d.reasons.join(','));
    expect(d.cappedBy).toBe('market_exposure');
    expect(d.shares).toBe(5.37);
    expect(d.notionalUsd).toBeLessThanOrEqual(5 + 1e-9);
  });

  it('refuses a pair that does not pay at its limits after fees, and one whose legs fall under $1', () => {
    const loss = decidePair(makePair(0.49, 0.49), fresh, cores());
    expect(loss.accept).toBe(false);
    if (!loss.accept) expect(loss.reasons).toContain('not_an_arbitrage');
    // $1.80 of room: 1.93 pairs, $0.91 of Up: below the marketable minimum, so neither leg goes.
    const tiny = decidePair(makePair(), fresh, cores({ maxOrderUsd: 1.8 }));
    expect(tiny.accept).toBe(false);
    if (!tiny.accept) expect(tiny.reasons[0]).toMatch(/^size_zero/);
    const shallow = decidePair(makePair(0.47, 0.46, 10), fresh, cores());
    if (!shallow.accept) throw new Error(shallow.reasons.join(','));
    expect(shallow.shares).toBe(10);
    expect(shallow.cappedBy).toBe('depth');
  });

  it('never lets a leg through alone', () => {
    const [up] = makePair().legs;
    expect(decideSignal(up, fresh, cores())).toEqual({ accept: false, reasons: ['pair_leg_alone'] });
  });

  it('never breaks a cap, the grid or the equal-size rule (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 1, max: 5_000 }).map((c) => c / 10),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 80 }),
        (a, b, shares, maxOrderUsd, used) => {
          const p = a + b < 95 ? makePair(a / 100, b / 100, shares) : null;
          if (!p) return;
          let ledger = newLedger(1_000);
          if (used > 0)
            ledger = applyEvent(ledger, {
              id: 'f',
              atMs: now,
              type: 'fill',
              orderId: 'o',
              signalId: 'o',
              conditionId: p.conditionId,
              asset: 'BTC',
              outcome: 'UP',
              tradeId: 't',
              status: 'CONFIRMED',
              size: used,
              price: 0.5,
              fee: 0,
            }).ledger;
          const d = decidePair(p, { ...fresh, ledger }, cores({ maxOrderUsd }));
          if (!d.accept) return;
          const [up, down] = d.request.legs;
          const notional = up.size * up.price + down.size * down.price;
          expect(up.size).toBe(down.size);
          expect(isOnStep(up.size, SIZE_STEP)).toBe(true);
          expect(isValidPrice(up.price, up.tickSize) && isValidPrice(down.price, down.tickSize)).toBe(true);
          expect(up.size).toBeLessThanOrEqual(shares);
          expect(notional).toBeLessThanOrEqual(maxOrderUsd + 1e-9);
          expect(notional).toBeLessThanOrEqual(DEFAULT_SIZER.maxMarketExposureUsd - used * 0.5 + 1e-9);
          expect(notional).toBeLessThanOrEqual(DEFAULT_SIZER.maxBankrollShare * 1_000 + 1e-9);
          expect(up.size * up.price).toBeGreaterThanOrEqual(1);
          expect(down.size * down.price).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });
});

describe('ledger: a lone leg sold back', () => {
  it('a SELL fill brings the proceeds in less its fee and frees the exposure; its FAILED undo puts both back', () => {
    const cid = makePair().conditionId;
    const fill = (id: string, side: 'BUY' | 'SELL' | undefined, price: number, fee: number, status: 'MATCHED' | 'FAILED' = 'MATCHED') =>
      ({
        id,
        atMs: now,
        type: 'fill',
        orderId: id,
        signalId: 'arb-test-1',
        conditionId: cid,
        asset: 'BTC',
        outcome: 'UP',
        tradeId: id.replace(/-(MATCHED|FAILED)$/, ''),
        status,
        size: 20,
        price,
        fee,
        ...(side ? { side } : {}),
      }) as const;
    let l = applyEvent(newLedger(1_000), fill('t-buy', undefined, 0.47, 0.17)).ledger;
    expect(l.cashUsd).toBeCloseTo(1_000 - 9.4 - 0.17, 9);
    expect(l.exposure[cid]!.costUsd).toBeCloseTo(9.4, 9);
    const sold = applyEvent(l, fill('t-sell', 'SELL', 0.44, 0.17)).ledger;
    expect(sold.cashUsd).toBeCloseTo(1_000 - 9.4 - 0.17 + 8.8 - 0.17, 9);
    expect(sold.exposure[cid]!.costUsd).toBeCloseTo(0.6, 9); // what the round trip lost, at cost
    expect(sold.feesUsd).toBeCloseTo(0.34, 9);
    l = applyEvent(sold, fill('t-sell-FAILED', 'SELL', 0.44, 0.17, 'FAILED')).ledger;
    expect(l.cashUsd).toBeCloseTo(1_000 - 9.4 - 0.17, 9);
    expect(l.exposure[cid]!.costUsd).toBeCloseTo(9.4, 9);
  });
});
