/**
 * Replays a recording written by the ingestion recorder (gzip NDJSON, one object a line:
 * market, book, trade, oracle, resolution) through the same cores as the live workers, and
 * settles each market on its recorded resolution. Markets the recording never resolves are kept
 * as unsettled (their fills listed as open), never counted as won or lost.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { z } from 'zod';
import { BookLevelSchema, MarketSchema, readOracle, type Asset, type Market, type OrderBook, type OrderRequest, type TradeSignal } from '@polybot/shared';
import { decidePair, decideSignal, KellySizer, NoTradeGate, newLedger, DEFAULT_GATE, DEFAULT_SIZER } from '@polybot/risk';
import {
  calibrateParams,
  CALIBRATION_EVERY_MS,
  CALIBRATION_LOOKBACK_MS,
  DEFAULT_STRATEGY,
  FALLBACK_PARAMS,
  RECENT_MS,
  spotBefore,
  twapAverageSoFar,
  ValueBettingStrategy,
  type JumpParams,
  type PricePoint,
} from '@polybot/strategy';
import { OrderManager } from '@polybot/execution';
import { walkBook } from '@polybot/execution';
import { priceToBeatFromHistory } from '@polybot/ingestion';
import { bookOrder, emptyHeld, settleHeld, type Held } from './positions.js';
import { round6, summarise, type RunResult, type ScoredPrediction, type SettledWindow, type Trade } from './results.js';

const RecordSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('market'), t: z.number(), market: MarketSchema }),
  z.object({ type: z.literal('oracle'), t: z.number(), asset: z.string(), price: z.number().positive(), source: z.string() }),
  z.object({
    type: z.literal('book'),
    t: z.number(),
    tokenId: z.string(),
    conditionId: z.string(),
    bids: z.array(BookLevelSchema),
    asks: z.array(BookLevelSchema),
  }),
  z.object({ type: z.literal('trade'), t: z.number(), tokenId: z.string(), price: z.number(), size: z.number(), side: z.enum(['BUY', 'SELL']) }),
  z.object({ type: z.literal('resolution'), t: z.number(), conditionId: z.string(), winningTokenId: z.string() }),
]);
export type RecordLine = z.infer<typeof RecordSchema>;

/** Every valid line, in time order; invalid lines are counted, never used. */
export function loadRecording(file: string): { records: RecordLine[]; invalid: number } {
  const records: RecordLine[] = [];
  let invalid = 0;
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = RecordSchema.safeParse(JSON.parse(line));
      if (r.success) records.push(r.data);
      else invalid++;
    } catch {
      invalid++;
    }
  }
  records.sort((a, b) => a.t - b.t);
  return { records, invalid };
}

/** One market of the recording, as the report lists it. */
export interface MarketOutcome {
  /** Position in the replay (the `window` of its trades). */
  index: number;
  conditionId: string;
  slug: string;
  asset: Asset;
  windowStartMs: number;
  windowEndMs: number;
  /** As recorded, or derived from the recorded feed at the window start; null: never known (no evaluation possible). */
  priceToBeat: number | null;
  /** The recorded resolution; null: never resolved in the recording (unsettled). */
  winner: 'UP' | 'DOWN' | null;
  resolvedAtMs: number | null;
  trades: number;
  costUsd: number;
  feesUsd: number;
  /** After fees; null while unsettled. */
  pnl: number | null;
  /** Strategy passes that produced a P(Up). */
  evaluations: number;
}

export interface ReplayResult extends RunResult {
  /** Markets replayed (after the asset and period filters). */
  markets: number;
  settled: number;
  unsettled: number;
  marketOutcomes: MarketOutcome[];
  /** Fills in markets the recording never resolved: not in `trades`, `pnl` or the equity. */
  openTrades: Trade[];
  /** Every P(Up) the model gave, by market index; only settled markets' count in the Brier score. */
  evaluations: Array<{ market: number; atMs: number; pUp: number }>;
  /** Arbitrage pairs risk accepted, and whether both FOK legs filled against the recorded books. */
  pairs: Array<{ id: string; atMs: number; shares: number; filled: boolean; expectedProfitUsd: number }>;
  /** The settings the replay ran with, defaults filled in (for the report). */
  settings: {
    minEdge: number;
    kellyFraction: number;
    maxOrderUsd: number;
    bankrollUsd: number;
    params: JumpParams | 'calibrated';
    fallbackParams: JumpParams;
    asset: Asset | null;
    fromMs: number | null;
    toMs: number | null;
  };
}

