/**
 * The risk process: gates and sizes signals into orders, keeps the ledger from execution events,
 * and trips the shared circuit breaker. Every refusal is logged with all its reasons.
 */
import { z } from 'zod';
import { redisKeys, TERMINAL_ORDER_STATES, type ExecutionEvent, type TradePair, type TradeSignal } from '@polybot/shared';
import { readBreaker } from '@polybot/shared/breaker';
import { configOrExit, parseEnv } from '@polybot/shared/config';
import { metrics } from '@polybot/shared/metrics';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { requireDurableRedis } from '@polybot/shared/redisPersistence';
import { startWorkerRuntime } from '@polybot/shared/runtime';
import { readVenueAccount, RiskStatusSchema, statusStore } from '@polybot/shared/status';
import { createBreakerControl } from './breakerControl.js';
import { decidePair, decideSignal } from './decide.js';
import { KellySizer } from './kellySizer.js';
import { applyEvent, bankrollOf, type Ledger } from './ledger.js';
import { createLedgerStore, withReservations, type ReserveOrder } from './ledgerStore.js';
import { NoTradeGate } from './noTradeGate.js';
import { consecutiveLossesRule } from './rules/consecutiveLosses.js';
import { drawdownRule } from './rules/drawdown.js';
import { errorRateRule } from './rules/errorRate.js';
import { anchorLedger, reconciliationRule } from './rules/reconciliation.js';

const EnvSchema = z.object({
  RISK_BANKROLL_USD: z.coerce.number().positive().default(1_000),
  RISK_KELLY_FRACTION: z.coerce.number().gt(0).max(1).default(0.25),
  RISK_MAX_ORDER_USD: z.coerce.number().positive().default(25),
  RISK_MAX_MARKET_EXPOSURE_USD: z.coerce.number().positive().default(50),
  RISK_MAX_ASSET_EXPOSURE_USD: z.coerce.number().positive().default(100),
  RISK_MAX_TOTAL_EXPOSURE_USD: z.coerce.number().positive().default(200),
  RISK_MAX_BANKROLL_SHARE: z.coerce.number().gt(0).max(1).default(0.05),
  RISK_MAX_ORACLE_AGE_MS: z.coerce.number().int().positive().default(5_000),
  RISK_MAX_SIGNAL_AGE_MS: z.coerce.number().int().positive().default(5_000),
  RISK_MAX_BOOK_AGE_MS: z.coerce.number().int().positive().default(5_000),
  RISK_MAX_SPREAD: z.coerce.number().positive().max(1).default(0.1),
  RISK_MIN_SECONDS_TO_EXPIRY: z.coerce.number().nonnegative().default(10),
  RISK_TOXICITY: z.enum(['block', 'shrink', 'ignore']).default('block'),
  RISK_MAX_DAILY_LOSS_USD: z.coerce.number().positive().default(100),
  RISK_MAX_CONSECUTIVE_LOSSES: z.coerce.number().int().positive().default(8),
  RISK_MAX_ERRORS: z.coerce.number().int().positive().default(10),
  RISK_ERROR_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  RISK_COOLDOWN_MS: z.coerce.number().int().nonnegative().default(300_000),
  /** Size on the venue account execution publishes (bankroll and available cash) when it is at most this old. */
  RISK_VENUE_MAX_AGE_MS: z.coerce.number().int().positive().default(15_000),
  /** Reconcile the ledger against the venue account this often; trip when they differ by more than the tolerance twice in a row. */
  RISK_RECONCILE_MS: z.coerce.number().int().min(1_000).default(15_000),
  RISK_RECONCILE_TOLERANCE_USD: z.coerce.number().positive().default(1),
  /** An account is compared once it is this old: the events execution stamped before it have reached the ledger by then. */
  RISK_RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(2_000),
});
export type RiskEnv = z.infer<typeof EnvSchema>;

export function loadRiskEnv(env: Record<string, string | undefined>): RiskEnv {
  return parseEnv(EnvSchema, env);
}

