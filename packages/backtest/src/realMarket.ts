/**
 * Replays recorded Polymarket windows (data/polymarket: top of book of Up and Down, the underlying,
 * the outcome) through the same cores as the live workers: the analysis worker's
 * ValueBettingStrategy (with its market anchor) and PairAccumulator, the risk worker's
 * decideSignal (NoTradeGate + KellySizer on the event-sourced ledger), execution's OrderManager and
 * fill simulator, booked by positions.ts as every replay books. No Redis, no network, simulated clock.
 *
 * Fills, stated once (the report repeats them):
 * - taker (value bets): the FAK order meets the side's own recorded book as it stood `latencyMs`
 *   after the decision (the latest sample at or before then): the best ask, never better, for no
 *   more than the recorded top-five depth (an upper bound of the best level's size) where depth is
 *   recorded, else `assumedDepthShares`; above the limit nothing fills;
 * - maker (pair bids): a resting bid at b fills only at a later sample, at least `latencyMs` after
 *   it was placed and before it expires, whose best ask of the same token trades through it: ask ≤
 *   b − `throughTicks`·tick (1 tick: strictly below b). It fills at b (maker, no fee), for at most
 *   `depthShare` of the recorded ask depth at that sample;
 * - fees: the schedule the market had when the window ran (polymarketData.ts `feeScheduleAt`);
 * - settlement: the recorded outcome. A complete Up+Down pair is worth exactly 1 whichever side
 *   wins: merging it returns 1 pUSD at once (modelled so; the real merge is engineer money's), and
 *   the ledger books the same amount at the window's settlement. Windows without an outcome are
 *   skipped and counted.
 */
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import {
  isOnStep,
  readOracle,
  type Asset,
  type BookLevel,
  type FeeSchedule,
  type Market,
  type OrderBook,
  type OrderRequest,
  type TradeSignal,
} from '@polybot/shared';
import { decideSignal, KellySizer, NoTradeGate, newLedger, DEFAULT_GATE, DEFAULT_SIZER, type GateConfig, type Ledger, type SizerConfig } from '@polybot/risk';
import {
  ANCHOR_BTC_15M,
  buildStrategies,
  DEFAULT_STRATEGY,
  probabilityUp,
  type JumpParams,
  type LiveStrategySettings,
  type StrategyContext,
} from '@polybot/strategy';
import { fitAnchor, type AnchorFit, type AnchorSample, type AnchorWeights } from '@polybot/strategy';
import { DEFAULT_PAIR_ACCUMULATOR, type AccumulatorContext, type PairAccumulatorConfig } from '@polybot/strategy';
import { OrderManager } from '@polybot/execution';
import { walkBook } from '@polybot/execution';
import { feeScheduleAt, NO_FEE, V2_FEE, type RecordedWindow, type Timeframe, type WalletTrade } from './polymarketData.js';
import { minuteSeries, modelVsMarket, paramsBefore, sampleAt, upMid, type MinuteSeries, type ModelVsMarket } from './modelVsMarket.js';
import { bookFill, bookOrder, emptyHeld, settleHeld, type Held } from './positions.js';
import { round6, summarise, type RunResult, type SettledWindow, type Trade } from './results.js';

const logger = pino({ level: 'silent' });

export interface MakerFillRule {
  name: string;
  /** How far below the bid the later best ask must be, in ticks: 0 = at or below (touch), 1 = strictly below (trade-through). */
  throughTicks: number;
  /** Share of the recorded ask depth a fill may take (1: all of it). */
  depthShare: number;
  /** A bid can fill only at samples at least this long after it was placed. */
  latencyMs: number;
}

/** The rule the issue states: the opposite best price trades through the resting price after placement. */
export const DEFAULT_FILL_RULE: MakerFillRule = { name: 'trade-through', throughTicks: 1, depthShare: 1, latencyMs: 1_000 };

/** The default and stricter/looser variants the report shows side by side. */
export const FILL_RULES: readonly MakerFillRule[] = [
  { name: 'touch (ask ≤ bid)', throughTicks: 0, depthShare: 1, latencyMs: 1_000 },
  DEFAULT_FILL_RULE,
  { name: 'trade-through, 3 s latency', throughTicks: 1, depthShare: 1, latencyMs: 3_000 },
  { name: 'through by 2 ticks', throughTicks: 2, depthShare: 1, latencyMs: 1_000 },
];

