import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBars, minuteCloses } from '../data/priceHistory.js';
import { calibrate } from './calibrate.js';

const FTX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv');

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
