/** Order-flow imbalance explains much of the next seconds' move on the shared Binance capture (quant.md §4). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBookTicker, ofiEvent, ofiRegression } from './toxicityStudy.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/btc-l2-raw');
const quotes = [
  ...loadBookTicker(path.join(DIR, 'binance-spot_btcusdt_20240808_2354-2400.ndjson.gz')),
  ...loadBookTicker(path.join(DIR, 'binance-spot_btcusdt_20240809_0000-0005.ndjson.gz')),
];

describe('OFI against the next mid change', () => {
  it('reproduces the reference slope and fit at 1 s and 5 s', () => {
    const one = ofiRegression(quotes, 1);
    const five = ofiRegression(quotes, 5);
    process.stderr.write(`[ofi] 1s: β=${one.beta.toFixed(3)} R²=${one.r2.toFixed(3)} n=${one.intervals}; 5s: β=${five.beta.toFixed(3)} R²=${five.r2.toFixed(3)} n=${five.intervals}\n`);
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