export interface ValueSettings {
  /** Fixed weights, or 'fit' on the first half of the windows. */
  anchor: AnchorWeights | 'fit';
  /** Fixed margin over fees, or 'learn' on the first half (the best of `margins` there; none if none earns). */
  margin: number | 'learn';
  margins: readonly number[];
}

export interface RealMarketConfig {
  strategies: { value: boolean; pairs: boolean };
  bankrollUsd: number;
  /** As the live risk worker (DEFAULT_SIZER): quarter Kelly, $25 an order, $50 a market. */
  sizer: SizerConfig;
  /** Taker decision → fill (the taker delay included). */
  latencyMs: number;
  /** Where the file records no depth (the hourly books): the shares assumed at the best price. */
  assumedDepthShares: number;
  /** Strategy passes no closer than this (the 15-minute books are ~1 s apart). */
  stepMs: number;
  value: ValueSettings;
  pairs: PairAccumulatorConfig;
  fillRule: MakerFillRule;
  /** 'historical': the schedule each market had; 'v2': today's crypto taker fee on every window (what-if). */
  fees: 'historical' | 'v2';
  /** Keep every strategy pass and decision (parity tests). */
  recordInputs?: boolean;
}

export const DEFAULT_REAL_MARKET: RealMarketConfig = {
  strategies: { value: true, pairs: true },
  bankrollUsd: 1_000,
  sizer: DEFAULT_SIZER,
  latencyMs: 1_000,
  assumedDepthShares: 100,
  stepMs: 5_000,
  value: { anchor: 'fit', margin: 'learn', margins: [0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12] },
  pairs: DEFAULT_PAIR_ACCUMULATOR,
  fillRule: DEFAULT_FILL_RULE,
  fees: 'historical',
};

/** The gate as live, but the toxicity flags ignored (the files hold no trade tape) and the oracle up to a minute old (one-minute underlying). */
export const REPLAY_GATE: GateConfig = { ...DEFAULT_GATE, toxicity: 'ignore', maxOracleAgeMs: 65_000 };
const ORACLE_MAX_AGE_MS = 65_000;

/** A window's result for one strategy. */
export interface WindowResult {
  index: number;
  slug: string;
  windowStartMs: number;
  windowEndMs: number;
  outcome: 'UP' | 'DOWN';
  fills: number;
  upShares: number;
  downShares: number;
  /** pUSD paid for shares (fees apart). */
  spentUsd: number;
  feesUsd: number;
  /** Average Up price + average Down price (fees included); null unless both sides were bought. */
  pairCost: number | null;
  /** Complete pairs (merged at 1 each). */
  pairs: number;
  pnl: number;
}

export interface StrategyRun extends RunResult {
  perWindow: WindowResult[];
  /** Value: crossed snapshots the detector saw as an Up+Down "arbitrage" (separate reads: never traded). */
  crossedSnapshots: number;
  steps: Array<{ context: StrategyContext | AccumulatorContext; signals: TradeSignal[] }>;
  decisions: Array<{ signal: TradeSignal; ledger: Ledger; nowMs: number; request: OrderRequest | null }>;
}

/** A deterministic condition id and token ids for a recorded window (the files carry the slug only). */
export function idsFor(slug: string): { conditionId: string; upTokenId: string; downTokenId: string } {
  const h = createHash('sha256').update(slug).digest('hex');
  const n = BigInt(`0x${h.slice(0, 24)}`).toString();
  return { conditionId: `0x${h}`, upTokenId: `${n}1`, downTokenId: `${n}2` };
}

export function marketFor(w: RecordedWindow, fee: FeeSchedule, tickSize: 0.01 | 0.001): Market {
  return {
    id: w.slug,
    ...idsFor(w.slug),
    slug: w.slug,
    asset: w.asset,
    intervalSeconds: (w.windowEndMs - w.windowStartMs) / 1000,
    windowStartMs: w.windowStartMs,
    windowEndMs: w.windowEndMs,
    priceToBeat: w.strike,
    tickSize,
    minOrderSize: 5,
    feeSchedule: fee,
    settlement: { kind: 'point' },
    acceptingOrders: true,
    negRisk: false,
  };
}

type Sample = RecordedWindow['samples'][number];

