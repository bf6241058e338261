/**
 * One-process replay with a simulated clock: consecutive 15-minute windows of a price history,
 * each step running the very same cores as the live workers — ValueBettingStrategy (analysis),
 * decideSignal (NoTradeGate and KellySizer) with the event-sourced ledger and the breaker rules (risk), the fill simulator and the
 * OrderManager (execution) — and each window settled on what really happened.
 */
import { pino } from 'pino';
import { feeOf, readOracle, type Asset, type Market, type TradeSignal } from '@polybot/shared';
import {
  consecutiveLossesRule,
  dayOf,
  decideSignal,
  drawdownRule,
  KellySizer,
  NoTradeGate,
  newLedger,
  DEFAULT_GATE,
  DEFAULT_SIZER,
  type GateConfig,
  type Ledger,
  type SizerConfig,
} from '@polybot/risk';
import {
  CALIBRATION_LOOKBACK_MS,
  DEFAULT_STRATEGY,
  estimateJumpDiffusion,
  FALLBACK_PARAMS,
  ValueBettingStrategy,
  probabilityUp,
  type JumpParams,
  type StrategyConfig,
  type StrategyContext,
  type ToxicityConfig,
} from '@polybot/strategy';
import { OrderManager } from '@polybot/execution';
import { walkBook } from '@polybot/execution';
import { DEFAULT_BOOK_MODEL, makerBooks, Rng, type BookModelConfig } from './bookModel.js';
import { bookOrder, emptyHeld, settleHeld } from './positions.js';
import { brierScore, summarise, type RunResult, type ScoredPrediction, type SettledWindow, type Trade } from './results.js';

export interface BacktestConfig {
  /** The asset the markets are labelled with (the data must be of that asset: the CLI checks). */
  asset?: Asset;
  windowMinutes: number;
  /** Steps per window at which the strategy runs (minutes into the window). */
  stepMinutes: number[];
  minEdge: number;
  kellyFraction: number;
  bankrollUsd: number;
  maxOrderUsd: number;
  /** TWAP lookback in seconds for settlement (0: the point price). */
  twapSeconds: number;
  /**
   * Signal to fill, the taker delay included (ms). The fill walks the maker's book as quoted at
   * that later time: between one-minute closes the price is interpolated linearly in log price.
   */
  latencyMs: number;
  lookbackMinutes: number;
  book: BookModelConfig;
  /** The live circuit-breaker rules on simulated time (null disables a rule). */
  breaker: { maxDailyLossUsd: number | null; maxConsecutiveLosses: number | null; cooldownMs: number };
  seed: number;
  feeRate: number;
  /** The strategy's toxicity thresholds (the config file's strategy.toxicity; default: the live defaults). */
  toxicity?: ToxicityConfig;
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
  latencyMs: 0,
  // As the analysis worker's calibration (CALIBRATION_LOOKBACK_MS, three hours).
  lookbackMinutes: CALIBRATION_LOOKBACK_MS / 60_000,
  book: DEFAULT_BOOK_MODEL,
  // As the live risk worker's defaults (RISK_MAX_DAILY_LOSS_USD, RISK_MAX_CONSECUTIVE_LOSSES, RISK_COOLDOWN_MS).
  breaker: { maxDailyLossUsd: 100, maxConsecutiveLosses: 8, cooldownMs: 300_000 },
  seed: 1,
  feeRate: 0.07,
};

export type { Trade };

export interface Decision {
  signal: TradeSignal;
  shares: number;
  /** What risk saw, when `recordInputs`: re-running the live cores on it must give the same answer. */
  inputs?: { ledger: Ledger; breakerOpen: boolean; nowMs: number };
}

/** The cores exactly as the replay configures them: the live classes, never a re-implementation. */
export function coresFor(cfg: BacktestConfig): {
  strategy: ValueBettingStrategy;
  gate: NoTradeGate;
  sizer: KellySizer;
  strategyConfig: StrategyConfig;
  gateConfig: GateConfig;
  sizerConfig: SizerConfig;
} {
  const W = cfg.windowMinutes;
  const strategyConfig: StrategyConfig = { ...DEFAULT_STRATEGY, minEdge: cfg.minEdge, slotMs: W * 60_000, ...(cfg.toxicity ? { toxicity: cfg.toxicity } : {}) };
  // One-minute bars: the oracle and book are up to a step old by construction.
  const gateConfig: GateConfig = { ...DEFAULT_GATE, maxOracleAgeMs: 60_000, maxSignalAgeMs: 60_000, maxBookAgeMs: 60_000, toxicity: 'ignore' };
  const sizerConfig: SizerConfig = {
    ...DEFAULT_SIZER,
    kellyFraction: cfg.kellyFraction,
    maxOrderUsd: cfg.maxOrderUsd,
    maxBankrollShare: 1,
    maxMarketExposureUsd: cfg.maxOrderUsd * 4,
    maxAssetExposureUsd: cfg.maxOrderUsd * 4,
    maxTotalExposureUsd: cfg.maxOrderUsd * 4,
  };
  return {
    strategy: new ValueBettingStrategy(strategyConfig),
    gate: new NoTradeGate(gateConfig),
    sizer: new KellySizer(sizerConfig),
    strategyConfig,
    gateConfig,
    sizerConfig,
  };
}

