/**
 * One-process replay with a simulated clock: consecutive 15-minute windows of a price history,
 * each step running the very same cores as the live workers — ValueBettingStrategy (analysis),
 * NoTradeGate and KellySizer with the event-sourced ledger (risk), the fill simulator and the
 * OrderManager (execution) — and each window settled on what really happened.
 */
import { pino } from 'pino';
import { readOracle, type Market, type OrderRequest, type TradeSignal } from '@polybot/shared';
import { applyEvent, bankrollOf, exposureOf, KellySizer, NoTradeGate, newLedger, DEFAULT_GATE, DEFAULT_SIZER, type Exposure, type GateConfig, type Ledger, type SizerConfig } from '@polybot/risk';
import { DEFAULT_STRATEGY, ValueBettingStrategy, leeMyklandFlags, logReturns, probabilityUp, type JumpParams, type StrategyConfig, type StrategyContext } from '@polybot/strategy';
import { OrderManager } from '@polybot/execution/orderManager';
import { walkBook } from '@polybot/execution/paper/fillSimulator';
import { DEFAULT_BOOK_MODEL, makerBooks, Rng, type BookModelConfig } from './bookModel.js';

export interface BacktestConfig {
  windowMinutes: number;
  /** Steps per window at which the strategy runs (minutes into the window). */
  stepMinutes: number[];
  minEdge: number;
  kellyFraction: number;
  bankrollUsd: number;
  maxOrderUsd: number;
  /** TWAP lookback in seconds for settlement (0: the point price). */
  twapSeconds: number;
  /** Latency from signal to fill, in steps of the price grid (0: the same step's book). */
  latencySteps: number;
  lookbackMinutes: number;
  book: BookModelConfig;
  seed: number;
  feeRate: number;
  /** Keep every step's strategy inputs and each decision's risk inputs (for the parity test; memory grows). */
  recordInputs?: boolean;
}

export const DEFAULT_BACKTEST: BacktestConfig = {
  windowMinutes: 15,
  stepMinutes: [1, 3, 5, 7, 9, 11, 13],
  minEdge: 0.02,
  kellyFraction: 0.25,
  bankrollUsd: 1_000,
  maxOrderUsd: 25,
  twapSeconds: 0,
  latencySteps: 0,
  lookbackMinutes: 1_440,
  book: DEFAULT_BOOK_MODEL,
  seed: 1,
  feeRate: 0.07,
};

export interface Trade {
  window: number;
  atMs: number;
  outcome: 'UP' | 'DOWN';
  price: number;
  shares: number;
  fee: number;
  modelP: number;
  won: boolean;
  pnl: number;
}

export interface Decision {
  signal: TradeSignal;
  shares: number;
  /** What risk saw, when `recordInputs`: re-running the live cores on it must give the same answer. */
  inputs?: { context: StrategyContext; bankrollUsd: number; exposure: Exposure; shrink: number; nowMs: number };
}

/** The cores exactly as the replay configures them: the live classes, never a re-implementation. */
export function coresFor(cfg: BacktestConfig): { strategy: ValueBettingStrategy; gate: NoTradeGate; sizer: KellySizer; strategyConfig: StrategyConfig; gateConfig: GateConfig; sizerConfig: SizerConfig } {
  const W = cfg.windowMinutes;
  const strategyConfig: StrategyConfig = { ...DEFAULT_STRATEGY, minEdge: cfg.minEdge, slotMs: W * 60_000 };
  // One-minute bars: the oracle, book and signal are up to a step old by construction.
  const gateConfig: GateConfig = { ...DEFAULT_GATE, maxOracleAgeMs: 60_000, maxSignalAgeMs: 60_000 + cfg.latencySteps * 60_000, maxBookAgeMs: 60_000, toxicity: 'ignore' };
  const sizerConfig: SizerConfig = { ...DEFAULT_SIZER, kellyFraction: cfg.kellyFraction, maxOrderUsd: cfg.maxOrderUsd, maxBankrollShare: 1, maxMarketExposureUsd: cfg.maxOrderUsd * 4, maxAssetExposureUsd: cfg.maxOrderUsd * 4, maxTotalExposureUsd: cfg.maxOrderUsd * 4 };
  return { strategy: new ValueBettingStrategy(strategyConfig), gate: new NoTradeGate(gateConfig), sizer: new KellySizer(sizerConfig), strategyConfig, gateConfig, sizerConfig };
}

