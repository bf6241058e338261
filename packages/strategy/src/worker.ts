/**
 * The analysis process (scales horizontally): prices each Market job from its books and the oracle,
 * emits TradeSignals, and publishes what it saw for the status page.
 */
import { z } from 'zod';
import { readOracle, type Asset, type Market } from '@polybot/shared';
import { configOrExit, parseEnv } from '@polybot/shared/config';
import { metrics } from '@polybot/shared/metrics';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { startWorkerRuntime } from '@polybot/shared/runtime';
import { ExecutionStatusSchema, statusStore } from '@polybot/shared/status';
import { createBookClient } from '@polybot/ingestion/http';
import { createBookCache, createOracleStore, createTradeTape } from '@polybot/ingestion/stores';
import type { JumpParams } from './jumpDiffusionModel.js';
import { DEFAULT_TOXICITY } from './toxicityFilter.js';
import { calibrateParams, CALIBRATION_EVERY_MS, CALIBRATION_LOOKBACK_MS, FALLBACK_PARAMS, RECENT_MS, spotBefore, twapAverageSoFar } from './passInputs.js';
import { ANCHOR_BTC_15M, buildStrategies, VALUE_MODES } from './liveStrategies.js';
import { DEFAULT_PAIR_ACCUMULATOR, inventoryOf } from './pairAccumulator.js';

const EnvSchema = z.object({
  ANALYSIS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  STRATEGY_MIN_EDGE: z.coerce.number().min(0).max(0.5).default(0.02),
  STRATEGY_SLOT_MS: z.coerce.number().int().min(1_000).default(10_000),
  STRATEGY_MAX_ORACLE_AGE_MS: z.coerce.number().int().positive().default(5_000),
  STRATEGY_CALIBRATION_MS: z.coerce.number().int().min(5_000).default(CALIBRATION_EVERY_MS),
  /** Books from the market channel younger than this are used as they are; older ones are re-read over REST. */
  STRATEGY_MAX_BOOK_AGE_MS: z.coerce.number().int().min(100).default(2_000),
  /** Defaults used until enough oracle history exists (annualised σ, jumps per year, log-jump mean/std). */
  STRATEGY_DEFAULT_SIGMA: z.coerce.number().positive().default(FALLBACK_PARAMS.sigma),
  STRATEGY_DEFAULT_LAMBDA_PER_YEAR: z.coerce.number().nonnegative().default(FALLBACK_PARAMS.lambdaPerYear),
  STRATEGY_DEFAULT_JUMP_STD: z.coerce.number().nonnegative().default(FALLBACK_PARAMS.jumpStd),
  /** Toxicity thresholds (the config file's strategy.toxicity); unset ones keep DEFAULT_TOXICITY. */
  STRATEGY_TOXICITY_IMBALANCE: z.coerce.number().min(0).max(1).optional(),
  STRATEGY_TOXICITY_MIN_VOLUME: z.coerce.number().nonnegative().optional(),
  STRATEGY_TOXICITY_LOOKBACK_MS: z.coerce.number().int().positive().optional(),
  STRATEGY_TOXICITY_SPOT_MOVE: z.coerce.number().positive().optional(),
  STRATEGY_TOXICITY_SPOT_MOVE_WINDOW_MS: z.coerce.number().int().positive().optional(),
  STRATEGY_TOXICITY_VPIN_BUCKET: z.coerce.number().positive().optional(),
  STRATEGY_TOXICITY_VPIN_BUCKETS: z.coerce.number().int().positive().optional(),
  STRATEGY_TOXICITY_VPIN: z.coerce.number().min(0).max(1).optional(),
  STRATEGY_TOXICITY_BOOK_SPEED: z.coerce.number().positive().optional(),
  STRATEGY_TOXICITY_BOOK_SPEED_SHORT_MS: z.coerce.number().int().positive().optional(),
  STRATEGY_TOXICITY_BOOK_SPEED_LONG_MS: z.coerce.number().int().positive().optional(),
  STRATEGY_TOXICITY_BOOK_SPEED_MIN_CHANGES: z.coerce.number().int().nonnegative().optional(),
  /**
   * Which strategies run (liveStrategies.ts): value bets on the model, on the market-anchored fair
   * value, or none; pair accumulation on or off. Unset, value bets run on the sim venue only: on
   * the recorded Polymarket markets no setting earned money out of sample (backtest README), so
   * paper and live take none unless asked.
   */
  STRATEGY_VALUE: z.enum(VALUE_MODES).optional(),
  STRATEGY_ANCHOR_INTERCEPT: z.coerce.number().finite().default(ANCHOR_BTC_15M.intercept),
  STRATEGY_ANCHOR_W_MODEL: z.coerce.number().finite().default(ANCHOR_BTC_15M.wModel),
  STRATEGY_ANCHOR_W_MARKET: z.coerce.number().finite().default(ANCHOR_BTC_15M.wMarket),
  STRATEGY_PAIRS: z.enum(['off', 'on']).default('off'),
  STRATEGY_PAIRS_MAX_PAIR_COST: z.coerce.number().gt(0).lt(1).default(DEFAULT_PAIR_ACCUMULATOR.maxPairCost),
  STRATEGY_PAIRS_CLIP_SHARES: z.coerce.number().positive().default(DEFAULT_PAIR_ACCUMULATOR.clipShares),
  STRATEGY_PAIRS_MAX_UNMATCHED_SHARES: z.coerce.number().nonnegative().default(DEFAULT_PAIR_ACCUMULATOR.maxUnmatchedShares),
  STRATEGY_PAIRS_STOP_BEFORE_END_S: z.coerce.number().nonnegative().default(DEFAULT_PAIR_ACCUMULATOR.stopBeforeEndSec),
  STRATEGY_PAIRS_MAX_WINDOW_SPEND_USD: z.coerce.number().positive().default(DEFAULT_PAIR_ACCUMULATOR.maxWindowSpendUsd),
  STRATEGY_PAIRS_SLOT_MS: z.coerce.number().int().min(1_000).default(DEFAULT_PAIR_ACCUMULATOR.slotMs),
  /** A number, or 'off' for no taker catch-up. */
  STRATEGY_PAIRS_CATCH_UP_PAIR_COST: z.union([z.literal('off'), z.coerce.number().gt(0).max(1)]).default(DEFAULT_PAIR_ACCUMULATOR.catchUpPairCost ?? 'off'),
});

