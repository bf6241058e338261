/**
 * How the toxicity measures relate to the price move, measured on the shared Binance data, so the
 * thresholds rest on data rather than guesses. First the contemporaneous check: level-1 OFI (Cont,
 * Kukanov, Stoikov 2014) per best-quote update, summed per interval, regressed against the mid change
 * over that interval. Then the predictive study (trailing measure against the FORWARD move).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { DEFAULT_TOXICITY } from './toxicityFilter.js';
import type { StudySource } from './toxicity/data.js';
import {
  deriveThreshold,
  MEASURES,
  measureTable,
  sampleSource,
  THRESHOLD_RULE,
  type DerivedThreshold,
  type MeasureTable,
  type StudyConfig,
  type ThresholdRule,
} from './toxicity/predictive.js';

export { loadStudySources, type StudySource } from './toxicity/data.js';
export {
  MEASURES,
  roundThreshold,
  THRESHOLD_RULE,
  type DerivedThreshold,
  type MeasureTable,
  type StudyConfig,
  type ThresholdRule,
} from './toxicity/predictive.js';

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

/*
 * The predictive study: each toxicity measure on a trailing window against the next seconds' mid
 * move, and the stated rule that turns the tables into the shipped thresholds (toxicity/predictive.ts).
 */
export const SHARED_STUDY_FILES = [
  'btc-l2-raw/binance-spot_btcusdt_20240808_2354-2400.ndjson.gz',
  'btc-l2-raw/binance-spot_btcusdt_20240809_0000-0005.ndjson.gz',
  'btc-l2-raw/binance-usdm_btcusdt_20240808_2354-2400.ndjson.gz',
  'btc-ticks/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv.gz',
  'btc-ticks/binance-futures_BTCUSDT_quotes_2020-02-22_sample.csv.gz',
] as const;

/**
 * The live flag's time windows, so the study measures what the flag measures. VPIN buckets are sized
 * to 2 s of each source's mean flow (BTC); the 1 s grid gives about a thousand samples on the shared files.
 */
export const STUDY_CONFIG: StudyConfig = {
  stepMs: 1_000,
  horizonsS: [1, 5, 10],
  imbalanceWindowMs: DEFAULT_TOXICITY.lookbackMs,
  vpinWindowMs: 60_000,
  vpinBucketSeconds: 2,
  vpinBuckets: DEFAULT_TOXICITY.vpinBuckets,
  spotWindowMs: DEFAULT_TOXICITY.spotMoveWindowMs,
  bookShortMs: DEFAULT_TOXICITY.bookSpeedShortMs,
  bookLongMs: DEFAULT_TOXICITY.bookSpeedLongMs,
  maxQuoteGapMs: 5_000,
  buckets: 10,
};

export interface ToxicityStudyResult {
  config: StudyConfig;
  rule: ThresholdRule;
  sources: Array<{ name: string; trades: number; quotes: number; samples: number; meanAbsMoveBps: number[] }>;
  samples: number;
  tables: MeasureTable[];
  /** At the rule's horizon: what DEFAULT_TOXICITY ships. */
  thresholds: DerivedThreshold[];
  /** The same rule at every horizon, to show how much the choice of horizon matters. */
  byHorizon: Array<{ horizonS: number; thresholds: DerivedThreshold[] }>;
}

export function toxicityStudy(sources: readonly StudySource[], cfg: StudyConfig = STUDY_CONFIG, rule: ThresholdRule = THRESHOLD_RULE): ToxicityStudyResult {
  const per = sources.map((s) => ({ s, samples: sampleSource(s, cfg) }));
  const samples = per.flatMap((p) => p.samples);
  const ruleIndex = cfg.horizonsS.indexOf(rule.horizonS);
  if (ruleIndex < 0) throw new Error(`the rule's horizon ${rule.horizonS} s is not among the study horizons ${cfg.horizonsS.join(', ')}`);
  if (samples.length < cfg.buckets * 10)
    throw new Error(
      `only ${samples.length} samples: too few for ${cfg.buckets} buckets (need data longer than the ${Math.max(cfg.vpinWindowMs, cfg.bookLongMs, cfg.imbalanceWindowMs) / 1000} s warm-up)`,
    );
  const derive = (h: number) => MEASURES.map((m) => deriveThreshold(samples, m, h, cfg.stepMs, cfg.buckets, { ...rule, horizonS: cfg.horizonsS[h]! }));
  return {
    config: cfg,
    rule,
    sources: per.map(({ s, samples: xs }) => ({
      name: s.name,
      trades: s.trades.length,
      quotes: s.quotes.length,
      samples: xs.length,
      meanAbsMoveBps: cfg.horizonsS.map((_, h) => (xs.reduce((a, x) => a + Math.abs(x.forward[h]!), 0) / Math.max(1, xs.length)) * 1e4),
    })),
    samples: samples.length,
    tables: MEASURES.flatMap((m) => cfg.horizonsS.map((h, k) => measureTable(samples, m, k, h, cfg.buckets))),
    thresholds: derive(ruleIndex),
    byHorizon: cfg.horizonsS.map((horizonS, h) => ({ horizonS, thresholds: derive(h) })),
  };
}