/** 0.01, or 0.001 when a recorded price is off the cent grid (near 0 and 1). */
export function tickOf(s: Sample): 0.01 | 0.001 {
  return [s.upBid, s.upAsk, s.downBid, s.downAsk].every((p) => p === null || isOnStep(p, 0.01)) ? 0.01 : 0.001;
}

const level = (price: number | null, size: number | null, assumed: number): BookLevel[] =>
  price !== null && price > 0 && price < 1 ? [{ price, size: size !== null && size > 0 ? size : assumed }] : [];

/**
 * Each token's own recorded book at a sample (best level only; depth as recorded, else assumed).
 * The hourly files record no Down book: it is the Up book's mirror (an Up bid at p is a Down ask at
 * 1 − p on the CTF exchange, docs/quant.md §6).
 */
export function booksOf(s: Sample, market: Market, assumed: number): { up: OrderBook; down: OrderBook } {
  const book = (tokenId: string, bids: BookLevel[], asks: BookLevel[]): OrderBook => ({
    tokenId,
    conditionId: market.conditionId,
    bids,
    asks,
    timestampMs: s.tMs,
    tickSize: market.tickSize,
    minOrderSize: market.minOrderSize,
  });
  const up = book(market.upTokenId, level(s.upBid, s.upBidDepth, assumed), level(s.upAsk, s.upAskDepth, assumed));
  const mirrored = s.downBid === null && s.downAsk === null;
  const down = mirrored
    ? book(
        market.downTokenId,
        s.upAsk !== null ? level(Number((1 - s.upAsk).toFixed(6)), s.upAskDepth, assumed) : [],
        s.upBid !== null ? level(Number((1 - s.upBid).toFixed(6)), s.upBidDepth, assumed) : [],
      )
    : book(market.downTokenId, level(s.downBid, s.downBidDepth, assumed), level(s.downAsk, s.downAskDepth, assumed));
  return { up, down };
}

function oracleAt(w: RecordedWindow, s: Sample) {
  if (s.underlying === null) return readOracle(null, s.tMs, ORACLE_MAX_AGE_MS);
  // The 15-minute files' underlying is the open of the one-minute candle containing the sample.
  const ts = w.timeframe === '15m' ? Math.floor(s.tMs / 60_000) * 60_000 : s.tMs;
  return readOracle({ asset: w.asset, price: s.underlying, timestampMs: ts, source: 'exchange-fallback' }, s.tMs, ORACLE_MAX_AGE_MS);
}

const feeOf = (cfg: RealMarketConfig, w: RecordedWindow): FeeSchedule => (cfg.fees === 'v2' ? V2_FEE : feeScheduleAt(w.timeframe, w.windowStartMs));

/** What a window's position made: complete pairs pay 1 (merged), the unmatched rest pays on the outcome. */
function windowResult(
  index: number,
  w: RecordedWindow & { outcome: 'UP' | 'DOWN' },
  held: Held,
  fills: number,
  upCost: number,
  downCost: number,
): WindowResult {
  const pairs = Math.min(held.up, held.down);
  const payout = w.outcome === 'UP' ? held.up : held.down;
  const fees = held.fees;
  return {
    index,
    slug: w.slug,
    windowStartMs: w.windowStartMs,
    windowEndMs: w.windowEndMs,
    outcome: w.outcome,
    fills,
    upShares: round6(held.up),
    downShares: round6(held.down),
    spentUsd: round6(held.cost),
    feesUsd: round6(fees),
    pairCost: held.up > 0 && held.down > 0 ? round6(upCost / held.up + downCost / held.down) : null,
    pairs: round6(pairs),
    pnl: round6(payout - held.cost - fees),
  };
}

type Resolved = RecordedWindow & { outcome: 'UP' | 'DOWN'; strike: number };
const resolved = (w: RecordedWindow): w is Resolved => w.outcome !== null && w.strike !== null;

/** The live settings that give the value strategy with this anchor (null: the model alone) and margin. */
export function valueSettings(anchor: AnchorWeights | null, margin: number): LiveStrategySettings {
  return { value: anchor ? 'anchored' : 'model', strategy: { ...DEFAULT_STRATEGY, minEdge: margin }, anchor: anchor ?? ANCHOR_BTC_15M, pairs: null };
}