export interface BacktestResult {
  windows: number;
  trades: Trade[];
  pnl: number;
  fees: number;
  hitRate: number;
  maxDrawdown: number;
  sharpePerWindow: number;
  brier: number;
  /** [window end ms, equity] after each window. */
  equity: Array<[number, number]>;
  calibration: Array<{ bucket: string; count: number; meanPredicted: number; observed: number }>;
  decisions: Decision[];
  /** Every strategy pass and the signal ids it produced, when `recordInputs`. */
  steps: Array<{ context: StrategyContext; signalIds: string[] }>;
}

const logger = pino({ level: 'silent' });

function paramsBefore(r: readonly number[], flags: readonly boolean[], end: number, lookback: number): JumpParams {
  const from = Math.max(1, end - lookback);
  const n = end - from;
  if (n < 60) return { sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0, jumpStd: 0.004 };
  let bp = 0;
  let jumps = 0;
  let js = 0;
  let jq = 0;
  for (let k = from; k < end; k++) {
    bp += Math.abs(r[k]!) * Math.abs(r[k - 1]!);
    if (flags[k]) {
      jumps++;
      js += r[k]!;
      jq += r[k]! * r[k]!;
    }
  }
  const yearsPerStep = 60 / (365 * 24 * 3600);
  const sigma = Math.min(3, Math.max(0.05, Math.sqrt(((Math.PI / 2) * (n / (n - 1)) * bp) / (n * yearsPerStep))));
  const mean = jumps ? js / jumps : 0;
  const sd = jumps > 1 ? Math.sqrt(Math.max(0, (jq - jumps * mean * mean) / (jumps - 1))) : 0.004;
  return { sigma, lambdaPerYear: Math.min(20_000, jumps / (n * yearsPerStep)), jumpMean: Math.max(-0.02, Math.min(0.02, mean)), jumpStd: Math.min(0.05, Math.max(0.0005, sd)) };
}

/**
 * @param closes one-minute closes on a regular grid
 * @param startMs time of closes[0]
 */