export interface ReplayOptions {
  minEdge?: number;
  kellyFraction?: number;
  maxOrderUsd?: number;
  bankrollUsd?: number;
  /** Fixed model parameters; by default they are calibrated from the recorded oracle feed as the analysis worker does (every minute, three hours back). */
  params?: JumpParams;
  /** Only this asset's markets. */
  asset?: Asset;
  /** Only markets whose window lies inside [fromMs, toMs]. */
  fromMs?: number;
  toMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The assets of the recording's markets, sorted. */
export function recordingAssets(records: readonly RecordLine[]): Asset[] {
  return [...new Set(records.flatMap((r) => (r.type === 'market' ? [r.market.asset] : [])))].sort();
}

/** Index of the first point at or after `t` in a time-sorted history. */
function firstAtOrAfter(hist: readonly PricePoint[], t: number): number {
  let lo = 0;
  let hi = hist.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hist[mid]!.timestampMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function replayRecording(records: readonly RecordLine[], opts: ReplayOptions = {}): ReplayResult {
  const logger = pino({ level: 'silent' });
  const settings: ReplayResult['settings'] = {
    minEdge: opts.minEdge ?? DEFAULT_STRATEGY.minEdge,
    kellyFraction: opts.kellyFraction ?? DEFAULT_SIZER.kellyFraction,
    maxOrderUsd: opts.maxOrderUsd ?? DEFAULT_SIZER.maxOrderUsd,
    bankrollUsd: opts.bankrollUsd ?? 1_000,
    params: opts.params ?? 'calibrated',
    // The analysis worker's defaults (STRATEGY_DEFAULT_*) until the feed is long enough.
    fallbackParams: FALLBACK_PARAMS,
    asset: opts.asset ?? null,
    fromMs: opts.fromMs ?? null,
    toMs: opts.toMs ?? null,
  };
  const strategy = new ValueBettingStrategy({ ...DEFAULT_STRATEGY, minEdge: settings.minEdge });
  const gate = new NoTradeGate({ ...DEFAULT_GATE, toxicity: 'ignore' });
  const sizer = new KellySizer({ ...DEFAULT_SIZER, kellyFraction: settings.kellyFraction, maxOrderUsd: settings.maxOrderUsd });
  const { bankrollUsd } = settings;
  // Calibrated on a schedule, not per pass, from the feed recorded so far — as the worker does.
  const calibrated = new Map<Asset, { atMs: number; params: JumpParams }>();
  const paramsFor = (asset: Asset, hist: readonly PricePoint[], nowMs: number): JumpParams => {
    if (settings.params !== 'calibrated') return settings.params;
    const c = calibrated.get(asset);
    if (c && nowMs - c.atMs < CALIBRATION_EVERY_MS) return c.params;
    const { params } = calibrateParams(hist.slice(firstAtOrAfter(hist, nowMs - CALIBRATION_LOOKBACK_MS)), settings.fallbackParams);
    calibrated.set(asset, { atMs: nowMs, params });
    return params;
  };
  const [fromMs, toMs] = [opts.fromMs ?? -Infinity, opts.toMs ?? Infinity];
  const wanted = (m: Market) => (opts.asset === undefined || m.asset === opts.asset) && m.windowStartMs >= fromMs && m.windowEndMs <= toMs;
  const ledger = newLedger(bankrollUsd);
  const manager = new OrderManager(null, logger);
  const markets = new Map<string, Market>();
  const outcomes = new Map<string, MarketOutcome>();
  const books = new Map<string, OrderBook>();
  const ticks = new Map<string, Array<{ timestampMs: number; price: number }>>();
  const held = new Map<string, Held & { trades: Trade[] }>();
  const trades: Trade[] = [];
  const evaluations: ReplayResult['evaluations'] = [];
  const pairs: ReplayResult['pairs'] = [];
  const pUps = new Map<string, number[]>();
  const settledWindows: SettledWindow[] = [];
  const predictions: ScoredPrediction[] = [];

  // Risk: the very function the risk worker calls (the breaker is not simulated on recordings).
  const decide = (signal: TradeSignal, nowMs: number): OrderRequest | null => {
    const d = decideSignal(signal, { nowMs, breakerOpen: false, ledger }, { gate, sizer });
    return d.accept ? d.request : null;
  };

  const step = Math.max(1, Math.floor(records.length / 200));
  records.forEach((r, i) => {
    if ((i + 1) % step === 0 || i + 1 === records.length) opts.onProgress?.(i + 1, records.length);
    if (r.type === 'market') {
      if (!wanted(r.market)) return;
      // A market can be recorded again once its price to beat is known: keep one outcome row.
      const known = markets.get(r.market.conditionId);
      const m = known && r.market.priceToBeat === null ? { ...r.market, priceToBeat: known.priceToBeat } : r.market;
      markets.set(m.conditionId, m);
      const row = outcomes.get(m.conditionId);
      if (row) row.priceToBeat = m.priceToBeat;
      else {
        outcomes.set(m.conditionId, {
          index: outcomes.size,
          conditionId: m.conditionId,
          slug: m.slug,
          asset: m.asset,
          windowStartMs: m.windowStartMs,
          windowEndMs: m.windowEndMs,
          priceToBeat: m.priceToBeat,
          winner: null,
          resolvedAtMs: null,
          trades: 0,
          costUsd: 0,
          feesUsd: 0,
          pnl: null,
          evaluations: 0,
        });
      }
    } else if (r.type === 'book') {
      // Best first, whatever order the line holds (the venue sends best last).
      const bids = [...r.bids].sort((a, b) => b.price - a.price);
      const asks = [...r.asks].sort((a, b) => a.price - b.price);
      books.set(r.tokenId, { tokenId: r.tokenId, conditionId: r.conditionId, bids, asks, timestampMs: r.t, tickSize: 0.01, minOrderSize: 5 });
    } else if (r.type === 'oracle') {
      const hist = ticks.get(r.asset) ?? [];
      hist.push({ timestampMs: r.t, price: r.price });
      ticks.set(r.asset, hist);
      for (const [cid, known] of markets) {
        if (known.asset !== r.asset || r.t < known.windowStartMs || r.t >= known.windowEndMs) continue;
        const row = outcomes.get(cid)!;
        if (row.winner !== null) continue;
        // A market recorded before its window began has no price to beat yet: derive it from the
        // recorded settlement feed, by the same rule as live discovery.
        let m = known;
        if (m.priceToBeat === null) {
          const ptb = priceToBeatFromHistory(hist, m.windowStartMs, m.settlement);
          if (ptb === null) continue;
          m = { ...m, priceToBeat: ptb };
          markets.set(cid, m);
          row.priceToBeat = ptb;
        }
        const up = books.get(m.upTokenId);
        const down = books.get(m.downTokenId);
        const recent = hist.slice(firstAtOrAfter(hist, r.t - RECENT_MS));
        const ev = strategy.evaluate({
          nowMs: r.t,
          market: m,
          upBook: up ?? null,
          downBook: down ?? null,
          oracle: readOracle({ asset: m.asset, price: r.price, timestampMs: r.t, source: 'sim' }, r.t, 5_000),
          averageSoFar: twapAverageSoFar(m, recent, r.t),
          spotBefore: spotBefore(recent, r.t),
          trades: { up: [], down: [] },
          params: paramsFor(m.asset, hist, r.t),
        });
        if (ev.probabilityUp !== null) {
          evaluations.push({ market: row.index, atMs: r.t, pUp: ev.probabilityUp });
          const ps = pUps.get(cid) ?? [];
          ps.push(ev.probabilityUp);
          pUps.set(cid, ps);
          row.evaluations++;
        }
        const fill = (request: OrderRequest, filled: ReturnType<typeof walkBook>, modelP: number) => {
          const h = held.get(m.conditionId) ?? { ...emptyHeld(), trades: [] };
          bookOrder({ manager, ledger, held: h, prefix: 'replay' }, request, filled, r.t, r.t);
          for (const f of filled.fills)
            h.trades.push({ window: row.index, atMs: r.t, outcome: request.outcome, price: f.price, shares: f.size, fee: f.fee, modelP, won: false, pnl: 0 });
          held.set(m.conditionId, h);
        };
        const walk = (request: OrderRequest) =>
          walkBook({
            side: 'BUY',
            limitPrice: request.price,
            size: request.size,
            orderType: request.orderType,
            levels: (request.outcome === 'UP' ? up! : down!).asks,
            feeRate: m.feeSchedule.rate,
            feeExponent: m.feeSchedule.exponent,
          });
        for (const signal of ev.signals) {
          if (manager.get(signal.id)) continue; // one decision per signal id, as live
          const request = decide(signal, r.t);
          if (request) fill(request, walk(request), signal.modelProbability);
        }
        // An arbitrage pair, decided as the risk worker decides it; both FOK legs meet the same
        // recorded instant, so both fill or neither does (live, a lone leg is unwound).
        if (ev.pair && !manager.get(ev.pair.legs[0].id)) {
          const d = decidePair(ev.pair, { nowMs: r.t, breakerOpen: false, ledger }, { gate, sizer });
          if (d.accept) {
            const walks = d.request.legs.map(walk);
            if (walks.every((w) => w.remaining <= 1e-9)) d.request.legs.forEach((leg, i) => fill(leg, walks[i]!, ev.pair!.legs[i]!.modelProbability));
            pairs.push({
              id: d.request.id,
              atMs: r.t,
              shares: d.shares,
              filled: walks.every((w) => w.remaining <= 1e-9),
              expectedProfitUsd: d.expectedProfitUsd,
            });
          }
        }
      }
    } else if (r.type === 'resolution') {
      const m = markets.get(r.conditionId);
      const row = outcomes.get(r.conditionId);
      if (!m || !row || row.winner !== null) return; // not replayed, or already settled
      const winner = r.winningTokenId === m.upTokenId ? 'UP' : 'DOWN';
      row.winner = winner;
      row.resolvedAtMs = r.t;
      for (const p of pUps.get(r.conditionId) ?? []) predictions.push([p, winner === 'UP' ? 1 : 0]);
      pUps.delete(r.conditionId);
      const h = held.get(m.conditionId);
      let pnl = 0;
      if (h) {
        settleHeld(ledger, h, { conditionId: m.conditionId, asset: m.asset, winner, atMs: r.t });
        for (const t of h.trades) {
          t.won = t.outcome === winner;
          t.pnl = (t.won ? t.shares : 0) - t.shares * t.price - t.fee;
          pnl += t.pnl;
          trades.push(t);
        }
        held.delete(m.conditionId);
      }
      row.pnl = round6(pnl);
      settledWindows.push({ endMs: r.t, pnl });
    }
  });

  // Positions the recording never resolved stay open: listed, never counted as won or lost.
  const marketOutcomes = [...outcomes.values()];
  const openTrades = [...held.values()].flatMap((h) => h.trades);
  for (const t of [...trades, ...openTrades]) {
    const row = marketOutcomes[t.window]!;
    row.trades++;
    row.costUsd += t.shares * t.price;
    row.feesUsd += t.fee;
  }
  for (const row of marketOutcomes) Object.assign(row, { costUsd: round6(row.costUsd), feesUsd: round6(row.feesUsd) });
  const settled = marketOutcomes.filter((o) => o.winner !== null).length;
  return {
    ...summarise({ trades, windows: settledWindows, predictions, bankrollUsd }),
    markets: marketOutcomes.length,
    settled,
    unsettled: marketOutcomes.length - settled,
    marketOutcomes,
    openTrades,
    evaluations,
    pairs,
    settings,
  };
}