/** The value strategy (with its anchor and margin) on the given windows, taker fills. */
export function runValue(
  windows: readonly Resolved[],
  cfg: RealMarketConfig,
  anchor: AnchorWeights | null,
  margin: number,
  series: Map<Asset, MinuteSeries>,
  indexOf: (w: RecordedWindow) => number,
): StrategyRun {
  // Built as the analysis worker builds its strategies (liveStrategies.ts).
  const strategy = buildStrategies(valueSettings(anchor, margin)).value;
  const cores = { gate: new NoTradeGate(REPLAY_GATE), sizer: new KellySizer(cfg.sizer) };
  const ledger = newLedger(cfg.bankrollUsd);
  const trades: Trade[] = [];
  const settled: SettledWindow[] = [];
  const perWindow: WindowResult[] = [];
  const steps: StrategyRun['steps'] = [];
  const decisions: StrategyRun['decisions'] = [];
  let crossedSnapshots = 0;
  for (const w of windows) {
    const index = indexOf(w);
    const { params } = paramsBefore(series.get(w.asset), w.windowStartMs);
    const fee = feeOf(cfg, w);
    const held = emptyHeld();
    const manager = new OrderManager(null, logger);
    const book = { manager, ledger, held, prefix: 'real' };
    const windowTrades: Trade[] = [];
    let upCost = 0;
    let downCost = 0;
    let lastStep = -Infinity;
    for (const s of w.samples) {
      if (s.tMs < w.windowStartMs || s.tMs >= w.windowEndMs || s.tMs - lastStep < cfg.stepMs) continue;
      lastStep = s.tMs;
      const market = marketFor(w, fee, tickOf(s));
      const books = booksOf(s, market, cfg.assumedDepthShares);
      const context: StrategyContext = {
        nowMs: s.tMs,
        market,
        upBook: books.up,
        downBook: books.down,
        oracle: oracleAt(w, s),
        averageSoFar: null,
        spotBefore: null,
        trades: { up: [], down: [] },
        params,
      };
      const ev = strategy.evaluate(context);
      if (cfg.recordInputs) steps.push({ context, signals: ev.signals });
      if (ev.pair) crossedSnapshots++;
      for (const signal of ev.signals) {
        if (manager.get(signal.id)) continue; // one decision per side per slot, as live
        const recorded = cfg.recordInputs ? structuredClone(ledger) : null;
        const d = decideSignal(signal, { nowMs: s.tMs, breakerOpen: false, ledger }, cores);
        if (recorded) decisions.push({ signal, ledger: recorded, nowMs: s.tMs, request: d.accept ? d.request : null });
        if (!d.accept) continue;
        const at = sampleAt(w.samples, s.tMs + cfg.latencyMs, Infinity) ?? s;
        const fillAt = Math.max(s.tMs, at.tMs);
        const fillBooks = booksOf(at, market, cfg.assumedDepthShares);
        const asks = (signal.outcome === 'UP' ? fillBooks.up : fillBooks.down).asks;
        const filled = walkBook({
          side: 'BUY',
          limitPrice: d.request.price,
          size: d.request.size,
          orderType: d.request.orderType,
          levels: asks,
          feeRate: d.request.feeRate,
          feeExponent: d.request.feeExponent ?? fee.exponent,
        });
        bookOrder(book, d.request, filled, s.tMs, fillAt);
        for (const f of filled.fills) {
          const won = signal.outcome === w.outcome;
          if (signal.outcome === 'UP') upCost += f.size * f.price + f.fee;
          else downCost += f.size * f.price + f.fee;
          windowTrades.push({
            window: index,
            atMs: fillAt,
            outcome: signal.outcome,
            price: f.price,
            shares: f.size,
            fee: f.fee,
            modelP: signal.modelProbability,
            won,
            pnl: (won ? f.size : 0) - f.size * f.price - f.fee,
          });
        }
      }
    }
    const r = windowResult(index, w, held, windowTrades.length, upCost, downCost);
    if (held.cost > 0) settleHeld(ledger, held, { conditionId: idsFor(w.slug).conditionId, asset: w.asset, winner: w.outcome, atMs: w.windowEndMs });
    trades.push(...windowTrades);
    settled.push({ endMs: w.windowEndMs, pnl: r.pnl });
    perWindow.push(r);
  }
  return { ...summarise({ trades, windows: settled, predictions: [], bankrollUsd: cfg.bankrollUsd }), perWindow, crossedSnapshots, steps, decisions };
}