export function runBacktest(closes: readonly number[], startMs: number, cfg: BacktestConfig = DEFAULT_BACKTEST, onWindow?: (done: number, total: number) => void): BacktestResult {
  const rng = new Rng(cfg.seed);
  const W = cfg.windowMinutes;
  const r = logReturns(closes);
  const flags = r.length >= 600 ? leeMyklandFlags(r, 270, 0.01) : r.map(() => false);
  const { strategy, gate, sizer } = coresFor(cfg);
  let ledger: Ledger = newLedger(cfg.bankrollUsd);
  const placed = new Set<string>();
  const trades: Trade[] = [];
  const decisions: Decision[] = [];
  const steps: Array<{ context: StrategyContext; signalIds: string[] }> = [];
  const equity: Array<[number, number]> = [];
  const brierSamples: Array<[number, number]> = [];
  const windowPnls: number[] = [];
  const total = Math.floor((closes.length - 1) / W);
  const firstWindow = Math.ceil(Math.min(cfg.lookbackMinutes, closes.length / 4) / W);
  let windows = 0;
  for (let j = firstWindow; j < total; j++) {
    const s = j * W;
    const windowStartMs = startMs + s * 60_000;
    const windowEndMs = windowStartMs + W * 60_000;
    const twapSteps = Math.max(1, Math.round(cfg.twapSeconds / 60));
    const settle = (idx: number) => (cfg.twapSeconds > 0 ? avg(closes, idx - twapSteps + 1, idx) : closes[idx]!);
    const strike = settle(s);
    const final = settle(s + W);
    const winner: 'UP' | 'DOWN' = final >= strike ? 'UP' : 'DOWN';
    const conditionId = `0x${j.toString(16).padStart(16, '0')}${'0'.repeat(48)}`;
    const market: Market = {
      id: String(j),
      conditionId,
      slug: `bt-updown-${W}m-${windowStartMs / 1000}`,
      asset: 'BTC',
      intervalSeconds: W * 60,
      windowStartMs,
      windowEndMs,
      upTokenId: `${j * 2 + 1}`,
      downTokenId: `${j * 2 + 2}`,
      priceToBeat: strike,
      tickSize: 0.01,
      minOrderSize: 5,
      feeSchedule: { rate: cfg.feeRate, exponent: 1, takerOnly: true },
      settlement: cfg.twapSeconds > 0 ? { kind: 'twap', lookbackSeconds: cfg.twapSeconds } : { kind: 'point' },
      acceptingOrders: true,
      negRisk: false,
    };
    const params = paramsBefore(r, flags, s, cfg.lookbackMinutes);
    let windowPnl = 0;
    const held = { up: 0, down: 0, cost: 0, fees: 0 };
    // Orders live and die within their window: one manager per window keeps the replay linear.
    const manager = new OrderManager(null, logger);
    placed.clear(); // signal ids are per window
    for (const m of cfg.stepMinutes) {
      if (m >= W) continue;
      const nowMs = windowStartMs + m * 60_000;
      const spot = closes[s + m]!;
      const secondsLeft = (W - m) * 60;
      const books = makerBooks(cfg.book, { laggedSpot: closes[Math.max(0, s + m - cfg.book.lagSteps)]!, strike, secondsLeft, twapSeconds: cfg.twapSeconds, nowMs, upTokenId: market.upTokenId, downTokenId: market.downTokenId, conditionId }, rng);
      const avgSoFar = cfg.twapSeconds > 0 && secondsLeft < cfg.twapSeconds ? avg(closes, s + W - twapSteps + 1, s + m) : null;
      const context: StrategyContext = {
        nowMs,
        market,
        upBook: books.up,
        downBook: books.down,
        oracle: readOracle({ asset: 'BTC', price: spot, timestampMs: nowMs, source: 'sim' }, nowMs, 60_000),
        averageSoFar: avgSoFar,
        spotBefore: closes[s + m - 1] ?? spot,
        trades: { up: [], down: [] },
        params,
      };
      const ev = strategy.evaluate(context);
      if (cfg.recordInputs) steps.push({ context, signalIds: ev.signals.map((x) => x.id) });
      if (ev.probabilityUp !== null) brierSamples.push([ev.probabilityUp, winner === 'UP' ? 1 : 0]);
      for (const signal of ev.signals) {
        const verdict = gate.validate(signal, { nowMs, breakerOpen: false });
        if (!verdict.pass) continue;
        const bankrollUsd = bankrollOf(ledger);
        const exposure = exposureOf(ledger, conditionId, 'BTC');
        const size = sizer.size(signal, bankrollUsd, exposure, verdict.shrink);
        if (size.shares <= 0) continue;
        decisions.push(cfg.recordInputs ? { signal, shares: size.shares, inputs: { context, bankrollUsd, exposure, shrink: verdict.shrink, nowMs } } : { signal, shares: size.shares });
        // Fill against the book `latencySteps` later (the taker delay included in the step).
        const fillStep = Math.min(W - 1, m + cfg.latencySteps);
        const fillBooks = cfg.latencySteps > 0 ? makerBooks(cfg.book, { laggedSpot: closes[Math.max(0, s + fillStep - cfg.book.lagSteps)]!, strike, secondsLeft: (W - fillStep) * 60, twapSeconds: cfg.twapSeconds, nowMs: nowMs + cfg.latencySteps * 60_000, upTokenId: market.upTokenId, downTokenId: market.downTokenId, conditionId }, rng) : books;
        const book = signal.outcome === 'UP' ? fillBooks.up : fillBooks.down;
        const request: OrderRequest = {
          id: signal.id, signalId: signal.id, createdAtMs: nowMs, conditionId, asset: 'BTC', outcome: signal.outcome, tokenId: signal.tokenId, side: 'BUY',
          orderType: signal.orderType, postOnly: false, price: signal.limitPrice, size: size.shares, windowEndMs, tickSize: 0.01, minOrderSize: 5, negRisk: false,
          feeRate: cfg.feeRate, sizing: { bankrollUsd: bankrollOf(ledger), kellyFraction: signal.kellyFraction * cfg.kellyFraction, notionalUsd: size.notionalUsd, cappedBy: size.cappedBy },
        };
        const filled = walkBook({ side: 'BUY', limitPrice: signal.limitPrice, size: size.shares, orderType: signal.orderType, levels: book.asks, feeRate: cfg.feeRate });
        // One decision per side per slot, as live: a repeated signal id is the same decision.
        if (placed.has(request.id)) continue;
        placed.add(request.id);
        manager.create(request, `bt-${request.id}`, {}, nowMs);
        let k = 0;
        for (const f of filled.fills) {
          const tradeId = `bt-${request.id}-${k++}`;
          manager.applyFill(request.id, { tradeId, size: f.size, price: f.price, fee: f.fee, status: 'CONFIRMED', atMs: nowMs }, nowMs);
          ledger = applyEvent(ledger, { id: `fill-${tradeId}`, atMs: nowMs, type: 'fill', orderId: request.id, signalId: signal.id, conditionId, asset: 'BTC', outcome: signal.outcome, tradeId, status: 'CONFIRMED', size: f.size, price: f.price, fee: f.fee }).ledger;
          if (signal.outcome === 'UP') held.up += f.size;
          else held.down += f.size;
          held.cost += f.size * f.price;
          held.fees += f.fee;
          const won = signal.outcome === winner;
          const pnl = (won ? f.size : 0) - f.size * f.price - f.fee;
          windowPnl += pnl;
          trades.push({ window: j, atMs: nowMs, outcome: signal.outcome, price: f.price, shares: f.size, fee: f.fee, modelP: signal.modelProbability, won, pnl });
        }
        if (filled.remaining > 0) manager.transition(request.id, 'canceled', nowMs, 'FAK remainder');
      }
    }
    // Settle the window on what happened.
    if (held.cost > 0) {
      const payout = winner === 'UP' ? held.up : held.down;
      ledger = applyEvent(ledger, { id: `set-${conditionId}`, atMs: windowEndMs, type: 'settlement', conditionId, asset: 'BTC', winner, upShares: held.up, downShares: held.down, costUsd: held.cost, feesUsd: held.fees, payoutUsd: payout, realisedPnlUsd: payout - held.cost - held.fees }).ledger;
    }
    windows++;
    windowPnls.push(windowPnl);
    equity.push([windowEndMs, Number((cfg.bankrollUsd + ledger.realisedPnlUsd).toFixed(6))]);
    onWindow?.(j - firstWindow + 1, total - firstWindow);
  }
  let peak = cfg.bankrollUsd;
  let maxDrawdown = 0;
  for (const [, e] of equity) {
    peak = Math.max(peak, e);
    maxDrawdown = Math.max(maxDrawdown, peak - e);
  }
  const mean = windowPnls.reduce((a, b) => a + b, 0) / Math.max(1, windowPnls.length);
  const sd = Math.sqrt(windowPnls.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, windowPnls.length - 1));
  const buckets = Array.from({ length: 10 }, () => ({ ps: 0, ys: 0, n: 0 }));
  for (const [p, y] of brierSamples) {
    const b = buckets[Math.min(9, Math.floor(p * 10))]!;
    b.ps += p;
    b.ys += y;
    b.n++;
  }
  const pnl = trades.reduce((a, t) => a + t.pnl, 0);
  return {
    windows,
    trades,
    pnl: round6(pnl),
    fees: round6(trades.reduce((a, t) => a + t.fee, 0)),
    hitRate: trades.length ? trades.filter((t) => t.won).length / trades.length : 0,
    maxDrawdown: round6(maxDrawdown),
    sharpePerWindow: sd > 0 ? mean / sd : 0,
    brier: brierSamples.length ? brierSamples.reduce((a, [p, y]) => a + (p - y) ** 2, 0) / brierSamples.length : NaN,
    equity,
    calibration: buckets.flatMap((b, i) => (b.n ? [{ bucket: `${(i / 10).toFixed(1)}-${((i + 1) / 10).toFixed(1)}`, count: b.n, meanPredicted: b.ps / b.n, observed: b.ys / b.n }] : [])),
    decisions,
    steps,
  };
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
function avg(xs: readonly number[], from: number, to: number): number {
  let s = 0;
  let n = 0;
  for (let i = Math.max(0, from); i <= to; i++) {
    s += xs[i]!;
    n++;
  }
  return s / n;
}

/** Bars per second replaying a year of one-minute bars (the shipped month repeated). */
export function benchBacktest(closes: readonly number[], years = 1): { barsPerSec: number; bars: number; seconds: number } {
  const target = Math.round(365 * 1440 * years);
  const long: number[] = [];
  let scale = 1;
  while (long.length < target) {
    for (let i = 0; i < closes.length && long.length < target; i++) long.push(closes[i]! * scale);
    scale = long[long.length - 1]! / closes[0]!; // continue from the last level: no artificial gap
  }
  const t = performance.now();
  runBacktest(long, 0, { ...DEFAULT_BACKTEST, lookbackMinutes: 1_440 });
  const seconds = (performance.now() - t) / 1000;
  return { barsPerSec: Math.round(long.length / seconds), bars: long.length, seconds: Math.round(seconds * 100) / 100 };
}

export { probabilityUp };
