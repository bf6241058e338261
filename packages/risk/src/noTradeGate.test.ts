import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE, NoTradeGate } from './noTradeGate.js';
import { makeSignal } from './testSignal.js';

const now = 1_800_000_000_000;
const gate = new NoTradeGate(DEFAULT_GATE);
const reasons = (r: ReturnType<NoTradeGate['validate']>) => (r.pass ? [] : r.reasons);
const check = (s: ReturnType<typeof makeSignal>) => reasons(gate.validate(s, { nowMs: now, breakerOpen: false }));

describe('NoTradeGate thresholds: at, just below and just above', () => {
  it('passes a clean signal', () => {
    expect(gate.validate(makeSignal(now), { nowMs: now, breakerOpen: false }).pass).toBe(true);
  });

  it('oracle age', () => {
    const max = DEFAULT_GATE.maxOracleAgeMs;
    expect(check(makeSignal(now, {}, { oracleTimestampMs: now - max }))).toEqual([]);
    expect(check(makeSignal(now, {}, { oracleTimestampMs: now - max + 1 }))).toEqual([]);
    expect(check(makeSignal(now, {}, { oracleTimestampMs: now - max - 1 }))).toContain('oracle_stale');
  });

  it('signal age and book age', () => {
    expect(check(makeSignal(now, { createdAtMs: now - DEFAULT_GATE.maxSignalAgeMs }))).toEqual([]);
    expect(check(makeSignal(now, { createdAtMs: now - DEFAULT_GATE.maxSignalAgeMs - 1 }))).toContain('signal_stale');
    expect(check(makeSignal(now, {}, { bookTimestampMs: now - DEFAULT_GATE.maxBookAgeMs }))).toEqual([]);
    expect(check(makeSignal(now, {}, { bookTimestampMs: now - DEFAULT_GATE.maxBookAgeMs - 1 }))).toContain('book_stale');
  });

  it('spread', () => {
    expect(check(makeSignal(now, {}, { bestBid: 0.4, bestAsk: 0.5 }))).toEqual([]);
    expect(check(makeSignal(now, {}, { bestBid: 0.41, bestAsk: 0.5 }))).toEqual([]);
    expect(check(makeSignal(now, {}, { bestBid: 0.39, bestAsk: 0.5 }))).toContain('spread_too_wide');
    expect(check(makeSignal(now, {}, { bestBid: null }))).toContain('spread_too_wide');
  });

  it('time to expiry', () => {
    const base = makeSignal(now);
    const at = (ms: number) => makeSignal(now, { market: { ...base.market, windowEndMs: now + ms } });
    expect(check(at(DEFAULT_GATE.minSecondsToExpiry * 1000))).toEqual([]);
    expect(check(at(DEFAULT_GATE.minSecondsToExpiry * 1000 + 1))).toEqual([]);
    expect(check(at(DEFAULT_GATE.minSecondsToExpiry * 1000 - 1))).toContain('too_close_to_expiry');
  });

  it('price to beat, accepting orders, depth, grid, probability', () => {
    const base = makeSignal(now);
    expect(check(makeSignal(now, { market: { ...base.market, windowStartMs: now + 1 } }))).toContain('price_to_beat_unknown');
    expect(check(makeSignal(now, { market: { ...base.market, acceptingOrders: false } }))).toContain('not_accepting_orders');
    expect(check(makeSignal(now, { maxShares: 0 }, { depthAtLimit: 0 }))).toContain('no_depth');
    expect(check(makeSignal(now, { limitPrice: 0.505 }))).toContain('price_off_grid');
    expect(check(makeSignal(now, { limitPrice: 0.99 }))).toEqual([]);
  });

  it('toxicity blocks, shrinks or is ignored as configured', () => {
    const toxic = makeSignal(now, {}, { toxicity: [{ name: 'order_flow_imbalance', value: 0.9, threshold: 0.8, flagged: true }] });
    expect(check(toxic)).toContain('toxic_flow');
    expect(new NoTradeGate({ ...DEFAULT_GATE, toxicity: 'shrink' }).validate(toxic, { nowMs: now, breakerOpen: false })).toEqual({ pass: true, shrink: 0.5 });
    expect(new NoTradeGate({ ...DEFAULT_GATE, toxicity: 'ignore' }).validate(toxic, { nowMs: now, breakerOpen: false })).toEqual({ pass: true, shrink: 1 });
  });

  it('lists every failing reason at once, and an open breaker blocks everything', () => {
    const r = reasons(gate.validate(makeSignal(now, { createdAtMs: now - 60_000 }, { oracleTimestampMs: now - 60_000 }), { nowMs: now, breakerOpen: true }));
    expect(r).toEqual(expect.arrayContaining(['breaker_open', 'signal_stale', 'oracle_stale']));
  });
});
