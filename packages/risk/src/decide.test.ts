import { describe, expect, it } from 'vitest';
import { OrderRequestSchema } from '@polybot/shared';
import { decideSignal } from './decide.js';
import { KellySizer, DEFAULT_SIZER } from './kellySizer.js';
import { applyEvent, newLedger } from './ledger.js';
import { NoTradeGate, DEFAULT_GATE } from './noTradeGate.js';
import { makeSignal } from './testSignal.js';

const now = Date.parse('2026-11-01T12:00:00Z');
const cores = { gate: new NoTradeGate(DEFAULT_GATE), sizer: new KellySizer(DEFAULT_SIZER) };

describe('decideSignal', () => {
  it('turns a passing signal into a valid order request sized by the sizer', () => {
    const s = makeSignal(now);
    const d = decideSignal(s, { nowMs: now, breakerOpen: false, ledger: newLedger(1_000) }, cores);
    if (!d.accept) throw new Error(d.reasons.join(','));
    expect(OrderRequestSchema.parse(d.request)).toEqual(d.request);
    expect(d.request.size).toBe(cores.sizer.size(s, 1_000, { market: 0, asset: 0, total: 0 }).shares);
    expect(d.request).toMatchObject({ id: s.id, price: s.limitPrice, tokenId: s.tokenId, createdAtMs: now, signalAtMs: s.createdAtMs });
    // The fee curve travels whole, so execution and paper charge the market's own exponent.
    expect(d.request).toMatchObject({ feeRate: s.market.feeSchedule.rate, feeExponent: s.market.feeSchedule.exponent });
    expect(d.request.sizing.kellyFraction).toBeCloseTo(DEFAULT_SIZER.kellyFraction * s.kellyFraction, 12);
  });

  it('refuses with the gate reasons when the breaker is open', () => {
    const d = decideSignal(makeSignal(now), { nowMs: now, breakerOpen: true, ledger: newLedger(1_000) }, cores);
    expect(d.accept).toBe(false);
    if (!d.accept) expect(d.reasons).toContain('breaker_open');
  });

  it('sizes against the exposure already in the ledger', () => {
    const s = makeSignal(now);
    let ledger = newLedger(1_000);
    // A fill of 90 shares at 0.5 on the same market: $45 of the $50 market cap used.
    ledger = applyEvent(ledger, {
      id: 'f1',
      atMs: now,
      type: 'fill',
      orderId: 'o1',
      signalId: 'x',
      conditionId: s.conditionId,
      asset: 'BTC',
      outcome: 'UP',
      tradeId: 't1',
      status: 'CONFIRMED',
      size: 90,
      price: 0.5,
      fee: 0,
    }).ledger;
    const d = decideSignal(s, { nowMs: now, breakerOpen: false, ledger }, cores);
    if (!d.accept) throw new Error(d.reasons.join(','));
    expect(d.request.size * d.request.price).toBeLessThanOrEqual(DEFAULT_SIZER.maxMarketExposureUsd - 45 + 1e-9);
    expect(d.size.cappedBy).toBe('market_exposure');
  });

  it('refuses a size the book cannot fill', () => {
    const d = decideSignal(makeSignal(now, { maxShares: 1 }), { nowMs: now, breakerOpen: false, ledger: newLedger(1_000) }, cores);
    expect(d.accept).toBe(false);
  });

  it('sizes with the venue bankroll and never spends more than the account has available, fee included', () => {
    const s = makeSignal(now);
    const rich = decideSignal(s, { nowMs: now, breakerOpen: false, ledger: newLedger(1_000) }, cores);
    if (!rich.accept) throw new Error(rich.reasons.join(','));
    // The venue says the account is worth $300 with $3 spendable: the ledger's $1,000 is not used.
    const d = decideSignal(s, { nowMs: now, breakerOpen: false, ledger: newLedger(1_000), venue: { bankrollUsd: 300, availableUsd: 3 } }, cores);
    if (!d.accept) throw new Error(d.reasons.join(','));
    expect(d.request.sizing.bankrollUsd).toBe(300);
    expect(d.size.cappedBy).toBe('available_cash');
    const fee = d.request.size * s.market.feeSchedule.rate * s.limitPrice * (1 - s.limitPrice);
    expect(d.request.size * s.limitPrice + fee).toBeLessThanOrEqual(3 + 1e-9);
    expect(d.request.size).toBeLessThan(rich.request.size);
    const broke = decideSignal(s, { nowMs: now, breakerOpen: false, ledger: newLedger(1_000), venue: { bankrollUsd: 300, availableUsd: 0.2 } }, cores);
    expect(broke.accept).toBe(false);
  });
});
