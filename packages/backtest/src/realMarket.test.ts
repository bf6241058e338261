/**
 * The recorded-books replay on a few windows of the shipped data (packages/backtest/fixtures/polymarket:
 * 6 BTC 15-minute windows with the real bot's trades, one without an outcome, 11 hourly BTC/ETH
 * windows; cut from data/polymarket) and on hand-made windows where the fill rules must bite exactly.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TradeSignalSchema } from '@polybot/shared';
import { DEFAULT_PAIR_ACCUMULATOR } from '@polybot/strategy';
import { main } from './cli/backtest.js';
import { scoresOf, type ScoredForecast } from './modelVsMarket.js';
import { feeScheduleAt, loadWalletTrades, loadWindows, NO_FEE, V2_FEE, type RecordedWindow } from './polymarketData.js';
import { DEFAULT_FILL_RULE, DEFAULT_REAL_MARKET, botWindows, runPairs, runTimeframe, runValue } from './realMarket.js';
import { minuteSeries } from './modelVsMarket.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/polymarket');
const BOOKS = path.join(FIX, 'books.csv.gz');
const OUTCOMES = path.join(FIX, 'outcomes.csv');
const WALLET = path.join(FIX, 'wallet-trades-btc-15m.csv.gz');
const windows = loadWindows(BOOKS, OUTCOMES);
const resolved = windows.filter((w): w is RecordedWindow & { outcome: 'UP' | 'DOWN'; strike: number } => w.outcome !== null && w.strike !== null);

describe('recorded Polymarket files', () => {
  it('joins books and outcomes by slug; a window without an outcome stays, marked null', () => {
    expect(windows.filter((w) => w.timeframe === '15m')).toHaveLength(7);
    expect(windows.filter((w) => w.timeframe === '15m' && w.outcome === null).map((w) => w.slug)).toEqual(['btc-updown-15m-1766690100']);
    for (const w of windows) for (let i = 1; i < w.samples.length; i++) expect(w.samples[i]!.tMs).toBeGreaterThanOrEqual(w.samples[i - 1]!.tMs);
    // The hourly scraper's empty-side sentinel is read as "no level", never as a price.
    for (const w of windows)
      for (const s of w.samples) for (const p of [s.upBid, s.upAsk, s.downBid, s.downAsk]) if (p !== null) expect(p).toBeLessThanOrEqual(1);
  });

  it('charges the fee the market had: none before 2026-01-05 on 15-minute markets, none on 2025 hourly ones', () => {
    expect(feeScheduleAt('15m', Date.UTC(2026, 0, 4, 23, 45))).toEqual(NO_FEE);
    expect(feeScheduleAt('15m', Date.UTC(2026, 0, 5))).toMatchObject({ rate: 0.25, exponent: 2 });
    expect(feeScheduleAt('1h', Date.UTC(2025, 6, 22))).toEqual(NO_FEE);
    expect(feeScheduleAt('1h', Date.UTC(2026, 2, 2))).toEqual(V2_FEE);
    expect(feeScheduleAt('15m', Date.UTC(2026, 4, 1))).toEqual(V2_FEE);
  });
});

describe('fills against the recorded books', () => {
  const series = minuteSeries(windows);
  const indexOf = (w: RecordedWindow) => windows.indexOf(w);

  it('a taker pays the recorded best ask of its own token, never better, for no more than the recorded depth', () => {
    const r = runValue(resolved, { ...DEFAULT_REAL_MARKET, latencyMs: 0 }, null, 0, series, indexOf);
    expect(r.trades.length).toBeGreaterThan(5);
    for (const t of r.trades) {
      const w = windows[t.window]!;
      const s = w.samples.filter((x) => x.tMs <= t.atMs).at(-1)!;
      const [ask, depth] =
        t.outcome === 'UP' ? [s.upAsk, s.upAskDepth] : [s.downAsk ?? (s.upBid === null ? null : 1 - s.upBid), s.downAskDepth ?? s.upBidDepth];
      expect(t.price).toBeCloseTo(ask!, 9);
      expect(t.shares).toBeLessThanOrEqual(depth ?? DEFAULT_REAL_MARKET.assumedDepthShares);
      expect(t.fee).toBe(0); // every shipped window predates the fees
    }
  });

  // A hand-made window: both books flat at 0.48/0.49 and 0.51/0.52 (bids at 0.47 and 0.50 keep the pair at 0.98), then the Up ask touches, then trades through.
  const start = Date.UTC(2025, 11, 26, 12, 0);
  const flat = {
    upBid: 0.48,
    upAsk: 0.49,
    downBid: 0.51,
    downAsk: 0.52,
    underlying: 100,
    strike: 100,
    upBidDepth: 500,
    upAskDepth: 500,
    downBidDepth: 500,
    downAskDepth: 500,
  };
  const sample = (sec: number, over: Partial<typeof flat> = {}) => ({ tMs: start + sec * 1000, ...flat, ...over });
  const made = (samples: ReturnType<typeof sample>[]): RecordedWindow & { outcome: 'UP'; strike: number } => ({
    slug: 'btc-updown-15m-test',
    asset: 'BTC',
    timeframe: '15m',
    windowStartMs: start,
    windowEndMs: start + 900_000,
    source: 'test',
    samples,
    outcome: 'UP',
    strike: 100,
  });
  const cfg = {
    ...DEFAULT_REAL_MARKET,
    pairs: { ...DEFAULT_PAIR_ACCUMULATOR, maxPairCost: 0.98, clipShares: 10, stopBeforeEndSec: 180, catchUpPairCost: null },
  };

  it('a resting bid fills only when the ask trades through it after placement, at the bid, as a maker', () => {
    // Placed at 0 s at 0.47 (Up) and 0.50 (Down), 10 shares each; at 2 s the Up ask touches 0.47 (no fill under trade-through),
    // at 3 s it is 0.46 with 4 shares shown: 4 shares fill at 0.47.
    const w = made([
      sample(0),
      sample(2, { upBid: 0.46, upAsk: 0.47 }),
      sample(3, { upBid: 0.45, upAsk: 0.46, upAskDepth: 4 }),
      sample(4, { upBid: 0.45, upAsk: 0.46, upAskDepth: 4 }),
    ]);
    const r = runPairs([w], cfg, DEFAULT_FILL_RULE, () => 0);
    expect(r.trades.map((t) => [t.atMs - start, t.outcome, t.price, t.shares, t.fee])).toEqual([
      [3000, 'UP', 0.47, 4, 0],
      [4000, 'UP', 0.47, 4, 0],
    ]);
    const touch = runPairs([w], cfg, { ...DEFAULT_FILL_RULE, throughTicks: 0 }, () => 0);
    expect(touch.trades[0]).toMatchObject({ atMs: start + 2000, price: 0.47, shares: 10 });
  });

  it('never fills a bid on a book seen before it was placed or after it lapsed', () => {
    // The through-price arrives at 0.5 s (before the 1 s latency) and again after the slot (the bid lapsed at 5 s).
    const w = made([sample(0), sample(0.5, { upBid: 0.44, upAsk: 0.45 }), sample(5.5, { upBid: 0.44, upAsk: 0.45 })]);
    const r = runPairs([w], cfg, DEFAULT_FILL_RULE, () => 0);
    // At 5.5 s a new slot's bid is placed (at the new, lower price); nothing of the old one fills.
    expect(r.trades).toEqual([]);
  });

  it("merges complete pairs at 1: a window's PnL is pairs + the winning unmatched shares − cost", () => {
    const r = runPairs(
      resolved.filter((w) => w.timeframe === '15m'),
      DEFAULT_REAL_MARKET,
      DEFAULT_FILL_RULE,
      indexOf,
    );
    for (const w of r.perWindow) {
      const unmatchedWin = w.outcome === 'UP' ? Math.max(0, w.upShares - w.downShares) : Math.max(0, w.downShares - w.upShares);
      expect(w.pnl).toBeCloseTo(w.pairs + unmatchedWin - w.spentUsd - w.feesUsd, 6);
    }
    const bot = botWindows(loadWalletTrades(WALLET), resolved);
    expect(bot).toHaveLength(6);
    for (const b of bot) expect(b.spentUsd).toBeGreaterThan(0);
  });
});

describe('model against market', () => {
  it('pairs the losses per window and takes the standard error across windows', () => {
    const f = (window: number, y: 0 | 1, model: number, market: number): ScoredForecast => ({
      window,
      slug: `w${window}`,
      asset: 'BTC',
      minutes: 1,
      atMs: 0,
      y,
      model,
      bs: model,
      market,
    });
    const fs = [f(0, 1, 0.6, 0.5), f(0, 1, 0.7, 0.6), f(1, 0, 0.3, 0.4), f(2, 1, 0.4, 0.5)];
    const s = scoresOf(fs);
    // Per window: mean of (model − y)² − (market − y)².
    const d = [(0.16 - 0.25 + (0.09 - 0.16)) / 2, 0.09 - 0.16, 0.36 - 0.25];
    const mean = d.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    expect(s.diff.modelMinusMarket.brier.mean).toBeCloseTo(mean, 12);
    expect(s.diff.modelMinusMarket.brier.se).toBeCloseTo(sd / Math.sqrt(3), 12);
    expect(s.brier.market).toBeCloseTo((0.25 + 0.16 + 0.16 + 0.25) / 4, 12);
  });
});

describe('pnpm backtest --books (main)', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints one JSON object with the agreed keys and writes an offline report with real axes and dates', () => {
    const report = path.join(mkdtempSync(path.join(tmpdir(), 'real-')), 'r.html');
    expect(main(['--books', BOOKS, '--outcomes', OUTCOMES, '--json', '--report', report])).toBe(0);
    const j = JSON.parse(out.join('')) as Record<string, unknown> & {
      brier: { model: number; market: number };
      byHorizon: Array<{ timeframe: string; minutes: number }>;
    };
    for (const k of ['windows', 'trades', 'pnl', 'fees', 'maxDrawdown', 'brier', 'byHorizon', 'skippedNoOutcome']) expect(j).toHaveProperty(k);
    expect(j.windows).toBe(17);
    expect(j.skippedNoOutcome).toBe(1);
    expect(j.byHorizon.map((h) => `${h.timeframe}@${h.minutes}`)).toEqual(['15m@1', '15m@5', '15m@10', '15m@14', '1h@5', '1h@15', '1h@30', '1h@45', '1h@55']);
    expect(j.brier.market).toBeGreaterThan(0);
    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3)/);
    expect(html).toMatch(/minutes into the window/);
    expect(html).toMatch(/12-26 \d\d:\d\d|2025-12-2\d/);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(6);
  });

  it('refuses what does not apply, and a missing outcomes file, with exit 2', () => {
    expect(main(['--books', BOOKS])).toBe(2);
    expect(main(['--books', BOOKS, '--outcomes', OUTCOMES, '--timeframe', '5m'])).toBe(2);
    expect(main(['--books', BOOKS, '--outcomes', OUTCOMES, '--seed', '1'])).toBe(2);
    expect(main(['--data', BOOKS, '--strategy', 'pairs'])).toBe(2);
  });

  it('the runs are deterministic', () => {
    const cfg = { ...DEFAULT_REAL_MARKET, value: { ...DEFAULT_REAL_MARKET.value, margins: [0, 0.05] } };
    const a = runTimeframe(windows, '15m', cfg, null);
    const b = runTimeframe(windows, '15m', cfg, null);
    expect(a.pairs!.all.perWindow).toEqual(b.pairs!.all.perWindow);
    expect(a.value!.outOfSample.pnl).toBe(b.value!.outOfSample.pnl);
    void TradeSignalSchema;
  });
});
