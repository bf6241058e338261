import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '@polybot/shared';
import { applyEvent, bankrollOf, exposureOf, newLedger } from './ledger.js';

const cid = `0x${'a'.repeat(64)}`;
const fill = (tradeId: string, status: 'MATCHED' | 'CONFIRMED' | 'FAILED' = 'MATCHED'): ExecutionEvent => ({
  id: `fill-${tradeId}-${status}`,
  atMs: 1,
  type: 'fill',
  orderId: 'o',
  signalId: 's',
  conditionId: cid,
  asset: 'BTC',
  outcome: 'UP',
  tradeId,
  status,
  size: 10,
  price: 0.4,
  fee: 0.0168,
});
const settle = (pnl: number): ExecutionEvent => ({
  id: `set-${cid}`,
  atMs: Date.parse('2026-11-24T10:00:00Z'),
  type: 'settlement',
  conditionId: cid,
  asset: 'BTC',
  winner: 'UP',
  upShares: 10,
  downShares: 0,
  costUsd: 4,
  feesUsd: 0.0168,
  payoutUsd: 10,
  realisedPnlUsd: pnl,
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
    const kept = structuredClone(l);
    l = applyEvent(l, settle(5.9832)).ledger;
    expect(kept.settled).toEqual([]); // a clone keeps the old state (applyEvent works in place)
    expect(applyEvent(kept, fill('t9')).changed).toBe(true);
    expect(applyEvent(l, settle(5.9832)).changed).toBe(false);
    expect(l.realisedPnlUsd).toBeCloseTo(5.9832, 10);
    expect(l.exposure[cid]).toBeUndefined();
    expect(Object.keys(l.trades)).toEqual([]);
    expect(applyEvent(l, fill('t9')).changed).toBe(false);
    expect(l.daily['2026-11-24']).toBeCloseTo(5.9832, 10);
    expect(l.consecutiveLosses).toBe(0);
  });

  it('knows what is settled on cloned branches and after a round trip through JSON, and forgets the oldest beyond 5,000', () => {
    const id = (k: number) => `0x${k.toString(16).padStart(64, '0')}`;
    const settleId = (k: number): ExecutionEvent => ({ ...settle(1), id: `set-${k}`, conditionId: id(k) }) as ExecutionEvent;
    const lateFill = (k: number): ExecutionEvent => ({ ...fill(`late-${k}`), conditionId: id(k) }) as ExecutionEvent;
    let l = newLedger(100);
    for (let k = 0; k < 3; k++) l = applyEvent(l, settleId(k)).ledger;
    const base = structuredClone(l);
    const a = applyEvent(structuredClone(base), settleId(10)).ledger;
    const b = applyEvent(structuredClone(base), settleId(20)).ledger; // a second branch from the same state
    expect(applyEvent(a, lateFill(10)).changed).toBe(false);
    expect(applyEvent(a, lateFill(20)).changed).toBe(true);
    expect(applyEvent(b, lateFill(20)).changed).toBe(false);
    expect(applyEvent(b, lateFill(10)).changed).toBe(true);
    expect(applyEvent(base, lateFill(10)).changed).toBe(true);
    expect(applyEvent(JSON.parse(JSON.stringify(a)), lateFill(10)).changed).toBe(false); // as read back from Redis
    for (let k = 100; k < 5_101; k++) l = applyEvent(l, settleId(k)).ledger;
    expect(l.settled).toHaveLength(5_000);
    expect(applyEvent(l, lateFill(0)).changed).toBe(true); // beyond the memory: counted again
    expect(applyEvent(l, lateFill(5_100)).changed).toBe(false);
    expect(applyEvent(l, lateFill(101)).changed).toBe(false);
  });

  it('books a merge once: cash in now, the merged shares leave the exposure at cost, the profit realised at once', () => {
    let l = applyEvent(newLedger(100), fill('t1')).ledger; // 10 Up at 0.40 + fee
    l = applyEvent(l, {
      ...(fill('t2') as Extract<ExecutionEvent, { type: 'fill' }>),
      id: 'fill-t2-down',
      tradeId: 't2',
      outcome: 'DOWN',
      price: 0.5,
      fee: 0.0175,
    }).ledger; // 10 Down at 0.50 + fee
    const merge: ExecutionEvent = {
      id: 'merge-1',
      atMs: Date.parse('2026-11-24T10:00:00Z'),
      type: 'merge',
      conditionId: cid,
      asset: 'BTC',
      shares: 10,
      amountUsd: 10,
      costUsd: 9,
      feesUsd: 0.0343,
      transactionId: 'tx',
      transactionHash: '0x1',
    };
    const before = bankrollOf(l);
    l = applyEvent(l, merge).ledger;
    expect(applyEvent(l, merge).changed).toBe(false);
    expect(l.cashUsd).toBeCloseTo(100 - 9 - 0.0343 + 10, 10);
    expect(exposureOf(l, cid, 'BTC').market).toBeCloseTo(0, 10);
    expect(l.realisedPnlUsd).toBeCloseTo(1 - 0.0343, 10);
    expect(l.daily['2026-11-24']).toBeCloseTo(1 - 0.0343, 10);
    // The bankroll moves by the realised profit only: the pairs were worth their cost before.
    expect(bankrollOf(l) - before).toBeCloseTo(1, 10);
  });

  it('moves no money on a redemption (the payout was booked at settlement)', () => {
    const l = applyEvent(newLedger(100), settle(0)).ledger;
    const r = applyEvent(l, {
      id: `redeem-${cid}`,
      atMs: 5,
      type: 'redemption',
      conditionId: cid,
      asset: 'BTC',
      shares: 10,
      amountUsd: 10,
      transactionId: 'tx',
      transactionHash: '0x2',
    });
    expect(r.changed).toBe(false);
    expect(r.ledger.cashUsd).toBe(110);
  });

  it('comes to the same money whatever order the events arrive in: a merge before its fills, a FAILED before its MATCHED', () => {
    const up = { ...fill('u'), outcome: 'UP', size: 10, price: 0.4, fee: 0.1 } as ExecutionEvent;
    const down = { ...fill('d'), id: 'fill-d', outcome: 'DOWN', size: 10, price: 0.55, fee: 0.1 } as ExecutionEvent;
    const merge: ExecutionEvent = {
      id: 'merge-1',
      atMs: 3,
      type: 'merge',
      conditionId: cid,
      asset: 'BTC',
      shares: 10,
      amountUsd: 10,
      costUsd: 9.5,
      feesUsd: 0.2,
      transactionId: 'tx',
      transactionHash: '0x',
    };
    const orders = [
      [up, down, merge],
      [merge, up, down],
      [up, merge, down],
    ];
    const results = orders.map((evs) => evs.reduce((l, e) => applyEvent(l, e).ledger, newLedger(100)));
    for (const l of results) {
      expect(l.cashUsd).toBeCloseTo(100 - 4 - 5.5 - 0.2 + 10, 9);
      expect(l.exposure[cid]!.costUsd).toBeCloseTo(0, 9);
      expect(bankrollOf(l)).toBeCloseTo(100.3, 9);
    }
    // Mid-way (the merge arrived first) the market's sum is negative; the caps count it as 0.
    const early = applyEvent(newLedger(100), merge).ledger;
    expect(early.exposure[cid]!.costUsd).toBeCloseTo(-9.5, 9);
    expect(exposureOf(early, cid, 'BTC')).toEqual({ market: 0, asset: 0, total: 0 });
    // A FAILED that overtakes its MATCHED leaves a tombstone: the late MATCHED is not counted.
    let l = applyEvent(newLedger(100), fill('t9', 'FAILED')).ledger;
    l = applyEvent(l, fill('t9')).ledger;
    expect(l.cashUsd).toBe(100);
    expect(bankrollOf(l)).toBe(100);
  });
});