export async function runWorker(): Promise<void> {
  const rt = startWorkerRuntime('analysis');
  const env = configOrExit(() => parseEnv(EnvSchema, process.env), 'analysis');
  const { config, logger, redis } = rt;
  const books = createBookClient({ clobUrl: config.clobUrl, logger });
  const bookCache = createBookCache(redis, config.queuePrefix);
  async function getBooks(up: string, down: string, nowMs: number) {
    const [a, b] = await Promise.all([bookCache.get(up, nowMs, env.STRATEGY_MAX_BOOK_AGE_MS), bookCache.get(down, nowMs, env.STRATEGY_MAX_BOOK_AGE_MS)]);
    if (a && b)
      return new Map([
        [up, a],
        [down, b],
      ]);
    return books.getBooks([up, down]); // the REST fallback, one call for both
  }
  const oracle = createOracleStore(redis, config.queuePrefix);
  const tape = createTradeTape(redis, config.queuePrefix);
  const status = statusStore(redis, config.queuePrefix);
  const signals = new Producer('signals', rt.queues);
  const valueMode = env.STRATEGY_VALUE ?? (config.venue === 'sim' ? 'model' : 'off');
  const strategies = buildStrategies({
    value: valueMode,
    anchor: { intercept: env.STRATEGY_ANCHOR_INTERCEPT, wModel: env.STRATEGY_ANCHOR_W_MODEL, wMarket: env.STRATEGY_ANCHOR_W_MARKET },
    pairs:
      env.STRATEGY_PAIRS === 'on'
        ? {
            maxPairCost: env.STRATEGY_PAIRS_MAX_PAIR_COST,
            clipShares: env.STRATEGY_PAIRS_CLIP_SHARES,
            maxUnmatchedShares: env.STRATEGY_PAIRS_MAX_UNMATCHED_SHARES,
            stopBeforeEndSec: env.STRATEGY_PAIRS_STOP_BEFORE_END_S,
            maxWindowSpendUsd: env.STRATEGY_PAIRS_MAX_WINDOW_SPEND_USD,
            slotMs: env.STRATEGY_PAIRS_SLOT_MS,
            catchUpPairCost: env.STRATEGY_PAIRS_CATCH_UP_PAIR_COST === 'off' ? null : env.STRATEGY_PAIRS_CATCH_UP_PAIR_COST,
          }
        : null,
    strategy: {
      minEdge: env.STRATEGY_MIN_EDGE,
      slotMs: env.STRATEGY_SLOT_MS,
      maxOracleAgeMs: env.STRATEGY_MAX_ORACLE_AGE_MS,
      toxicity: {
        imbalanceThreshold: env.STRATEGY_TOXICITY_IMBALANCE ?? DEFAULT_TOXICITY.imbalanceThreshold,
        minVolume: env.STRATEGY_TOXICITY_MIN_VOLUME ?? DEFAULT_TOXICITY.minVolume,
        lookbackMs: env.STRATEGY_TOXICITY_LOOKBACK_MS ?? DEFAULT_TOXICITY.lookbackMs,
        spotMoveThreshold: env.STRATEGY_TOXICITY_SPOT_MOVE ?? DEFAULT_TOXICITY.spotMoveThreshold,
        spotMoveWindowMs: env.STRATEGY_TOXICITY_SPOT_MOVE_WINDOW_MS ?? DEFAULT_TOXICITY.spotMoveWindowMs,
        vpinBucketVolume: env.STRATEGY_TOXICITY_VPIN_BUCKET ?? DEFAULT_TOXICITY.vpinBucketVolume,
        vpinBuckets: env.STRATEGY_TOXICITY_VPIN_BUCKETS ?? DEFAULT_TOXICITY.vpinBuckets,
        vpinThreshold: env.STRATEGY_TOXICITY_VPIN ?? DEFAULT_TOXICITY.vpinThreshold,
        bookSpeedThreshold: env.STRATEGY_TOXICITY_BOOK_SPEED ?? DEFAULT_TOXICITY.bookSpeedThreshold,
        bookSpeedShortMs: env.STRATEGY_TOXICITY_BOOK_SPEED_SHORT_MS ?? DEFAULT_TOXICITY.bookSpeedShortMs,
        bookSpeedLongMs: env.STRATEGY_TOXICITY_BOOK_SPEED_LONG_MS ?? DEFAULT_TOXICITY.bookSpeedLongMs,
        bookSpeedMinChanges: env.STRATEGY_TOXICITY_BOOK_SPEED_MIN_CHANGES ?? DEFAULT_TOXICITY.bookSpeedMinChanges,
      },
    },
  });
  const fallback: JumpParams = {
    sigma: env.STRATEGY_DEFAULT_SIGMA,
    lambdaPerYear: env.STRATEGY_DEFAULT_LAMBDA_PER_YEAR,
    jumpMean: 0,
    jumpStd: env.STRATEGY_DEFAULT_JUMP_STD,
  };
  // Calibrated on a schedule, not per call.
  const calibrated = new Map<Asset, { atMs: number; params: JumpParams }>();
  async function paramsFor(asset: Asset, nowMs: number): Promise<JumpParams> {
    const c = calibrated.get(asset);
    if (c && nowMs - c.atMs < env.STRATEGY_CALIBRATION_MS) return c.params;
    const hist = await oracle.history(asset, nowMs - CALIBRATION_LOOKBACK_MS, nowMs);
    const { params, estimate: est } = calibrateParams(hist, fallback);
    calibrated.set(asset, { atMs: nowMs, params });
    logger.info({ asset, ...params, returns: est.returns, jumps: est.jumps }, 'calibrated');
    return params;
  }

  async function analyse(market: Market, tickAtMs: number): Promise<void> {
    const nowMs = Date.now();
    if (nowMs >= market.windowEndMs) return;
    const [bookMap, latest, params] = await Promise.all([
      getBooks(market.upTokenId, market.downTokenId, nowMs),
      oracle.latest(market.asset),
      paramsFor(market.asset, nowMs),
    ]);
    const reading = readOracle(latest, nowMs, env.STRATEGY_MAX_ORACLE_AGE_MS);
    const recent = await oracle.history(market.asset, nowMs - RECENT_MS, nowMs);
    const averageSoFar = twapAverageSoFar(market, recent, nowMs);
    const before = spotBefore(recent, nowMs);
    const changesSince = nowMs - DEFAULT_TOXICITY.bookSpeedLongMs;
    const [upTrades, downTrades, upChanges, downChanges] = await Promise.all([
      tape.recent(market.upTokenId, nowMs - 60_000),
      tape.recent(market.downTokenId, nowMs - 60_000),
      bookCache.changes(market.upTokenId, changesSince),
      bookCache.changes(market.downTokenId, changesSince),
    ]);
    const ev = strategies.value.evaluate({
      nowMs,
      market,
      upBook: bookMap.get(market.upTokenId) ?? null,
      downBook: bookMap.get(market.downTokenId) ?? null,
      oracle: reading,
      averageSoFar,
      spotBefore: before,
      trades: { up: upTrades, down: downTrades },
      bookChanges: { up: upChanges, down: downChanges },
      params,
      tickAtMs,
    });
    metrics.marketsPriced.inc();
    // Reported for inventory already held; risk and execution do not act on it.
    if (ev.reverseArbitrage) logger.info({ slug: market.slug, ...ev.reverseArbitrage }, 'reverse arbitrage: held Up+Down pairs sell above 1 after fees');
    // Pair accumulation: bids from the inventory held. The inventory is read from the execution
    // worker's published status (positions with pending fills): a stand-in until a position feed
    // exists for trading decisions (see packages/backtest/README.md).
    const accumulate = strategies.pairs
      ? strategies.pairs.evaluate({
          nowMs,
          market,
          upBook: bookMap.get(market.upTokenId) ?? null,
          downBook: bookMap.get(market.downTokenId) ?? null,
          oracle: reading,
          inventory: inventoryOf((await status.get('execution', ExecutionStatusSchema))?.positions ?? [], market.conditionId),
          params,
        }).signals
      : [];
    for (const s of [...(strategies.sendValue ? ev.signals : []), ...accumulate]) {
      await signals.add(s, s.id);
      metrics.signalsEmitted.inc({ kind: s.kind });
      logger.info({ signalId: s.id, slug: market.slug, outcome: s.outcome, edge: s.edge, limit: s.limitPrice, p: s.modelProbability }, 'signal');
    }
    if (ev.pair) {
      // Both legs in one job, so risk decides them as one.
      await signals.add(ev.pair, ev.pair.id);
      metrics.signalsEmitted.inc({ kind: 'arbitrage' });
      logger.info(
        { signalId: ev.pair.id, slug: market.slug, shares: ev.pair.shares, costPerPair: ev.pair.costPerPair, guaranteedProfitUsd: ev.pair.guaranteedProfitUsd },
        'arbitrage pair',
      );
    }
    await status.putMarket({
      conditionId: market.conditionId,
      slug: market.slug,
      asset: market.asset,
      windowStartMs: market.windowStartMs,
      windowEndMs: market.windowEndMs,
      priceToBeat: market.priceToBeat,
      oraclePrice: reading.price?.price ?? null,
      oracleTimestampMs: reading.price?.timestampMs ?? null,
      modelProbabilityUp: ev.probabilityUp,
      bookMidUp: ev.bookMidUp,
      edge: ev.bestEdge,
      lastSignalId: ev.pair?.id ?? ev.signals[0]?.id ?? null,
      decision: ev.decision,
      updatedAtMs: nowMs,
    });
  }

  const worker = createConsumer('markets', async ({ market, refreshedAtMs }) => analyse(market, refreshedAtMs), rt.queues, {
    concurrency: env.ANALYSIS_CONCURRENCY,
  });
  rt.shutdown.add('markets worker', () => worker.close());
  rt.shutdown.add('signals producer', () => signals.close());
  const prune = setInterval(() => void status.pruneMarkets(Date.now() - 120_000).catch(() => undefined), 30_000);
  rt.shutdown.add('prune', () => clearInterval(prune));
  logger.info({ minEdge: env.STRATEGY_MIN_EDGE, value: valueMode, pairs: env.STRATEGY_PAIRS, concurrency: env.ANALYSIS_CONCURRENCY }, 'analysis running');
}