interface Resting {
  request: OrderRequest;
  activeFromMs: number;
  /** The bid lapses at its slot's end (the GTD expiry less the venue's one-minute margin). */
  lapsesAtMs: number;
  filled: number;
  fills: number;
}

/** Pair accumulation on the given windows: resting bids, maker fills by `rule`. */
export function runPairs(
  windows: readonly Resolved[],
  cfg: RealMarketConfig,
  rule: MakerFillRule,
  indexOf: (w: RecordedWindow) => number,
  series?: Map<Asset, MinuteSeries>,
): StrategyRun {
  const accumulator = buildStrategies({ ...valueSettings(null, DEFAULT_STRATEGY.minEdge), value: 'off', pairs: cfg.pairs }).pairs!;
  const cores = { gate: new NoTradeGate(REPLAY_GATE), sizer: new KellySizer(cfg.sizer) };
  const ledger = newLedger(cfg.bankrollUsd);
  const trades: Trade[] = [];
  const settled: SettledWindow[] = [];
  const perWindow: WindowResult[] = [];
  const steps: StrategyRun['steps'] = [];
  const decisions: StrategyRun['decisions'] = [];
  for (const w of windows) {
    const index = indexOf(w);
    const params: JumpParams | undefined = series ? paramsBefore(series.get(w.asset), w.windowStartMs).params : undefined;
    const fee = feeOf(cfg, w);
    const held = emptyHeld();
    const manager = new OrderManager(null, logger);
    const book = { manager, ledger, held, prefix: 'pair' };
    const resting: Resting[] = [];
    const windowTrades: Trade[] = [];
    let upCost = 0;
    let downCost = 0;
    let slot = -1;
    for (const s of w.samples) {
      if (s.tMs < w.windowStartMs || s.tMs >= w.windowEndMs) continue;
      const tick = tickOf(s);
      // Resting bids meet this sample first: a fill needs the same token's ask to trade through the bid.
      for (const o of resting) {
        if (o.filled >= o.request.size - 1e-9 || s.tMs < o.activeFromMs || s.tMs >= o.lapsesAtMs) continue;
        const up = o.request.outcome === 'UP';
        const ask = up ? s.upAsk : s.downAsk;
        const depth = up ? s.upAskDepth : s.downAskDepth;
        if (ask === null || !(ask <= o.request.price - rule.throughTicks * tick + 1e-9)) continue;
        const available = Math.floor((depth ?? cfg.assumedDepthShares) * rule.depthShare * 100) / 100;
        const size = Math.min(available, Math.round((o.request.size - o.filled) * 100) / 100);
        if (size <= 0) continue;
        const f = { price: o.request.price, size, fee: 0 };
        bookFill(book, o.request, f, `pair-${o.request.id}-${o.fills}`, s.tMs);
        o.filled += size;
        o.fills++;
        if (up) upCost += size * f.price;
        else downCost += size * f.price;
        const won = o.request.outcome === w.outcome;
        windowTrades.push({
          window: index,
          atMs: s.tMs,
          outcome: o.request.outcome,
          price: f.price,
          shares: size,
          fee: 0,
          modelP: 0,
          won,
          pnl: (won ? size : 0) - size * f.price,
        });
      }
      for (const o of resting)
        if (s.tMs >= o.lapsesAtMs && o.filled < o.request.size - 1e-9) manager.transition(o.request.id, 'expire', o.lapsesAtMs, 'GTD expiry');
      for (let i = resting.length - 1; i >= 0; i--)
        if (s.tMs >= resting[i]!.lapsesAtMs || resting[i]!.filled >= resting[i]!.request.size - 1e-9) resting.splice(i, 1);
      // One decision per slot, on this sample's books and the inventory held.
      const thisSlot = Math.floor(s.tMs / cfg.pairs.slotMs);
      if (thisSlot === slot) continue;
      slot = thisSlot;
      const market = marketFor(w, fee, tick);
      const books = booksOf(s, market, cfg.assumedDepthShares);
      const context: AccumulatorContext = {
        nowMs: s.tMs,
        market,
        upBook: books.up,
        downBook: books.down,
        oracle: oracleAt(w, s),
        inventory: { upShares: held.up, upCostUsd: upCost, downShares: held.down, downCostUsd: downCost },
        ...(params ? { params } : {}),
      };
      const ev = accumulator.evaluate(context);
      if (cfg.recordInputs) steps.push({ context, signals: ev.signals });
      for (const signal of ev.signals) {
        if (manager.get(signal.id)) continue;
        const recorded = cfg.recordInputs ? structuredClone(ledger) : null;
        const d = decideSignal(signal, { nowMs: s.tMs, breakerOpen: false, ledger }, cores);
        if (recorded) decisions.push({ signal, ledger: recorded, nowMs: s.tMs, request: d.accept ? d.request : null });
        if (!d.accept) continue;
        if (d.request.orderType === 'FAK') {
          // A catch-up taker order: the same fill as a value bet, against the book `latencyMs` later.
          const at = sampleAt(w.samples, s.tMs + cfg.latencyMs, Infinity) ?? s;
          const fillAt = Math.max(s.tMs, at.tMs);
          const asks = (signal.outcome === 'UP' ? booksOf(at, market, cfg.assumedDepthShares).up : booksOf(at, market, cfg.assumedDepthShares).down).asks;
          const filled = walkBook({
            side: 'BUY',
            limitPrice: d.request.price,
            size: d.request.size,
            orderType: 'FAK',
            levels: asks,
            feeRate: d.request.feeRate,
            feeExponent: d.request.feeExponent ?? fee.exponent,
          });
          bookOrder(book, d.request, filled, s.tMs, fillAt);
          for (const f of filled.fills) {
            if (signal.outcome === 'UP') upCost += f.size * f.price + f.fee;
            else downCost += f.size * f.price + f.fee;
            const won = signal.outcome === w.outcome;
            windowTrades.push({
              window: index,
              atMs: fillAt,
              outcome: signal.outcome,
              price: f.price,
              shares: f.size,
              fee: f.fee,
              modelP: 0,
              won,
              pnl: (won ? f.size : 0) - f.size * f.price - f.fee,
            });
          }
          continue;
        }
        manager.create(d.request, `pair-${d.request.id}`, {}, s.tMs);
        manager.applyVenueStatus(d.request.id, { status: 'live', sizeMatched: 0 }, s.tMs);
        const lapsesAtMs = (d.request.expiresAtMs ?? w.windowEndMs) - 60_000;
        resting.push({ request: d.request, activeFromMs: s.tMs + rule.latencyMs, lapsesAtMs: Math.min(lapsesAtMs, w.windowEndMs), filled: 0, fills: 0 });
      }
    }
    for (const o of resting) if (o.filled < o.request.size - 1e-9) manager.transition(o.request.id, 'expire', w.windowEndMs, 'window ended');
    const r = windowResult(index, w, held, windowTrades.length, upCost, downCost);
    if (held.cost > 0) settleHeld(ledger, held, { conditionId: idsFor(w.slug).conditionId, asset: w.asset, winner: w.outcome, atMs: w.windowEndMs });
    trades.push(...windowTrades);
    settled.push({ endMs: w.windowEndMs, pnl: r.pnl });
    perWindow.push(r);
  }
  return { ...summarise({ trades, windows: settled, predictions: [], bankrollUsd: cfg.bankrollUsd }), perWindow, crossedSnapshots: 0, steps, decisions };
}

