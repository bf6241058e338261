import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '@polybot/shared';
import { applyEvent, bankrollOf, exposureOf, newLedger } from './ledger.js';

const cid = `0x${'a'.repeat(64)}`;
const fill = (tradeId: string, status: 'MATCHED' | 'CONFIRMED' | 'FAILED' = 'MATCHED'): ExecutionEvent => ({
  id: `fill-${tradeId}-${status}`, atMs: 1, type: 'fill', orderId: 'o', signalId: 's', conditionId: cid, asset: 'BTC', outcome: 'UP', tradeId, status, size: 10, price: 0.4, fee: 0.0168,
});
const settle = (pnl: number): ExecutionEvent => ({
  id: `set-${cid}`, atMs: Date.parse('2026-11-24T10:00:00Z'), type: 'settlement', conditionId: cid, asset: 'BTC', winner: 'UP', upShares: 10, downShares: 0, costUsd: 4, feesUsd: 0.0168, payoutUsd: 10, realisedPnlUsd: pnl,
});

describe('risk ledger', () => {
  it('counts a fill once whatever is redelivered, and undoes a FAILED trade', () => {
    let l = newLedger(100);
    l = applyEvent(l, fill('t1')).ledger;
    expect(applyEvent(l, fill('t1')).changed).toBe(false);
    expect(applyEvent(l, fill('t1', 'CONFIRMED')).changed).toBe(false);
    expect(l.cashUsd).toBeCloseTo(100 - 4 - 0.0168, 10);
    expect(exposureOf(l, cid, 'BTC')).toEqual({ market: 4, asset: 4, total: 4 });
    expect(bankrollOf(l)).toBeCloseTo(100 - 0.0168, 10);
    const undone = applyEvent(l, fill('t1', 'FAILED')).ledger;
    expect(undone.cashUsd).toBeCloseTo(100, 10);
    expect(exposureOf(undone, cid, 'BTC').market).toBe(0);
  });

  it('settles a market once, frees its exposure, forgets its trades and ignores late fills', () => {
    let l = applyEvent(newLedger(100), fill('t1')).ledger;
    const before = l;
    l = applyEvent(l, settle(5.9832)).ledger;
    expect(before.settled).toEqual([]); // the input is never mutated
    expect(applyEvent(l, settle(5.9832)).changed).toBe(false);
    expect(l.realisedPnlUsd).toBeCloseTo(5.9832, 10);
    expect(l.exposure[cid]).toBeUndefined();
    expect(Object.keys(l.trades)).toEqual([]);
    expect(applyEvent(l, fill('t9')).changed).toBe(false);
    expect(l.daily['2026-11-24']).toBeCloseTo(5.9832, 10);
    expect(l.consecutiveLosses).toBe(0);
  });
});
