import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBars, minuteCloses } from '../data/priceHistory.js';
import { calibrate, loadHistory, neweyWestMean } from './calibrate.js';

const FTX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz');

describe('pnpm calibrate', () => {
  const closes = minuteCloses(loadBars(FTX)).closes;
  const res = calibrate(closes, { lookbackMinutes: 4320 });

  it('scores every window after the look-back at the four horizons', () => {
    expect(res.windows).toBe(3002 - 289); // windows starting before minute 4321 have no full look-back
    expect(res.horizons.map((h) => h.minutes)).toEqual([1, 5, 10, 14]);
    for (const h of res.horizons) {
      expect(h.brier.constant).toBeCloseTo(0.25, 12);
      expect(h.calibration.reduce((s, c) => s + c.count, 0)).toBe(res.windows);
    }
  });

  it('gets sharper as the window runs out, and beats a coin at every horizon', () => {
    const b = res.horizons.map((h) => h.brier.model);
    for (let i = 1; i < b.length; i++) expect(b[i]!).toBeLessThan(b[i - 1]!);
    for (const h of res.horizons) expect(h.brier.model).toBeLessThan(h.brier.constant);
  });

  it('is calibrated where it has data: observed frequency rises with the prediction', () => {
    const cal = res.horizons[2]!.calibration.filter((c) => c.count >= 50);
    for (let i = 1; i < cal.length; i++) expect(cal[i]!.observed).toBeGreaterThan(cal[i - 1]!.observed);
  });
});

describe('paired standard errors and the halves', () => {
  const closes = minuteCloses(loadBars(FTX)).closes;

  it('reports model − Black–Scholes per horizon with a standard error, consistent with the scores', () => {
    const res = calibrate(closes.slice(0, 6_000), { lookbackMinutes: 180 });
    for (const h of res.horizons) {
      expect(h.difference.brier.mean).toBeCloseTo(h.brier.model - h.brier.blackScholes, 12);
      expect(h.difference.logLoss.mean).toBeCloseTo(h.logLoss.model - h.logLoss.blackScholes, 12);
      expect(h.difference.brier.se).toBeGreaterThan(0);
      expect(h.difference.logLoss.se).toBeGreaterThan(0);
    }
  });

  it('splits the windows into two halves that together make the whole', () => {
    const c = closes.slice(0, 6_000);
    const all = calibrate(c, { lookbackMinutes: 180 });
    const first = calibrate(c, { lookbackMinutes: 180, half: 'first' });
    const second = calibrate(c, { lookbackMinutes: 180, half: 'second' });
    expect(first.windows + second.windows).toBe(all.windows);
    expect(first.lastWindow + 1).toBe(second.firstWindow);
    expect(second.firstWindow).toBe(Math.floor((Math.ceil(c.length / 15) - 1) / 2));
    const w = (r: typeof all, k: number) => r.horizons[k]!.brier.model * r.windows;
    expect(w(first, 1) + w(second, 1)).toBeCloseTo(w(all, 1), 9);
  });

  it('Newey–West: zero for a constant difference, the iid formula without autocorrelation, smaller for alternation', () => {
    const flat = neweyWestMean([0.25, 0.25, 0.25]);
    expect(flat.mean).toBe(0.25);
    expect(flat.se).toBe(0);
    const alt = Array.from({ length: 1_000 }, (_, i) => (i % 2 ? 1 : -1));
    const nw = neweyWestMean(alt);
    expect(nw.mean).toBe(0);
    expect(nw.se).toBeLessThan(1 / Math.sqrt(1_000) / 3); // negative autocorrelation: the mean is steadier than iid
    const block = Array.from({ length: 1_000 }, (_, i) => (Math.floor(i / 10) % 2 ? 1 : -1));
    expect(neweyWestMean(block).se).toBeGreaterThan(1 / Math.sqrt(1_000)); // positive autocorrelation: less steady
  });

  it('reads several contiguous files as one history and refuses a gap', () => {
    const dir = path.join(path.dirname(FTX), 'coinbase-gdax-2016');
    const joined = loadHistory(['3Jan2016.json.gz', '1Jan2016.json.gz', '2Jan2016.json.gz'].map((f) => path.join(dir, f)));
    expect(joined.length).toBe(3 * 1_440);
    expect(() => loadHistory([path.join(dir, '1Jan2016.json.gz'), path.join(dir, '3Jan2016.json.gz')])).toThrow(/one history/);
  });
});