/** The real bot's result per window, merged the same way: complete pairs at 1, the rest on the outcome. */
export interface BotWindow {
  slug: string;
  windowStartMs: number;
  trades: number;
  upShares: number;
  downShares: number;
  spentUsd: number;
  pairCost: number | null;
  pnl: number;
}

export function botWindows(trades: readonly WalletTrade[], windows: readonly Resolved[]): BotWindow[] {
  const bySlug = new Map<string, WalletTrade[]>();
  for (const t of trades) bySlug.set(t.slug, [...(bySlug.get(t.slug) ?? []), t]);
  const out: BotWindow[] = [];
  for (const w of windows) {
    const ts = bySlug.get(w.slug);
    if (!ts) continue;
    let up = 0;
    let down = 0;
    let upCost = 0;
    let downCost = 0;
    for (const t of ts) {
      if (t.outcome === 'UP') {
        up += t.shares;
        upCost += t.shares * t.price;
      } else {
        down += t.shares;
        downCost += t.shares * t.price;
      }
    }
    const spent = upCost + downCost;
    out.push({
      slug: w.slug,
      windowStartMs: w.windowStartMs,
      trades: ts.length,
      upShares: round6(up),
      downShares: round6(down),
      spentUsd: round6(spent),
      pairCost: up > 0 && down > 0 ? round6(upCost / up + downCost / down) : null,
      pnl: round6((w.outcome === 'UP' ? up : down) - spent),
    });
  }
  return out;
}

