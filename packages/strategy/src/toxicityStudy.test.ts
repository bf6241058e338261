/** Order-flow imbalance explains much of the next seconds' move on the shared Binance capture (quant.md §4). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { StudyQuote, StudyTrade } from './toxicity/data.js';
import { sampleSource } from './toxicity/predictive.js';
import { DEFAULT_TOXICITY } from './toxicityFilter.js';
import { loadBookTicker, loadStudySources, ofiEvent, ofiRegression, SHARED_STUDY_FILES, STUDY_CONFIG, toxicityStudy } from './toxicityStudy.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/btc-l2-raw');
const quotes = [
  ...loadBookTicker(path.join(DIR, 'binance-spot_btcusdt_20240808_2354-2400.ndjson.gz')),
  ...loadBookTicker(path.join(DIR, 'binance-spot_btcusdt_20240809_0000-0005.ndjson.gz')),
];

describe('OFI against the next mid change', () => {
  it('reproduces the reference slope and fit at 1 s and 5 s', () => {
    const one = ofiRegression(quotes, 1);
    const five = ofiRegression(quotes, 5);
    process.stderr.write(
      `[ofi] 1s: β=${one.beta.toFixed(3)} R²=${one.r2.toFixed(3)} n=${one.intervals}; 5s: β=${five.beta.toFixed(3)} R²=${five.r2.toFixed(3)} n=${five.intervals}\n`,
    );
    // Reference: β ≈ 0.33 USD per BTC of OFI, R² 0.51 at 1 s and 0.61 at 5 s.
    expect(one.beta).toBeCloseTo(0.33, 1);
    expect(one.r2).toBeCloseTo(0.51, 2);
    expect(five.r2).toBeCloseTo(0.61, 2);
    expect(one.intervals).toBe(650);
  });

  it('signs depth changes as CKS do', () => {
    const q = { tNs: 0n, bid: 100, bidQty: 2, ask: 101, askQty: 3 };
    expect(ofiEvent(q, { ...q, bidQty: 5 })).toBe(3); // bid depth added: buying pressure
    expect(ofiEvent(q, { ...q, askQty: 7 })).toBe(-4); // ask depth added: selling pressure
    expect(ofiEvent(q, { ...q, bid: 100.5, bidQty: 1 })).toBe(1); // a higher bid
  });
});

describe('toxicity thresholds from the predictive study', () => {
  const sources = loadStudySources(SHARED_STUDY_FILES.map((f) => path.join(DIR, '..', f)));
  const res = toxicityStudy(sources);

  it('ships in DEFAULT_TOXICITY exactly what the stated rule derives from the shared data', () => {
    const got = Object.fromEntries(res.thresholds.map((d) => [d.measure, d.rounded]));
    process.stderr.write(
      `[toxicity] ${res.samples} samples; ${res.thresholds.map((d) => `${d.measure} ${d.rounded}${d.predictive ? '' : ' (fallback)'}`).join(', ')}\n`,
    );
    expect(got).toEqual({
      order_flow_imbalance: DEFAULT_TOXICITY.imbalanceThreshold,
      vpin: DEFAULT_TOXICITY.vpinThreshold,
      unabsorbed_spot_move: DEFAULT_TOXICITY.spotMoveThreshold,
      book_change_speed: DEFAULT_TOXICITY.bookSpeedThreshold,
    });
    // The study's windows are the flag's own, so the thresholds mean the same thing live.
    expect(res.config.imbalanceWindowMs).toBe(DEFAULT_TOXICITY.lookbackMs);
    expect(res.config.spotWindowMs).toBe(DEFAULT_TOXICITY.spotMoveWindowMs);
    expect([res.config.bookShortMs, res.config.bookLongMs]).toEqual([DEFAULT_TOXICITY.bookSpeedShortMs, DEFAULT_TOXICITY.bookSpeedLongMs]);
  });

  it('samples every source on the grid after the warm-up, and every bucket table adds up', () => {
    expect(res.sources.map((s) => s.name)).toEqual(['binance-spot_btcusdt', 'binance-usdm_btcusdt', 'binance-futures_BTCUSDT']);
    for (const s of res.sources) expect(s.samples).toBeGreaterThan(100);
    expect(res.samples).toBe(res.sources.reduce((a, s) => a + s.samples, 0));
    for (const t of res.tables) {
      expect(t.buckets.reduce((a, b) => a + b.count, 0)).toBe(res.samples);
      for (let b = 1; b < t.buckets.length; b++) expect(t.buckets[b]!.lo).toBeGreaterThanOrEqual(t.buckets[b - 1]!.hi);
      // |move| ratio is in units of each source's own mean, so the whole sample averages exactly 1.
      expect(t.all.absMoveRatio).toBeCloseTo(1, 9);
    }
  });
});

describe('no look-ahead in the sampled measures', () => {
  // A synthetic source: flat mid and balanced flow until 100 s, then one-sided buying and a jump.
  const trades: StudyTrade[] = Array.from({ length: 200 }, (_, i) => ({ tMs: i * 1000 + 500, size: 1, side: i < 100 ? (i % 2 ? 'SELL' : 'BUY') : 'BUY' }));
  const quotes: StudyQuote[] = Array.from({ length: 400 }, (_, i) => {
    const p = i < 200 ? 100 : 101;
    return { tMs: i * 500 + 250, bid: p - 0.01, ask: p + 0.01, bidQty: 1 + (i % 3), askQty: 1 };
  });
  const cfg = { ...STUDY_CONFIG, imbalanceWindowMs: 10_000, vpinWindowMs: 20_000, vpinBucketSeconds: 1, vpinBuckets: 5, bookLongMs: 20_000 };
  const samples = sampleSource({ name: 'synthetic', trades, quotes }, cfg);
  const at = (tMs: number) => samples.find((s) => s.tMs === tMs)!;

  it('measures use only data up to t, the forward move only data after t', () => {
    // At t = 100 s the first one-sided trade (100.5 s) and the jump (100.25 s) are still in the future.
    expect(at(100_000).measures.order_flow_imbalance).toBe(0);
    expect(at(100_000).measures.unabsorbed_spot_move).toBe(0);
    expect(at(100_000).forward[0]).toBeCloseTo(101 / 100 - 1, 12);
    // A second later the jump is in the past: the spot move shows, the forward move is gone.
    expect(at(101_000).measures.unabsorbed_spot_move).toBeCloseTo(0.01, 12);
    expect(at(101_000).forward[0]).toBe(0);
    // Trades in (92 s, 102 s], i = 92…101: buys at even i and at 100, 101 (6), sells at 93…99 odd (4).
    expect(at(102_000).measures.order_flow_imbalance).toBeCloseTo(0.2, 12);
  });
});