export interface BacktestResult extends RunResult {
  decisions: Decision[];
  /** Every strategy pass and the signals it produced, when `recordInputs`. */
  steps: Array<{ context: StrategyContext; signals: TradeSignal[] }>;
  /** Circuit-breaker trips on simulated time (the live rules). */
  breakerTrips: Array<{ atMs: number; kind: string; reason: string }>;
  /** Model predictions scored once per window, at the first strategy step (one per window, not per pass). */
  brierPerWindow: number;
}

const logger = pino({ level: 'silent' });

/** Parameters for a window from the bars before it only, by the live estimator (one-minute spacing). */
function paramsBefore(closes: readonly number[], start: number, lookbackMinutes: number): JumpParams {
  const e = estimateJumpDiffusion(closes.slice(Math.max(0, start - lookbackMinutes), start + 1), 60, FALLBACK_PARAMS);
  return { sigma: e.sigma, lambdaPerYear: e.lambdaPerYear, jumpMean: e.jumpMean, jumpStd: e.jumpStd };
}

/** The price `minutes` (fractional) after closes[0]: linear in log price between one-minute closes. */
function priceAt(closes: readonly number[], minutes: number): number {
  const i = Math.max(0, Math.min(closes.length - 1, Math.floor(minutes)));
  const f = minutes - i;
  if (f <= 0 || i + 1 >= closes.length) return closes[i]!;
  return closes[i]! * Math.exp(f * Math.log(closes[i + 1]! / closes[i]!));
}

/**
 * @param closes one-minute closes on a regular grid
 * @param startMs time of closes[0]
 */
