import { describe, expect, it } from 'vitest';
import type { VenueAccount } from '@polybot/shared';
import { applyEvent, newLedger } from '../ledger.js';
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
    const off = account({ balanceUsd: 90, positionsUsd: 5, equityUsd: 95 });
    expect(rule.evaluate(2_000, filled(), off)).toMatchObject({ kind: 'watch', strikes: 1 });
    expect(rule.evaluate(2_000, filled(), account({ balanceUsd: 94.9, positionsUsd: 5, equityUsd: 99.9 }))).toMatchObject({ kind: 'ok' });
    expect(rule.evaluate(2_000, filled(), off)).toMatchObject({ kind: 'watch', strikes: 1 });
    const v = rule.evaluate(2_000, filled(), off);
    expect(v?.kind).toBe('trip');
    if (v?.kind === 'trip') expect(v.reason).toMatch(/disagree by \$4\.90 .*ledger \$99\.90 .*venue \$95\.00 \(pUSD \$90\.00/);
  });

  it('anchors a ledger that never moved to the venue, and ignores a stale account', () => {
    const rule = reconciliationRule(1);
    expect(rule.evaluate(2_000, newLedger(1_000), account({ equityUsd: 25, balanceUsd: 25 }))).toEqual({ kind: 'anchor', equityUsd: 25 });
    expect(rule.evaluate(60_000, filled(), account({ equityUsd: 5 }))).toBeNull();
  });
});
