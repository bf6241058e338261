/** Estimators on the real FTX month against the reference numbers in data/README.md and quant.md §3.2. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBars, minuteCloses } from './data/priceHistory.js';
import { leeMyklandFlags, logReturns, realisedAndBipower } from './leeMykland.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/btc-1m');
const ftx = minuteCloses(loadBars(path.join(DATA, 'ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz')));
const r = logReturns(ftx.closes);

describe('estimators on the FTX month', () => {
  it('finds the reference volatilities and jump share', () => {
    const e = realisedAndBipower(r, 60);
    expect(e.rvSigma).toBeCloseTo(0.716, 2);
    expect(e.bvSigma).toBeCloseTo(0.695, 2);
    expect(e.jumpShare).toBeCloseTo(0.058, 2);
  });

  it('flags exactly the reference count of Lee–Mykland jumps (K = 120 → 141, K = 270 → 149)', () => {
    for (const [K, ref] of [
      [120, 141],
      [270, 149],
    ] as const) {
      const flags = leeMyklandFlags(r, K, 0.01);
      expect(flags.filter(Boolean).length).toBe(ref);
    }
  });

  it('counts 3,002 fifteen-minute windows, Up in 49.60 % of them', () => {
    const c = ftx.closes;
    let windows = 0;
    let up = 0;
    for (let j = 0; 15 * (j + 1) < c.length; j++) {
      windows++;
      if (c[15 * (j + 1)]! >= c[15 * j]!) up++;
    }
    expect(windows).toBe(3002);
    expect(((up / windows) * 100).toFixed(2)).toBe('49.60');
  });

  it('reads the Coinbase candles (minutes without trades are absent)', () => {
    const bars = loadBars(path.join(DATA, 'coinbase-gdax-2016/1Jan2016.json.gz'));
    expect(bars).toHaveLength(1283);
    expect(minuteCloses(bars).closes.length).toBeGreaterThanOrEqual(1283);
  });
});