export function runBacktest(
  closes: readonly number[],
  startMs: number,
  cfg: BacktestConfig = DEFAULT_BACKTEST,
  onWindow?: (done: number, total: number) => void,
): BacktestResult {
  const rng = new Rng(cfg.seed);
  const W = cfg.windowMinutes;
  const asset: Asset = cfg.asset ?? 'BTC';
  const cores = coresFor(cfg);
  const { strategy } = cores;
  const rules = [
    ...(cfg.breaker.maxDailyLossUsd !== null ? [drawdownRule(cfg.breaker.maxDailyLossUsd)] : []),
    ...(cfg.breaker.maxConsecutiveLosses !== null ? [consecutiveLossesRule(cfg.breaker.maxConsecutiveLosses)] : []),
  ];
  // Open until this time (a drawdown trip holds to the next UTC day: live it waits for a human).
  let breakerOpenUntil = -Infinity;
  const breakerTrips: BacktestResult['breakerTrips'] = [];
  const ledger: Ledger = newLedger(cfg.bankrollUsd);
  const trades: Trade[] = [];
  const decisions: Decision[] = [];
  const steps: BacktestResult['steps'] = [];
  const settledWindows: SettledWindow[] = [];
  const predictions: ScoredPrediction[] = [];
  const perWindow: ScoredPrediction[] = [];
  const total = Math.floor((closes.length - 1) / W);
  const firstWindow = Math.ceil(Math.min(cfg.lookbackMinutes, closes.length / 4) / W);
  const twapSteps = Math.max(1, Math.round(cfg.twapSeconds / 60));
  const settle = (idx: number) => (cfg.twapSeconds > 0 ? avg(closes, idx - twapSteps + 1, idx) : closes[idx]!);
  const lagMinutes = cfg.book.lagSteps;
  for (let j = firstWindow; j < total; j++) {
    const s = j * W;
    const windowStartMs = startMs + s * 60_000;
    const windowEndMs = windowStartMs + W * 60_000;
    const strike = settle(s);
    const winner: 'UP' | 'DOWN' = settle(s + W) >= strike ? 'UP' : 'DOWN';
    const conditionId = `0x${j.toString(16).padStart(16, '0')}${'0'.repeat(48)}`;
    const market: Market = {
      id: String(j),
      conditionId,
      slug: `bt-${asset.toLowerCase()}-updown-${W}m-${windowStartMs / 1000}`,
      asset,
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
    const params = paramsBefore(closes, s, cfg.lookbackMinutes);
    const y: 0 | 1 = winner === 'UP' ? 1 : 0;
    let windowPnl = 0;
    let scoredThisWindow = false;
    const held = emptyHeld();
    // Orders live and die within their window: one manager per window keeps the replay linear.
    const manager = new OrderManager(null, logger);
    const book = { manager, ledger, held, prefix: 'bt' };
    const booksAt = (minute: number, nowMs: number) =>
      makerBooks(
        cfg.book,
        {
          laggedSpot: priceAt(closes, Math.max(0, s + minute - lagMinutes)),
          strike,
          secondsLeft: (W - minute) * 60,
          twapSeconds: cfg.twapSeconds,
          nowMs,
          upTokenId: market.upTokenId,
          downTokenId: market.downTokenId,
          conditionId,
        },
        rng,
      );
    for (const m of cfg.stepMinutes) {
      if (m >= W) continue;
      const nowMs = windowStartMs + m * 60_000;
      const spot = closes[s + m]!;
      const secondsLeft = (W - m) * 60;
      const books = booksAt(m, nowMs);
      const avgSoFar = cfg.twapSeconds > 0 && secondsLeft < cfg.twapSeconds ? avg(closes, s + W - twapSteps + 1, s + m) : null;
      const context: StrategyContext = {
        nowMs,
        market,
        upBook: books.up,
        downBook: books.down,
        oracle: readOracle({ asset, price: spot, timestampMs: nowMs, source: 'sim' }, nowMs, 60_000),
        averageSoFar: avgSoFar,
        spotBefore: closes[s + m - 1] ?? spot,
        trades: { up: [], down: [] },
        params,
      };
      const ev = strategy.evaluate(context);
      if (cfg.recordInputs) steps.push({ context, signals: ev.signals });
      if (ev.probabilityUp !== null) {
        predictions.push([ev.probabilityUp, y]);
        if (!scoredThisWindow) perWindow.push([ev.probabilityUp, y]);
        scoredThisWindow = true;
      }
      for (const signal of ev.signals) {
        // One decision per side per slot, as live: a repeated signal id is the same decision.
        if (manager.get(signal.id)) continue;
        const breakerOpen = nowMs < breakerOpenUntil;
        const recorded = cfg.recordInputs ? structuredClone(ledger) : null;
        const d = decideSignal(signal, { nowMs, breakerOpen, ledger }, cores);
        if (!d.accept) continue;
        const { request } = d;
        decisions.push(recorded ? { signal, shares: request.size, inputs: { ledger: recorded, breakerOpen, nowMs } } : { signal, shares: request.size });
        // The fill walks the book as the maker quotes it `latencyMs` later.
        const fillMinute = Math.min(W - 1 / 60, m + cfg.latencyMs / 60_000);
        const fillAtMs = nowMs + Math.round((fillMinute - m) * 60_000);
        const fillBooks = cfg.latencyMs > 0 ? booksAt(fillMinute, fillAtMs) : books;
        const asks = (signal.outcome === 'UP' ? fillBooks.up : fillBooks.down).asks;
        const filled = walkBook({
          side: 'BUY',
          limitPrice: request.price,
          size: request.size,
          orderType: request.orderType,
          levels: asks,
          feeRate: request.feeRate,
          feeExponent: feeOf(request).exponent,
        });
        bookOrder(book, request, filled, nowMs, fillAtMs);
        for (const f of filled.fills) {
          const won = signal.outcome === winner;
          const pnl = (won ? f.size : 0) - f.size * f.price - f.fee;
          windowPnl += pnl;
          trades.push({
            window: j,
            atMs: fillAtMs,
            outcome: signal.outcome,
            price: f.price,
            shares: f.size,
            fee: f.fee,
            modelP: signal.modelProbability,
            won,
            pnl,
          });
        }
      }
    }
    // Settle the window on what happened, then let the live breaker rules look at the ledger.
    if (held.cost > 0) {
      settleHeld(ledger, held, { conditionId, asset, winner, atMs: windowEndMs });
      if (windowEndMs >= breakerOpenUntil) {
        for (const rule of rules) {
          const v = rule.evaluate(windowEndMs, ledger);
          if (!v.trip) continue;
          breakerOpenUntil = v.kind === 'drawdown' ? Date.parse(`${dayOf(windowEndMs)}T00:00:00Z`) + 86_400_000 : windowEndMs + cfg.breaker.cooldownMs;
          breakerTrips.push({ atMs: windowEndMs, kind: v.kind, reason: v.reason });
          break;
        }
      }
    }
    settledWindows.push({ endMs: windowEndMs, pnl: windowPnl });
    onWindow?.(j - firstWindow + 1, total - firstWindow);
  }
  return {
    ...summarise({ trades, windows: settledWindows, predictions, bankrollUsd: cfg.bankrollUsd }),
    brierPerWindow: brierScore(perWindow),
    decisions,
    steps,
    breakerTrips,
  };
}

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
  runBacktest(long, 0, DEFAULT_BACKTEST);
  const seconds = (performance.now() - t) / 1000;
  return { barsPerSec: Math.round(long.length / seconds), bars: long.length, seconds: Math.round(seconds * 100) / 100 };
}

export { probabilityUp };
