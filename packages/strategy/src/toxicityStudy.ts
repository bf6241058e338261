/**
 * How order-flow imbalance relates to the next price move, measured on the shared Binance data, so
 * toxicity thresholds rest on data rather than guesses. Level-1 OFI (Cont, Kukanov, Stoikov 2014)
 * per best-quote update, summed per interval, regressed against the mid change over that interval.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';

export interface Quote {
  tNs: bigint;
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
}

const BookTicker = z.object({ stream: z.string(), data: z.object({ b: z.string(), B: z.string(), a: z.string(), A: z.string() }).passthrough() });

/** Best bid/ask updates from a raw Binance capture (`<receive ns> <json>` per line, gzip). */
export function loadBookTicker(file: string): Quote[] {
  const out: Quote[] = [];
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0 || !line.includes('@bookTicker')) continue;
    const parsed = BookTicker.safeParse(JSON.parse(line.slice(sp + 1)));
    if (!parsed.success) continue;
    const d = parsed.data.data;
    out.push({ tNs: BigInt(line.slice(0, sp)), bid: Number(d.b), bidQty: Number(d.B), ask: Number(d.a), askQty: Number(d.A) });
  }
  return out;
}

/** e_n of CKS: the signed change in best-quote depth between two updates. */
export function ofiEvent(prev: Quote, cur: Quote): number {
  let e = 0;
  if (cur.bid >= prev.bid) e += cur.bidQty;
  if (cur.bid <= prev.bid) e -= prev.bidQty;
  if (cur.ask <= prev.ask) e -= cur.askQty;
  if (cur.ask >= prev.ask) e += prev.askQty;
  return e;
}

export interface OfiRegression {
  intervalSeconds: number;
  intervals: number;
  /** USD of mid change per BTC of OFI. */
  beta: number;
  r2: number;
}

export function ofiRegression(quotes: readonly Quote[], intervalSeconds: number): OfiRegression {
  const step = BigInt(Math.round(intervalSeconds * 1e9));
  const xs: number[] = [];
  const ys: number[] = [];
  let i = 1;
  if (quotes.length < 2) return { intervalSeconds, intervals: 0, beta: NaN, r2: NaN };
  let bucketStart = quotes[0]!.tNs;
  let ofi = 0;
  let midStart = (quotes[0]!.bid + quotes[0]!.ask) / 2;
  for (; i < quotes.length; i++) {
    const q = quotes[i]!;
    while (q.tNs >= bucketStart + step) {
      const prev = quotes[i - 1]!;
      xs.push(ofi);
      ys.push((prev.bid + prev.ask) / 2 - midStart);
      ofi = 0;
      midStart = (prev.bid + prev.ask) / 2;
      bucketStart += step;
    }
    ofi += ofiEvent(quotes[i - 1]!, q);
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    sxy += (xs[k]! - mx) * (ys[k]! - my);
    sxx += (xs[k]! - mx) ** 2;
    syy += (ys[k]! - my) ** 2;
  }
  const beta = sxy / sxx;
  return { intervalSeconds, intervals: n, beta, r2: (sxy * sxy) / (sxx * syy) };
}