export interface PairsSummary {
  rule: string;
  windows: number;
  windowsTraded: number;
  spentUsd: number;
  pnl: number;
  returnOnSpend: number;
  profitableWindows: number;
  medianPairCost: number | null;
  fills: number;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function pairsSummary(
  rule: string,
  rows: ReadonlyArray<{ spentUsd: number; pnl: number; pairCost: number | null; fills?: number; trades?: number }>,
): PairsSummary {
  const traded = rows.filter((r) => r.spentUsd > 0);
  const spent = traded.reduce((a, r) => a + r.spentUsd, 0);
  const pnl = traded.reduce((a, r) => a + r.pnl, 0);
  return {
    rule,
    windows: rows.length,
    windowsTraded: traded.length,
    spentUsd: round6(spent),
    pnl: round6(pnl),
    returnOnSpend: spent > 0 ? pnl / spent : 0,
    profitableWindows: traded.filter((r) => r.pnl > 0).length,
    medianPairCost: median(traded.flatMap((r) => (r.pairCost === null ? [] : [r.pairCost]))),
    fills: rows.reduce((a, r) => a + (r.fills ?? r.trades ?? 0), 0),
  };
}

export interface TimeframeResult {
  timeframe: Timeframe;
  /** Resolved windows replayed (outcome and price to beat known). */
  windows: number;
  skippedNoOutcome: number;
  firstHalf: { windows: number; fromMs: number; toMs: number };
  secondHalf: { windows: number; fromMs: number; toMs: number };
  scores: ModelVsMarket;
  value: null | {
    anchor: AnchorFit | AnchorWeights;
    /** null: no margin earned money on the first half, so no value bets are taken. */
    margin: number | null;
    /** PnL of each margin on the first half (the choice) and, for the record, the second. */
    marginTable: Array<{ margin: number; firstHalf: { trades: number; pnl: number }; secondHalf: { trades: number; pnl: number } }>;
    /** The chosen setting on the second half (out of sample); empty when value bets are off. */
    outOfSample: StrategyRun;
    /** The live model alone (no anchor, the live minimum edge 0.02) on the second half, for comparison. */
    modelAloneOutOfSample: StrategyRun;
  };
  pairs: null | {
    /** Every resolved window, the default fill rule. */
    all: StrategyRun;
    firstHalf: PairsSummary;
    secondHalf: PairsSummary;
    /** All windows under each fill rule. */
    byRule: PairsSummary[];
    /** Window by window with the real bot, on the windows both traded in. */
    bot: null | { windows: Array<{ ours: WindowResult; bot: BotWindow }>; ours: PairsSummary; theirs: PairsSummary };
  };
}

/** The shipped default (docs: value bets only if the setting learned on the first half did not lose on the second). */
export function valueVerdict(t: TimeframeResult): string {
  const v = t.value;
  if (!v) return 'not run';
  if (v.margin === null) return 'off: no margin earned money on the first half';
  if (v.outOfSample.pnl < 0) return `off: the margin learned on the first half (${v.margin}) lost $${(-v.outOfSample.pnl).toFixed(2)} on the second`;
  return `on: margin ${v.margin} earned $${v.outOfSample.pnl.toFixed(2)} on the second half`;
}

/** Anchor samples: each minute of each window (the model at that time, the Up mid, the outcome). */
export function anchorSamples(windows: readonly Resolved[], series: Map<Asset, MinuteSeries>): AnchorSample[] {
  const out: AnchorSample[] = [];
  for (const w of windows) {
    const { params } = paramsBefore(series.get(w.asset), w.windowStartMs);
    const minutes = (w.windowEndMs - w.windowStartMs) / 60_000;
    for (let m = 1; m < minutes; m++) {
      const s = sampleAt(w.samples, w.windowStartMs + m * 60_000, 60_000);
      if (!s || s.underlying === null || s.tMs < w.windowStartMs) continue;
      const mid = upMid(s);
      if (mid === null) continue;
      const pModel = probabilityUp({ ...params, spot: s.underlying, strike: s.strike ?? w.strike, secondsLeft: (w.windowEndMs - s.tMs) / 1000 });
      out.push({ pModel, pMarket: mid, y: w.outcome === 'UP' ? 1 : 0 });
    }
  }
  return out;
}

/** Everything for one timeframe: scores, value (fitted on the first half, reported on the second), pairs. */
export function runTimeframe(
  all: readonly RecordedWindow[],
  timeframe: Timeframe,
  cfg: RealMarketConfig,
  wallet: readonly WalletTrade[] | null,
): TimeframeResult {
  const windows = all.filter((w) => w.timeframe === timeframe);
  const index = new Map(windows.map((w, i) => [w, i]));
  const indexOf = (w: RecordedWindow) => index.get(w) ?? -1;
  const ok = windows.filter(resolved);
  const series = minuteSeries(windows);
  const half = Math.floor(ok.length / 2);
  const first = ok.slice(0, half);
  const second = ok.slice(half);
  const span = (ws: Resolved[]) => ({ windows: ws.length, fromMs: ws[0]?.windowStartMs ?? 0, toMs: ws[ws.length - 1]?.windowEndMs ?? 0 });
  const scores = modelVsMarket(windows, timeframe, series, indexOf);
  let value: TimeframeResult['value'] = null;
  if (cfg.strategies.value) {
    const anchor = cfg.value.anchor === 'fit' ? fitAnchor(anchorSamples(first, series)) : cfg.value.anchor;
    const marginTable = cfg.value.margins.map((margin) => {
      const a = runValue(first, cfg, anchor, margin, series, indexOf);
      const b = runValue(second, cfg, anchor, margin, series, indexOf);
      return { margin, firstHalf: { trades: a.trades.length, pnl: a.pnl }, secondHalf: { trades: b.trades.length, pnl: b.pnl } };
    });
    let margin: number | null;
    if (cfg.value.margin === 'learn') {
      const best = marginTable.reduce((b, r) => (r.firstHalf.pnl > b.firstHalf.pnl ? r : b), marginTable[0]!);
      margin = best && best.firstHalf.pnl > 0 ? best.margin : null;
    } else margin = cfg.value.margin;
    const outOfSample = margin === null ? runValue([], cfg, anchor, 0, series, indexOf) : runValue(second, cfg, anchor, margin, series, indexOf);
    const modelAloneOutOfSample = runValue(second, cfg, null, DEFAULT_STRATEGY.minEdge, series, indexOf);
    value = { anchor, margin, marginTable, outOfSample, modelAloneOutOfSample };
  }
  let pairs: TimeframeResult['pairs'] = null;
  if (cfg.strategies.pairs) {
    const allRun = runPairs(ok, cfg, cfg.fillRule, indexOf, series);
    const rows = (ws: Resolved[]) => allRun.perWindow.filter((r) => ws.some((w) => w.slug === r.slug));
    const byRule = FILL_RULES.map((rule) =>
      rule.name === cfg.fillRule.name ? pairsSummary(rule.name, allRun.perWindow) : pairsSummary(rule.name, runPairs(ok, cfg, rule, indexOf).perWindow),
    );
    let bot: NonNullable<TimeframeResult['pairs']>['bot'] = null;
    if (wallet) {
      const theirs = botWindows(wallet, ok);
      const ours = new Map(allRun.perWindow.map((r) => [r.slug, r]));
      const both = theirs.flatMap((b) => (ours.has(b.slug) ? [{ ours: ours.get(b.slug)!, bot: b }] : []));
      bot = {
        windows: both,
        ours: pairsSummary(
          'ours (default rule)',
          both.map((x) => x.ours),
        ),
        theirs: pairsSummary(
          'the real bot',
          both.map((x) => x.bot),
        ),
      };
    }
    pairs = { all: allRun, firstHalf: pairsSummary('first half', rows(first)), secondHalf: pairsSummary('second half', rows(second)), byRule, bot };
  }
  return {
    timeframe,
    windows: ok.length,
    skippedNoOutcome: windows.length - ok.length,
    firstHalf: span(first),
    secondHalf: span(second),
    scores,
    value,
    pairs,
  };
}

export { NO_FEE };