export async function runWorker(): Promise<void> {
  const rt = startWorkerRuntime('risk');
  const env = configOrExit(() => loadRiskEnv(process.env), 'risk');
  // Paper and live: the ledger, the day's losses and the breaker live in Redis; refuse one without AOF (exit 2, the fix named).
  try {
    await requireDurableRedis(rt.redis, rt.config.venue);
  } catch (err) {
    process.stderr.write(`polybot risk: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const { config, logger, redis } = rt;
  const prefix = config.queuePrefix;
  const keys = redisKeys(prefix);
  const ledgerKey = keys.riskLedger;
  const errorsKey = keys.riskErrors;
  const decidedKey = keys.riskDecided;
  const gate = new NoTradeGate({
    maxOracleAgeMs: env.RISK_MAX_ORACLE_AGE_MS,
    maxSignalAgeMs: env.RISK_MAX_SIGNAL_AGE_MS,
    maxBookAgeMs: env.RISK_MAX_BOOK_AGE_MS,
    maxSpread: env.RISK_MAX_SPREAD,
    minSecondsToExpiry: env.RISK_MIN_SECONDS_TO_EXPIRY,
    toxicity: env.RISK_TOXICITY,
  });
  const sizer = new KellySizer({
    kellyFraction: env.RISK_KELLY_FRACTION,
    maxOrderUsd: env.RISK_MAX_ORDER_USD,
    maxMarketExposureUsd: env.RISK_MAX_MARKET_EXPOSURE_USD,
    maxAssetExposureUsd: env.RISK_MAX_ASSET_EXPOSURE_USD,
    maxTotalExposureUsd: env.RISK_MAX_TOTAL_EXPOSURE_USD,
    maxBankrollShare: env.RISK_MAX_BANKROLL_SHARE,
  });
  const breaker = createBreakerControl(redis, prefix);
  const rules = {
    drawdown: drawdownRule(env.RISK_MAX_DAILY_LOSS_USD),
    losses: consecutiveLossesRule(env.RISK_MAX_CONSECUTIVE_LOSSES),
    errors: errorRateRule(env.RISK_MAX_ERRORS, env.RISK_ERROR_WINDOW_MS),
    reconcile: reconciliationRule(env.RISK_RECONCILE_TOLERANCE_USD, 2, env.RISK_VENUE_MAX_AGE_MS * 2),
  };
  for (const r of Object.values(rules)) logger.info({ rule: r.name }, r.describe);
  const orders = new Producer('orders', rt.queues);
  const status = statusStore(redis, prefix);
  let accepted = 0;
  const refused: Record<string, number> = {};

  const store = createLedgerStore({ redis, ledgerKey, reservationsKey: keys.riskReservations, initialBankrollUsd: env.RISK_BANKROLL_USD });
  const caps = {
    maxMarketExposureUsd: env.RISK_MAX_MARKET_EXPOSURE_USD,
    maxAssetExposureUsd: env.RISK_MAX_ASSET_EXPOSURE_USD,
    maxTotalExposureUsd: env.RISK_MAX_TOTAL_EXPOSURE_USD,
  };
  // What a resume is checked against (the dashboard and the CLI read it).
  await redis.set(keys.riskLimits, JSON.stringify({ maxDailyLossUsd: env.RISK_MAX_DAILY_LOSS_USD }));
  const readLedger = () => store.read();
  /** A reservation outlives its window by this much at most (a job execution never saw). */
  const RESERVATION_AFTER_END_MS = 5 * 60_000;
  /**
   * Decide on the ledger plus every live reservation, then reserve atomically against the caps. A
   * replica (or a concurrent signal) that reserved first makes the script refuse: decide again on
   * the fresh numbers (a smaller size may still fit), a few times at most.
   */
  async function decideAndReserve<D extends { accept: true } | { accept: false; reasons: string[] }>(
    nowMs: number,
    breakerOpen: boolean,
    decide: (inputs: { nowMs: number; breakerOpen: boolean; ledger: Ledger; venue?: { bankrollUsd: number; availableUsd: number } }) => D,
    toReserve: (d: Extract<D, { accept: true }>) => ReserveOrder[],
  ): Promise<D | { accept: false; reasons: string[] }> {
    let lastCap = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const [ledger, reserved, account] = await Promise.all([store.read(), store.reservations(nowMs), readVenueAccount(redis, prefix)]);
      // The venue's bankroll and cash when execution has read them lately; orders sent since its read are not in it yet.
      const fresh = account && nowMs - account.atMs <= env.RISK_VENUE_MAX_AGE_MS ? account : null;
      const sentSince = fresh ? reserved.filter((r) => r.atMs > fresh.atMs).reduce((t, r) => t + r.usd, 0) : 0;
      const venue = fresh ? { bankrollUsd: fresh.bankrollUsd, availableUsd: fresh.availableUsd - sentSince } : undefined;
      if (fresh && reserved.length === 0 && anchorLedger(structuredClone(ledger), fresh.equityUsd)) {
        // Before its first trade the ledger takes the account's money (RISK_BANKROLL_USD only seeds it without one).
        await store.update((l) => ({ ledger: l, changed: anchorLedger(l, fresh.equityUsd) }));
        logger.info({ bankrollUsd: fresh.equityUsd }, 'risk ledger anchored to the venue account before its first trade');
        continue;
      }
      const d = decide({ nowMs, breakerOpen, ledger: withReservations(ledger, reserved), ...(venue ? { venue } : {}) });
      if (!d.accept) return d;
      const r = await store.reserve(toReserve(d as Extract<D, { accept: true }>), caps, nowMs);
      if (r === 'OK') return d;
      if (r === 'duplicate') return { accept: false, reasons: ['already_reserved'] };
      if (r === 'ledger_unreadable') throw new Error('risk ledger in Redis is unreadable; refusing to trade on a guess');
      lastCap = r;
    }
    return { accept: false, reasons: [`reservation_${lastCap}`] };
  }

  async function publishStatus(l: Ledger): Promise<void> {
    const exposure = Object.values(l.exposure).reduce((s, e) => s + Math.max(0, e.costUsd), 0);
    await status.put('risk', RiskStatusSchema, {
      bankrollUsd: bankrollOf(l),
      realisedPnlUsd: l.realisedPnlUsd,
      unrealisedPnlUsd: 0,
      openExposureUsd: exposure,
      feesUsd: l.feesUsd,
      equity: l.equity.slice(-200) as Array<[number, number]>,
      signalsAccepted: accepted,
      signalsRefused: refused,
      updatedAtMs: Date.now(),
    });
  }

  function countRefusal(id: string, reasons: readonly string[]): void {
    for (const r of reasons) {
      refused[r] = (refused[r] ?? 0) + 1;
      metrics.signalsRefused.inc({ reason: r });
    }
    logger.info({ signalId: id, reasons }, 'signal refused');
  }

  async function onSignal(job: TradeSignal | TradePair): Promise<void> {
    const nowMs = Date.now();
    // A redelivered signal (or pair) is never re-sized: the first decision stands.
    const first = await redis.set(decidedKey(job.id), String(nowMs), 'EX', 3_600, 'NX');
    if (first === null) return;
    const state = await readBreaker(redis, prefix, nowMs);
    const breakerOpen = state.state === 'open';
    if (job.kind === 'pair') {
      // Both legs in one job, decided as one: one order job carries both, or nothing is sent.
      const d = await decideAndReserve(
        nowMs,
        breakerOpen,
        (inputs) => decidePair(job, inputs, { gate, sizer }),
        (ok) =>
          ok.request.legs.map((l) => ({
            id: l.id,
            conditionId: l.conditionId,
            asset: l.asset,
            usd: l.size * l.price,
            expiresAtMs: l.windowEndMs + RESERVATION_AFTER_END_MS,
          })),
      );
      if (!d.accept) return countRefusal(job.id, d.reasons);
      await orders.add(d.request, d.request.id);
      accepted += 1;
      metrics.signalsAccepted.inc();
      logger.info(
        {
          signalId: job.id,
          orderId: d.request.id,
          legs: d.request.legs.map((l) => l.id),
          shares: d.shares,
          notionalUsd: d.notionalUsd,
          expectedProfitUsd: d.expectedProfitUsd,
          cappedBy: d.cappedBy,
        },
        'arbitrage pair sent to execution',
      );
      return;
    }
    const s = job;
    const d = await decideAndReserve(
      nowMs,
      breakerOpen,
      (inputs) => decideSignal(s, inputs, { gate, sizer }),
      (ok) => [
        {
          id: ok.request.id,
          conditionId: ok.request.conditionId,
          asset: ok.request.asset,
          usd: ok.request.size * ok.request.price,
          expiresAtMs: ok.request.windowEndMs + RESERVATION_AFTER_END_MS,
        },
      ],
    );
    if (!d.accept) return countRefusal(s.id, d.reasons);
    const { request, size } = d;
    await orders.add(request, request.id);
    accepted += 1;
    metrics.signalsAccepted.inc();
    logger.info({ signalId: s.id, orderId: request.id, shares: size.shares, price: s.limitPrice, cappedBy: size.cappedBy }, 'order sent to execution');
  }

  async function onEvent(ev: ExecutionEvent): Promise<void> {
    const nowMs = Date.now();
    if (ev.type === 'error' || (ev.type === 'order' && ev.state === 'rejected')) {
      const source = ev.type === 'error' ? ev.source : 'rejected';
      await redis
        .multi()
        .zadd(errorsKey, ev.atMs, `${ev.id}|${source}`)
        .zremrangebyscore(errorsKey, 0, nowMs - env.RISK_ERROR_WINDOW_MS)
        .exec();
    }
    const ledger = await store.update((l) => applyEvent(l, ev));
    // The reservation ends with its order (a fill is in the ledger by now) or with its market.
    if (ev.type === 'order' && TERMINAL_ORDER_STATES.has(ev.state)) await store.release(ev.orderId);
    if (ev.type === 'settlement') await store.releaseMarket(ev.conditionId);
    if (ev.type === 'settlement') metrics.pnlUsd.set(ledger.realisedPnlUsd);
    const raw = await redis.zrangebyscore(errorsKey, nowMs - env.RISK_ERROR_WINDOW_MS, '+inf', 'WITHSCORES');
    const errors: Array<{ atMs: number; source: string }> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) errors.push({ atMs: Number(raw[i + 1]), source: raw[i]!.split('|')[1] ?? 'unknown' });
    for (const verdict of [rules.drawdown.evaluate(nowMs, ledger), rules.losses.evaluate(nowMs, ledger), rules.errors.evaluate(nowMs, errors)]) {
      if (!verdict.trip) continue;
      const tripped = await breaker.trip(verdict.kind, verdict.reason, nowMs, verdict.kind === 'drawdown' ? null : env.RISK_COOLDOWN_MS);
      if (tripped) logger.error({ kind: verdict.kind, reason: verdict.reason }, 'circuit breaker tripped');
      break;
    }
    await publishStatus(ledger);
  }

  const signalWorker = createConsumer('signals', async (s) => onSignal(s), rt.queues, { concurrency: 4 });
  const eventWorker = createConsumer('execution-events', async (e) => onEvent(e), rt.queues, { concurrency: 1 });
  rt.shutdown.add('workers', async () => {
    await signalWorker.close();
    await eventWorker.close();
    await orders.close();
    await store.close();
  });
  const breakerGauge = setInterval(() => {
    void readBreaker(redis, prefix, Date.now()).then((s) => metrics.breakerOpen.set(s.state === 'open' ? 1 : 0));
    void readLedger()
      .then(publishStatus)
      .catch(() => undefined);
  }, 5_000);
  rt.shutdown.add('gauge', () => clearInterval(breakerGauge));
  // The ledger against the venue account (rules/reconciliation.ts): a new ledger takes the venue's
  // number; a lasting difference beyond the tolerance trips the breaker until a human resumes.
  let reconciling = false;
  const reconcileTimer = setInterval(() => {
    if (reconciling) return; // one check at a time (each may wait out the grace)
    reconciling = true;
    void (async () => {
      const account = await readVenueAccount(redis, prefix);
      // Give the events stamped before the account time to arrive through the queue.
      const wait = account ? account.atMs + env.RISK_RECONCILE_GRACE_MS - Date.now() : 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, env.RISK_RECONCILE_GRACE_MS)));
      const nowMs = Date.now();
      const verdict = rules.reconcile.evaluate(nowMs, await store.read(), account);
      if (!verdict || verdict.kind === 'ok') return;
      if (verdict.kind === 'anchor') {
        await store.update((l) => (anchorLedger(l, verdict.equityUsd) ? { ledger: l, changed: true } : { ledger: l, changed: false }));
        logger.info({ bankrollUsd: verdict.equityUsd }, 'risk ledger anchored to the venue account (it had not moved yet)');
      } else if (verdict.kind === 'watch') {
        logger.warn({ diffUsd: verdict.diffUsd, strikes: verdict.strikes }, 'ledger and venue account differ; checking again');
      } else if (await breaker.trip('reconciliation', verdict.reason, nowMs, null)) {
        logger.error({ kind: 'reconciliation', reason: verdict.reason }, 'circuit breaker tripped');
      }
    })()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'reconciliation check failed'))
      .finally(() => (reconciling = false));
  }, env.RISK_RECONCILE_MS);
  rt.shutdown.add('reconcile', () => clearInterval(reconcileTimer));
  logger.info({ bankrollUsd: env.RISK_BANKROLL_USD, kelly: env.RISK_KELLY_FRACTION }, 'risk running');
}
