import { describe, expect, it } from 'vitest';
import type { VenueAccount } from '@polybot/shared';
import { applyEvent, bankrollOf, newLedger } from '../ledger.js';
import { reconciliationRule } from './reconciliation.js';

const cid = `0x${'c'.repeat(64)}`;
const account = (p: Partial<VenueAccount>): VenueAccount => ({
  wallet: '0xw',
  balanceUsd: 100,
  openOrdersUsd: 0,
  pendingUsd: 0,
  positionsUsd: 0,
  redeemableUsd: 0,
  redeemedUsd: 0,
  mergedUsd: 0,
  bankrollUsd: 100,
  availableUsd: 100,
  equityUsd: 100,
  atMs: 1_000,
  ...p,
});
const filled = () =>
  applyEvent(newLedger(100), {
    id: 'f',
    atMs: 1,
    type: 'fill',
    orderId: 'o',
    signalId: 's',
    conditionId: cid,
    asset: 'BTC',
    outcome: 'UP',
    tradeId: 't',
    status: 'MATCHED',
    size: 10,
    price: 0.5,
    fee: 0.1,
  }).ledger;

describe('venue reconciliation', () => {
  it('agrees within the tolerance: ledger cash + exposure against pUSD − pending + positions', () => {
    const rule = reconciliationRule(1);
    // 10 shares at 0.50 + 0.10 fee, mined: pUSD 94.90, the position at its cost 5.
    expect(rule.evaluate(2_000, filled(), account({ balanceUsd: 94.9, positionsUsd: 5, equityUsd: 99.9 }))).toEqual({
      kind: 'ok',
      diffUsd: expect.closeTo(0, 9),
    });
  });

  it('trips on the second check in a row beyond the tolerance, naming both sides; one miss alone only watches', () => {
    const rule = reconciliationRule(1);
    const off = (atMs: number) => account({ balanceUsd: 90, positionsUsd: 5, equityUsd: 95, atMs });
    expect(rule.evaluate(2_000, filled(), off(1_000))).toMatchObject({ kind: 'watch', strikes: 1 });
    expect(rule.evaluate(2_000, filled(), account({ balanceUsd: 94.9, positionsUsd: 5, equityUsd: 99.9, atMs: 1_100 }))).toMatchObject({ kind: 'ok' });
    expect(rule.evaluate(2_000, filled(), off(1_200))).toMatchObject({ kind: 'watch', strikes: 1 });
    // The same account read again (execution has not read the venue since) is no second witness.
    expect(rule.evaluate(2_500, filled(), off(1_200))).toMatchObject({ kind: 'watch', strikes: 1 });
    const v = rule.evaluate(2_500, filled(), off(1_300));
    expect(v?.kind).toBe('trip');
    if (v?.kind === 'trip') expect(v.reason).toMatch(/disagree by \$4\.90 .*ledger \$99\.90 .*venue \$95\.00 \(pUSD \$90\.00/);
  });

  it('anchors a ledger that never moved to the venue, and ignores a stale account', () => {
    const rule = reconciliationRule(1);
    expect(rule.evaluate(2_000, newLedger(1_000), account({ equityUsd: 25, balanceUsd: 25 }))).toEqual({ kind: 'anchor', equityUsd: 25 });
    expect(rule.evaluate(60_000, filled(), account({ equityUsd: 5 }))).toBeNull();
  });

  // Steady trading: by the time risk compares, its ledger holds events the account (read a moment
  // earlier) cannot: fees of newer fills, a settlement, a merge. Lined up on the account's instant,
  // they are no difference; a real one (money the bot does not know about) still trips.
  const fill = (id: string, atMs: number, conditionId: string, size: number, price: number, fee: number) =>
    ({
      id,
      atMs,
      type: 'fill',
      orderId: id,
      signalId: id,
      conditionId,
      asset: 'BTC',
      outcome: 'UP',
      tradeId: id,
      status: 'MATCHED',
      size,
      price,
      fee,
    }) as const;
  const cidX = `0x${'d'.repeat(64)}`;
  function trading() {
    let l = newLedger(100);
    l = applyEvent(l, fill('a', 1_000, cid, 10, 0.5, 0.1)).ledger; // bankroll 99.90
    l = applyEvent(l, fill('x', 1_500, cidX, 20, 0.5, 0)).ledger; // exposure 10 in X
    return l;
  }
  function later(l: ReturnType<typeof trading>) {
    // Stamped after the account of 2_000: two fees and X settling with 20 winning shares (+$10).
    l = applyEvent(l, fill('b', 2_500, cid, 10, 0.5, 0.2)).ledger;
    l = applyEvent(l, fill('c', 3_000, cid, 10, 0.5, 0.3)).ledger;
    return applyEvent(l, {
      id: 'set-x',
      atMs: 2_800,
      type: 'settlement',
      conditionId: cidX,
      asset: 'BTC',
      winner: 'UP',
      upShares: 20,
      downShares: 0,
      costUsd: 10,
      feesUsd: 0,
      payoutUsd: 20,
      realisedPnlUsd: 10,
    }).ledger;
  }

  it('compares the ledger as it stood at the account: events stamped after it are no difference, however many', () => {
    const rule = reconciliationRule(1);
    const l = later(trading());
    expect(bankrollOf(l)).toBeCloseTo(109.4, 9); // $9.50 away from the account of 2_000
    // The account of 2_000: pUSD 84.90 (both fills on chain), positions 5 + 10 at cost.
    const at2000 = account({ balanceUsd: 84.9, positionsUsd: 15, equityUsd: 99.9, atMs: 2_000 });
    for (let i = 0; i < 3; i++)
      expect(rule.evaluate(4_000 + i, l, { ...at2000, atMs: 2_000 + i })).toMatchObject({ kind: 'ok', diffUsd: expect.closeTo(0, 9) });
    // The account of 3_000 holds them all (b, the settlement stamped 2_800, c): pUSD 84.40, X's 20 shares redeemable.
    const at3000 = account({ balanceUsd: 84.4, positionsUsd: 10, redeemableUsd: 20, equityUsd: 109.4, atMs: 3_000 });
    expect(rule.evaluate(4_000, l, at3000)).toMatchObject({ kind: 'ok', diffUsd: expect.closeTo(0, 9) });
  });

  it('still trips on a real difference once lined up: $5 the ledger does not know of, on two account reads', () => {
    const rule = reconciliationRule(1);
    const l = later(trading());
    const deposit = (atMs: number) => account({ balanceUsd: 89.9, positionsUsd: 15, equityUsd: 104.9, atMs });
    expect(rule.evaluate(4_000, l, deposit(2_000))).toMatchObject({ kind: 'watch', strikes: 1, diffUsd: expect.closeTo(-5, 9) });
    const v = rule.evaluate(6_000, l, deposit(2_100));
    expect(v?.kind).toBe('trip');
    if (v?.kind === 'trip') expect(v.reason).toMatch(/disagree by \$-5\.00 .*ledger \$99\.90/);
  });

  it('allows what fills mined during the balance read may add, and no more', () => {
    const rule = reconciliationRule(1);
    // A $4.90 fill mined while execution read the balance: counted pending, the balance may hold it.
    const read = (atMs: number, uncertainUsd: number) => account({ balanceUsd: 94.9, pendingUsd: 5.1, positionsUsd: 5, equityUsd: 94.8, uncertainUsd, atMs });
    expect(rule.evaluate(2_000, filled(), read(1_000, 5.1))).toMatchObject({ kind: 'ok' });
    expect(rule.evaluate(2_000, filled(), read(1_100, 0))).toMatchObject({ kind: 'watch', strikes: 1 });
    const v = rule.evaluate(2_000, filled(), read(1_200, 3));
    expect(v?.kind).toBe('trip');
    if (v?.kind === 'trip') expect(v.reason).toMatch(/\$3\.00 of fills mined during the balance read allowed for/);
  });
});
