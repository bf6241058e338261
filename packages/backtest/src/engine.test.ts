/** A synthetic history with a known answer: a maker that misprices Up by 10 cents. */
import { describe, expect, it } from 'vitest';
import { floorToStep, takerFee } from '@polybot/shared';
import { DEFAULT_BACKTEST, runBacktest } from './engine.js';
import { htmlReport } from './report.js';

const flat = Array.from({ length: 15 * 20 + 1 }, () => 100);
const cfg = { ...DEFAULT_BACKTEST, book: { ...DEFAULT_BACKTEST.book, bias: -0.1, noiseSd: 0 }, maxOrderUsd: 25 };

describe('backtest on a known answer', () => {
  it('buys the mispriced Up once per window and earns exactly what the fills say', () => {
    const r = runBacktest(flat, Date.parse('2026-01-01T00:00:00Z'), cfg);
    // Flat prices: every window ends on its strike, a tie, so Up wins. The maker's Up asks are
    // 0.41, 0.42, 0.43 (fair ≈ 0.4994, minus 0.10, plus half the spread, one tick apart); all
    // three clear the 2-cent edge, so the order's limit is 0.43 and risk sizes $25 at that limit,
    // while the fill takes the first level at 0.41.
    const windows = 20 - Math.ceil(flat.length / 4 / 15);
    const shares = floorToStep(25 / 0.43, 0.01);
    const fee = takerFee(shares, 0.41, { rate: 0.07, exponent: 1 });
    const perWindow = shares * (1 - 0.41) - fee;
    expect(r.windows).toBe(windows);
    expect(r.trades).toHaveLength(windows);
    for (const t of r.trades) {
      expect(t).toMatchObject({ outcome: 'UP', price: 0.41, shares, won: true });
      expect(t.fee).toBe(fee);
    }
    expect(r.hitRate).toBe(1);
    expect(r.pnl).toBeCloseTo(windows * perWindow, 2);
    expect(r.fees).toBeCloseTo(windows * fee, 6);
    expect(r.maxDrawdown).toBe(0);
    expect(r.equity.at(-1)![1]).toBeCloseTo(1_000 + windows * perWindow, 2);
  });

  it('does nothing when the maker is fair', () => {
    const r = runBacktest(flat, 0, { ...cfg, book: { ...cfg.book, bias: 0 } });
    expect(r.trades).toHaveLength(0);
    expect(r.pnl).toBe(0);
  });

  it('is deterministic for a seed: the same report byte for byte', () => {
    const prices = Array.from({ length: 15 * 40 + 1 }, (_, i) => 100 * Math.exp(0.002 * Math.sin(i / 7) + 0.0005 * Math.cos(i / 3)));
    const a = runBacktest(prices, 0, { ...DEFAULT_BACKTEST, seed: 7 });
    const b = runBacktest(prices, 0, { ...DEFAULT_BACKTEST, seed: 7 });
    const meta = { data: 'x', generatedAt: 'fixed' };
    expect(htmlReport(a, DEFAULT_BACKTEST, meta)).toBe(htmlReport(b, DEFAULT_BACKTEST, meta));
    const c = runBacktest(prices, 0, { ...DEFAULT_BACKTEST, seed: 8 });
    expect(JSON.stringify(c.trades)).not.toBe(JSON.stringify(a.trades));
  });

  it('fills against the book as quoted `latencyMs` after the signal', () => {
    // Each window: flat at 100 for two minutes, then 100.5. The signal at minute 1 sees Up at 0.41
    // (fair 0.5 minus the 0.10 bias); a minute later the maker quotes Up near 0.85, above the limit.
    const prices = Array.from({ length: 15 * 12 + 1 }, (_, i) => (i % 15 < 2 ? 100 : 100.5));
    const base = { ...cfg, stepMinutes: [1], book: { ...cfg.book, lagSteps: 0 } };
    const now = runBacktest(prices, 0, base);
    expect(now.trades.length).toBeGreaterThan(0);
    for (const t of now.trades) expect(t).toMatchObject({ outcome: 'UP', price: 0.41 });
    const late = runBacktest(prices, 0, { ...base, latencyMs: 60_000 });
    expect(late.trades).toHaveLength(0);
    // Half a minute late: the price is interpolated half way (100.25) and the ask has moved too.
    expect(runBacktest(prices, 0, { ...base, latencyMs: 30_000 }).trades).toHaveLength(0);
    // A latency that lands before the move still fills, a second later than the signal.
    const small = runBacktest(prices, 0, { ...base, latencyMs: 1_000, book: { ...base.book, lagSteps: 0 } });
    expect(small.trades.length).toBe(now.trades.length);
    for (const t of small.trades) expect(t.atMs % 60_000).toBe(1_000);
  });

  it('applies the live circuit-breaker rules on simulated time', () => {
    // The maker overprices Up by 10 cents: the strategy buys Down every window, and flat prices
    // settle every window Up (a tie), so every window loses.
    const losing = { ...cfg, stepMinutes: [1], book: { ...cfg.book, bias: 0.1 } };
    const windows = 20 - Math.ceil(flat.length / 4 / 15);
    const free = runBacktest(flat, Date.parse('2026-01-01T00:00:00Z'), {
      ...losing,
      breaker: { maxDailyLossUsd: null, maxConsecutiveLosses: null, cooldownMs: 0 },
    });
    expect(free.trades).toHaveLength(windows);
    expect(free.trades.every((t) => !t.won)).toBe(true);
    expect(free.breakerTrips).toHaveLength(0);
    // Three losses in a row trip it for one window (15 minutes); the streak stands, so each
    // later loss trips it again: windows trade, trade, trade, skip, trade, skip, ...
    const streak = runBacktest(flat, Date.parse('2026-01-01T00:00:00Z'), {
      ...losing,
      breaker: { maxDailyLossUsd: null, maxConsecutiveLosses: 3, cooldownMs: 15 * 60_000 },
    });
    expect(streak.trades).toHaveLength(3 + Math.floor((windows - 3) / 2));
    expect(streak.breakerTrips).toHaveLength(1 + Math.floor((windows - 3) / 2));
    expect(streak.breakerTrips.every((t) => t.kind === 'losses')).toBe(true);
    // A daily loss limit below two windows' losses halts the rest of the (UTC) day.
    const perWindowLoss = -free.trades[0]!.pnl;
    const daily = runBacktest(flat, Date.parse('2026-01-01T00:00:00Z'), {
      ...losing,
      breaker: { maxDailyLossUsd: perWindowLoss * 1.5, maxConsecutiveLosses: null, cooldownMs: 0 },
    });
    expect(daily.trades).toHaveLength(2);
    expect(daily.breakerTrips).toEqual([expect.objectContaining({ kind: 'drawdown' })]);
  });
});
