/**
 * The execution process (exactly one): holds the lease, recovers from the order store (orders.db) and the venue,
 * then places orders from the `orders` queue and ships execution events from its outbox.
 */
import path from 'node:path';
import { z } from 'zod';
import { isPolybotError, ORDER_STATES, redisKeys } from '@polybot/shared';
import { ControlMessageSchema, readBreaker } from '@polybot/shared/breaker';
import { configOrExit, parseEnv } from '@polybot/shared/config';
import { metrics } from '@polybot/shared/metrics';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { createRedisClient } from '@polybot/shared/redis';
import { startWorkerRuntime } from '@polybot/shared/runtime';
import { ExecutionStatusSchema, safeJson, statusStore } from '@polybot/shared/status';
import { ExecutionEngine } from './executionEngine.js';
import { DEFAULT_HARD_LIMITS } from './hardLimits.js';
import { resolveSigningKey } from './keys.js';
import { createLease } from './lease.js';
import { describeHolder, FileLease } from './fileLease.js';
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { HaltRecord } from './haltRecord.js';
import { runOrderJob } from './orderJobs.js';
import { requireDurableRedis } from '@polybot/shared/redisPersistence';
import { OrderManager } from './orderManager.js';
import { applyTickSizeMessage } from './tickSizes.js';
import { openOrderStore, type SqliteOrderStore } from './sqliteStore.js';
import { clobMarketData } from './paper/clobMarketData.js';
import { createPaperVenue } from './paper/paperVenue.js';
import { checkTradingAllowances } from './money/approve.js';
import { startMoney, type Money } from './moneyRuntime.js';
import { rateLimitedPort } from './venue/limited.js';
import { privateKeyToAccount } from 'viem/accounts';
import { createClobV2Port, walletSetupProblem } from './venue/clobV2.js';
import type { SignatureType } from './venue/signing.js';
import { simWallet, type WalletSetup } from './venue/wallet.js';
import type { ClobPort } from './venue/port.js';

const EnvSchema = z.object({
  EXEC_POLL_MS: z.coerce.number().int().min(200).default(1_000),
  EXEC_HEARTBEAT_MS: z.coerce.number().int().min(1_000).max(9_000).default(5_000),
  EXEC_CANCEL_BEFORE_END_MS: z.coerce.number().int().nonnegative().default(5_000),
  EXEC_SETTLE_AFTER_MS: z.coerce.number().int().nonnegative().default(3_000),
  EXEC_LEASE_TTL_MS: z.coerce.number().int().min(2_000).default(10_000),
  EXEC_LEASE_WAIT_MS: z.coerce.number().int().nonnegative().default(30_000),
  EXEC_CANCEL_ON_SHUTDOWN: z.enum(['true', 'false']).default('true'),
  EXEC_VENUE_TIMEOUT_MS: z.coerce.number().int().min(500).default(10_000),
  /** Local mirror of the venue's per-signer order bucket (standard tier). */
  EXEC_ORDERS_PER_S: z.coerce.number().positive().default(40),
  EXEC_ORDER_BURST: z.coerce.number().int().positive().default(60),
  /** Back-off after a 429 (the official client hides Retry-After). */
  EXEC_RATE_LIMIT_BACKOFF_MS: z.coerce.number().int().min(100).default(1_000),
  /** Paper venue: taker delay before matching, time to "confirm" a trade, and the simulated pUSD balance. */
  EXEC_PAPER_TAKER_DELAY_MS: z.coerce.number().int().nonnegative().default(250),
  EXEC_PAPER_CONFIRM_MS: z.coerce.number().int().nonnegative().default(5_000),
  EXEC_PAPER_BALANCE_USD: z.coerce.number().positive().default(1_000),
  /** No new order is placed while more execution events than this wait in the outbox (the queue is not taking them). */
  EXEC_MAX_OUTBOX: z.coerce.number().int().positive().default(500),
  /**
   * How long a frozen order (terminal, every trade final, its window over by 10 min) stays in memory
   * before it is only on disk, where a lookup by id still finds it. What bounds execution's heap:
   * about 5–6 KB per order held. The soak shortens it to show the plateau within its run.
   */
  EXEC_RETAIN_HOURS: z.coerce
    .number()
    .nonnegative()
    .max(24 * 30)
    .default(24),
  /** Execution's own hard limits (apart from risk's RISK_*): a job that breaks one is refused, recorded and alerted, never signed. */
  EXEC_MAX_ORDER_USD: z.coerce.number().positive().default(DEFAULT_HARD_LIMITS.maxOrderUsd),
  EXEC_MAX_MARKET_EXPOSURE_USD: z.coerce.number().positive().default(DEFAULT_HARD_LIMITS.maxMarketExposureUsd),
  EXEC_MAX_TOTAL_EXPOSURE_USD: z.coerce.number().positive().default(DEFAULT_HARD_LIMITS.maxTotalExposureUsd),
  EXEC_MAX_ORDER_AGE_MS: z.coerce.number().int().positive().default(DEFAULT_HARD_LIMITS.maxOrderAgeMs),
  EXEC_CLOCK_SKEW_MS: z.coerce.number().int().nonnegative().max(60_000).default(DEFAULT_HARD_LIMITS.clockSkewMs),
  POLYBOT_SIGNATURE_TYPE: z.coerce.number().int().min(0).max(3).optional(),
  POLYBOT_FUNDER_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  /** The relayer for redemptions and merges (deposit wallets): the sim venue on sim, Polymarket's otherwise. */
  POLYBOT_RELAYER_URL: z.string().url().optional(),
  /** A Relayer API key and the address that owns it (created in the Polymarket app; never logged). The sim makes one. */
  POLYBOT_RELAYER_API_KEY: z.string().min(1).optional(),
  POLYBOT_RELAYER_API_KEY_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  /** How often the venue account (pUSD after /balance-allowance/update) is re-read and published. */
  EXEC_ACCOUNT_MS: z.coerce.number().int().min(500).default(2_000),
  /** Live without a relayer (not a deposit wallet, or no Relayer API key) only when the operator redeems and merges by hand. */
  POLYBOT_MANUAL_REDEEM: z.enum(['true', 'false']).default('false'),
  /** A buy is refused before signing when the pUSD balance is older than this (the funds check would run on stale cash). */
  EXEC_ACCOUNT_MAX_AGE_MS: z.coerce.number().int().min(1_000).default(30_000),
});

function fatal(message: string, code: number): never {
  process.stderr.write(`polybot execution: ${message}\n`);
  process.exit(code);
}

export async function runWorker(): Promise<void> {
  const rt = startWorkerRuntime('execution');
  const env = configOrExit(() => parseEnv(EnvSchema, process.env), 'execution');
  const { config, logger, redis } = rt;
  const keys = redisKeys(config.queuePrefix);

  // Paper signs nothing; sim and live need a key (live only with its explicit confirmation).
  let key = null;
  try {
    if (config.venue !== 'paper') key = resolveSigningKey(config.venue, process.env, config.dataDir);
  } catch (err) {
    if (isPolybotError(err)) fatal(err.message, 2);
    throw err;
  }

  // Paper and live keep money state in Redis: refuse a Redis that would forget it on a restart.
  try {
    await requireDurableRedis(redis, config.venue);
  } catch (err) {
    if (isPolybotError(err, 'CONFIG_INVALID')) fatal(err.message, 2);
    throw err;
  }

  // One owner of the data directory, whatever Redis says: a lock file (fileLease.ts). A second
  // process waits for it (a restart overlapping a stop), then refuses with who holds it. A stale
  // one (its process gone, or not renewed in time) is taken over.
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (err) {
    fatal(`cannot create the data directory ${config.dataDir}: ${(err as Error).message}`, 2);
  }
  const fileLease = new FileLease(config.dataDir, { owner: `${rt.id}-${randomUUID().slice(0, 8)}`, ttlMs: env.EXEC_LEASE_TTL_MS });
  {
    const until = Date.now() + env.EXEC_LEASE_WAIT_MS;
    for (let logged = false; ;) {
      let r;
      try {
        r = fileLease.tryAcquire();
      } catch (err) {
        fatal(`cannot take the lease ${fileLease.file}: ${(err as Error).message}`, 2);
      }
      if (r.ok) {
        if (r.tookOverFrom || r.staleBecause)
          logger.warn({ file: fileLease.file, previous: describeHolder(r.tookOverFrom), why: r.staleBecause }, 'took over a stale data-directory lease');
        break;
      }
      if (Date.now() >= until)
        fatal(
          `another execution process (${describeHolder(r.holder)}) holds ${fileLease.file}${r.why === 'held' ? '' : ` (${r.why})`}; ` +
            'only one may use a data directory: stop it, or give this one its own POLYBOT_DATA_DIR',
          2,
        );
      if (!logged) logger.warn({ file: fileLease.file, holder: describeHolder(r.holder) }, 'waiting for the data-directory lease');
      logged = true;
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  let fileLeaseOkAtMs = Date.now();
  const fileLeaseTimer = setInterval(
    () => {
      try {
        if (fileLease.renew()) fileLeaseOkAtMs = Date.now();
        else {
          process.stderr.write(`polybot execution: another process took ${fileLease.file}; stopping before two owners write orders\n`);
          logger.fatal({ file: fileLease.file }, 'data-directory lease lost: stopping before two owners write orders');
          process.exit(1);
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message, file: fileLease.file }, 'cannot renew the data-directory lease');
        if (Date.now() - fileLeaseOkAtMs >= env.EXEC_LEASE_TTL_MS) {
          process.stderr.write(`polybot execution: the lease ${fileLease.file} could not be renewed in time; stopping\n`);
          process.exit(1);
        }
      }
    },
    Math.floor(env.EXEC_LEASE_TTL_MS / 3),
  );
  fileLeaseTimer.unref();

  // One owner at a time.
  const lease = createLease(redis, keys.executionLease, rt.id, env.EXEC_LEASE_TTL_MS);
  const waitUntil = Date.now() + env.EXEC_LEASE_WAIT_MS;
  while (!(await lease.acquire())) {
    if (Date.now() > waitUntil) fatal(`another execution process (${await lease.holder()}) holds the lease; only one may run`, 1);
    logger.warn({ holder: await lease.holder() }, 'waiting for the execution lease');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  let leaseOkAtMs = Date.now();
  const leaseLost = (why: string) => {
    process.stderr.write(`polybot execution: ${why}; stopping before two owners write orders\n`);
    logger.fatal({ why }, 'execution lease lost: stopping before two owners write orders');
    process.exit(1);
  };
  const leaseTimer = setInterval(
    () => {
      lease
        .renew()
        .then((ok) => (ok ? (leaseOkAtMs = Date.now()) : leaseLost('another process holds the execution lease')))
        .catch((err: unknown) => {
          // Redis unreachable: keep trying while the lease may still be ours, stop once it surely ran out.
          logger.warn({ err: (err as Error).message }, 'cannot renew the execution lease');
          if (Date.now() - leaseOkAtMs >= env.EXEC_LEASE_TTL_MS) leaseLost('the execution lease could not be renewed before it ran out');
        });
    },
    Math.floor(env.EXEC_LEASE_TTL_MS / 3),
  );

  // The order store: SQLite in WAL mode (an orders.json from before is migrated on first start).
  const file = path.join(config.dataDir, 'orders.db');
  let manager: OrderManager;
  let orderStore: SqliteOrderStore;
  try {
    orderStore = openOrderStore(file, { retainMs: Math.round(env.EXEC_RETAIN_HOURS * 3_600_000) });
    manager = new OrderManager(orderStore, logger);
  } catch (err) {
    if (isPolybotError(err, 'PERSISTENCE_CORRUPT')) fatal(err.message, 2);
    if (isPolybotError(err, 'PERSISTENCE_FAILED')) fatal(`${err.message}; stopping rather than trading unrecorded`, 1);
    throw err;
  }

  let port: ClobPort;
  let address = 'paper';
  /** The wallet orders are signed for (configured, else the sim account's): money needs its type too. */
  let tradingWallet: WalletSetup | null = null;
  // The venue's rate-limit headers go to the engine's order bucket (wired once the engine exists).
  let rateLimitHeaders: (h: { remaining: number | null; resetS: number | null; warning: boolean }) => void = () => undefined;

  // Public books (no key): the paper venue fills against them, and a lone arbitrage leg is unwound at them.
  const marketData = clobMarketData(config.clobUrl);
  try {
    if (key === null) {
      port = createPaperVenue({
        data: marketData,
        file: path.join(config.dataDir, 'paper-venue.json'),
        takerDelayMs: env.EXEC_PAPER_TAKER_DELAY_MS,
        confirmAfterMs: env.EXEC_PAPER_CONFIRM_MS,
        balanceUsd: env.EXEC_PAPER_BALANCE_USD,
      });
    } else {
      // The wallet: configured (live, or a sim test choosing a type), else the sim account's own.
      const eoa = privateKeyToAccount(key).address;
      let wallet: WalletSetup | null =
        env.POLYBOT_SIGNATURE_TYPE !== undefined
          ? { signatureType: env.POLYBOT_SIGNATURE_TYPE as SignatureType, ...(env.POLYBOT_FUNDER_ADDRESS ? { funderAddress: env.POLYBOT_FUNDER_ADDRESS } : {}) }
          : null;
      const problem = walletSetupProblem({ signatureType: wallet?.signatureType, funderAddress: wallet?.funderAddress, eoa });
      if (config.venue === 'live' && problem) fatal(`live trading refused: ${problem}`, 2);
      wallet ??= await simWallet(config.clobUrl, key, env.EXEC_VENUE_TIMEOUT_MS);
      tradingWallet = wallet;
      const live = await createClobV2Port({
        host: config.clobUrl,
        privateKey: key,
        timeoutMs: env.EXEC_VENUE_TIMEOUT_MS,
        ...wallet,
        onRateLimitHeaders: (h) => rateLimitHeaders(h),
      });
      address = live.address;
      // Every call waits its turn under the venue's limits, shared with every process through Redis.
      port = rateLimitedPort(live, rt.rateLimiter, live.address);
    }
  } catch (err) {
    if (isPolybotError(err, 'PERSISTENCE_CORRUPT')) fatal(err.message, 2);
    fatal(`cannot reach the venue at ${config.clobUrl}: ${(err as Error).message}`, 1);
  }

  // Collateral: say exactly what is missing. Live refuses to trade without pUSD and an allowance.
  try {
    const c = await port.collateral();
    // Every trading approval by name (money/approve.ts): buying, selling, redeeming and merging each need one.
    const approvals = port.balanceAllowance
      ? await checkTradingAllowances((a, r) => port.balanceAllowance!(a, r), manager.all().at(-1)?.request.tokenId ?? null)
      : null;
    if (approvals?.unreported.length) logger.warn({ unreported: approvals.unreported }, 'approvals the venue does not report');
    const missing = [
      ...(c.balanceUsd <= 0 ? [`pUSD balance is ${c.balanceUsd} (fund ${address})`] : []),
      ...(approvals ? approvals.missing : c.allowanceUsd <= 0 ? ['no pUSD allowance for the exchange contracts (run `pnpm bot approve`)'] : []),
    ];
    if (missing.length && config.venue === 'live') fatal(`live trading refused: ${missing.join('; ')}`, 2);
    if (missing.length) logger.warn({ missing }, 'collateral check: orders will be rejected');
    else logger.info({ balanceUsd: c.balanceUsd }, 'collateral check passed');
  } catch (err) {
    if (config.venue === 'live') fatal(`live trading refused: cannot read the pUSD balance/allowance (${(err as Error).message})`, 2);
    logger.warn({ err: (err as Error).message }, 'collateral check failed');
  }

  // Money: the venue account, execution's own funds check, redemptions and merges (moneyRuntime.ts).
  let money: Money | null = null;
  if (key !== null) {
    try {
      money = await startMoney({
        venue: config.venue,
        port,
        manager,
        dataDir: config.dataDir,
        logger,
        redis,
        prefix: config.queuePrefix,
        key,
        // The resolved wallet, not only the configured type: a sim account with no type set is a deposit
        // wallet too, and without this its winners and pairs were never sent to the relayer.
        depositWallet: tradingWallet?.signatureType === 3 ? { address: tradingWallet.funderAddress ?? null } : null,
        relayer: {
          url: env.POLYBOT_RELAYER_URL ?? (config.venue === 'sim' ? config.clobUrl : 'https://relayer-v2.polymarket.com'),
          apiKey: env.POLYBOT_RELAYER_API_KEY ?? null,
          apiKeyAddress: env.POLYBOT_RELAYER_API_KEY_ADDRESS ?? null,
        },
        timeoutMs: env.EXEC_VENUE_TIMEOUT_MS,
        accountMaxAgeMs: env.EXEC_ACCOUNT_MAX_AGE_MS,
      });
      // Nothing is ever silently left unredeemed: live without a relayer needs the operator's word.
      if (config.venue === 'live' && money.relayerProblem && env.POLYBOT_MANUAL_REDEEM !== 'true')
        fatal(
          `live trading refused: ${money.relayerProblem}. polybot would never redeem this account's winning shares nor merge its pairs: ` +
            'trade from a deposit wallet (POLYBOT_SIGNATURE_TYPE=3) with a Relayer API key, or set POLYBOT_MANUAL_REDEEM=true to redeem by hand (each redemption due is then alerted)',
          2,
        );
      await money.refresh(Date.now());
    } catch (err) {
      if (isPolybotError(err, 'PERSISTENCE_CORRUPT')) fatal(err.message, 2);
      if (config.venue === 'live') fatal(`live trading refused: money set-up failed (${(err as Error).message})`, 2);
      logger.warn({ err: (err as Error).message }, 'money set-up failed: no redemptions, merges or venue account');
    }
  }

  // Halts and breaker trips are also recorded here, in the data directory: a Redis that lost its
  // data does not resume trading (haltRecord.ts). Redis unreadable: a recorded halt still holds.
  const haltRecord = new HaltRecord(config.dataDir, logger);
  const haltView = async () => {
    let state;
    try {
      state = await readBreaker(redis, config.queuePrefix, Date.now());
    } catch (err) {
      if (haltRecord.current) return { halted: true, reason: `${haltRecord.last.reason ?? 'halted'} (Redis unreadable)` };
      throw err;
    }
    return haltRecord.sync(state, Date.now());
  };
  const halted = async () => (await haltView()).halted;
  /** A failed read of the breaker is null; a halt record that cannot be written is rethrown (it stops execution). */
  const unlessUnrecorded = (err: unknown): null => {
    if (isPolybotError(err, 'PERSISTENCE_FAILED')) throw err;
    return null;
  };
  try {
    const h = await haltView();
    if (h.halted) logger.warn({ reason: h.reason, file: haltRecord.file }, 'starting halted: no order is placed until a resume');
  } catch (err) {
    if (isPolybotError(err, 'PERSISTENCE_FAILED')) fatal(`${err.message}; stopping rather than trading unrecorded`, 1);
    logger.warn({ err: (err as Error).message }, 'cannot read the breaker at start; every order job asks again');
  }
  const engine: ExecutionEngine = new ExecutionEngine(
    manager,
    port,
    {
      cancelBeforeEndMs: env.EXEC_CANCEL_BEFORE_END_MS,
      settleAfterMs: env.EXEC_SETTLE_AFTER_MS,
      ordersPerS: env.EXEC_ORDERS_PER_S,
      orderBurst: env.EXEC_ORDER_BURST,
      rateLimitBackoffMs: env.EXEC_RATE_LIMIT_BACKOFF_MS,
      limiter: rt.rateLimiter,
      signer: address,
      heartbeatEveryMs: env.EXEC_HEARTBEAT_MS,
      limits: {
        maxOrderUsd: env.EXEC_MAX_ORDER_USD,
        maxMarketExposureUsd: env.EXEC_MAX_MARKET_EXPOSURE_USD,
        maxTotalExposureUsd: env.EXEC_MAX_TOTAL_EXPOSURE_USD,
        maxOrderAgeMs: env.EXEC_MAX_ORDER_AGE_MS,
        clockSkewMs: env.EXEC_CLOCK_SKEW_MS,
      },
      ...(money ? { merged: money.merged, funds: money.funds } : {}),
    },
    logger,
    halted,
    (tokenId) => marketData.book(tokenId),
  );
  rateLimitHeaders = (h) => engine.noteRateLimit(h);
  /** The order store could not be written: stop rather than trade unrecorded (the job is not acknowledged). */
  const stopIfUnrecorded = (err: unknown) => {
    if (isPolybotError(err, 'PERSISTENCE_FAILED')) {
      process.stderr.write(`polybot execution: ${err.message}; stopping rather than trading unrecorded\n`);
      logger.fatal({ err: err.message }, 'cannot record orders: stopping rather than trading unrecorded');
      process.exit(1);
    }
  };
  const events = new Producer('execution-events', rt.queues);
  const status = statusStore(redis, config.queuePrefix);

  /** The orders-by-state gauge. A state once seen and now empty reads 0, not its last count; one never seen has no series. */
  const seenStates = new Set<string>();
  function countStates(): Record<string, number> {
    const byState: Record<string, number> = {};
    for (const o of manager.all()) byState[o.state] = (byState[o.state] ?? 0) + 1;
    for (const s of ORDER_STATES) {
      if (byState[s] !== undefined) seenStates.add(s);
      if (seenStates.has(s)) metrics.ordersByState.set({ state: s }, byState[s] ?? 0);
    }
    return byState;
  }
  const flush = async () => {
    // Redemption and merge events first: a market's merge is booked before its settlement.
    if (money) {
      const store = money.treasury.store;
      const moneySent: string[] = [];
      // Merges realise PnL: into the order store's history first (idempotent), then shipped.
      orderStore.recordMerges(store.outbox());
      for (const e of [...store.outbox()]) {
        await events.add(e, e.id);
        moneySent.push(e.id);
      }
      store.ackOutbox(moneySent, Date.now());
    }
    // One event that fails its schema is set aside (recorded, alerted), never a blocker.
    manager.setAsideInvalidEvents(Date.now());
    const out = [...manager.outbox()];
    const sent: string[] = [];
    for (const e of out) {
      await events.add(e, e.id);
      sent.push(e.id);
      if (e.type === 'order') metrics.orderTransitions.inc({ to: e.state });
      if (e.type === 'order') {
        // Tick-to-order: the venue's acknowledgement is the order's first step out of `submitted`.
        const o = manager.get(e.orderId);
        const ack = o?.history.find((h) => h.from === 'submitted');
        if (o?.request.tickAtMs !== undefined && ack && ack.to === e.state && ack.atMs === e.atMs)
          metrics.tickToOrder.observe(Math.max(0, ack.atMs - o.request.tickAtMs) / 1000);
      }
      if (e.type === 'fill') metrics.fills.inc({ status: e.status });
      if (e.type === 'fill' && e.status === 'MATCHED') {
        metrics.filledShares.inc(e.size);
        metrics.feesUsd.inc(e.fee);
      }
    }
    manager.ackOutbox(sent, Date.now());
    countStates();
  };
  const publish = async () => {
    const byState = countStates();
    await status.put('execution', ExecutionStatusSchema, {
      openOrders: manager.nonTerminal().map((o) => ({
        id: o.request.id,
        conditionId: o.request.conditionId,
        asset: o.request.asset,
        outcome: o.request.outcome,
        side: o.request.side,
        price: o.request.price,
        size: o.request.size,
        filledSize: o.filledSize,
        state: o.state,
      })),
      positions: manager
        .positions()
        .filter((p) => !manager.isSettled(p.conditionId))
        .map((p) => ({
          conditionId: p.conditionId,
          asset: p.asset,
          outcome: p.outcome,
          confirmedShares: p.confirmed,
          pendingShares: p.pending,
          costUsd: p.costUsd,
          feesUsd: p.feesUsd,
          windowEndMs: p.windowEndMs,
        })),
      ordersByState: byState,
      halt: haltRecord.last.halted ? { reason: haltRecord.last.reason ?? 'halted' } : null,
      ...(money
        ? {
            money: {
              account: money.account(),
              actions: [...money.treasury.store.actions()]
                .sort((a, b) => b.updatedAtMs - a.updatedAtMs)
                .slice(0, 50)
                .map((a) => ({
                  id: a.id,
                  kind: a.kind,
                  conditionId: a.conditionId,
                  asset: a.asset,
                  shares: a.shares,
                  amountUsd: a.amountUsd,
                  state: a.state,
                  transactionId: a.transactionId,
                  transactionHash: a.transactionHash,
                  updatedAtMs: a.updatedAtMs,
                })),
            },
          }
        : {}),
      updatedAtMs: Date.now(),
    });
  };
  /** Redemptions and merges after each poll; a relayer that cannot answer only delays them. */
  let accountAtMs = 0;
  const moneyStep = async () => {
    if (!money) return;
    try {
      await money.step(Date.now());
    } catch (err) {
      stopIfUnrecorded(err);
      logger.warn({ err: (err as Error).message }, 'redeem/merge step failed; will retry');
    }
    if (Date.now() - accountAtMs >= env.EXEC_ACCOUNT_MS) {
      accountAtMs = Date.now();
      await money.refresh(Date.now()).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'venue account read failed'));
    }
  };

  // Start-up recovery: reconcile everything not final with the venue before taking any job.
  logger.info({ orders: manager.all().length, inFlight: manager.nonTerminal().length, outbox: manager.outbox().length }, 'recovering from the order store');
  try {
    await engine.poll();
    // A redemption or merge a crash interrupted is found at the relayer (or re-sent) before anything new.
    await moneyStep();
    await flush();
  } catch (err) {
    stopIfUnrecorded(err);
    throw err;
  }

  /**
   * Ships the outbox after an order job without holding the next one: the events are on disk with
   * the state change that made them (the outbox), so the job is done once the engine committed;
   * shipping them (a Redis add each, then a commit) would otherwise sit in front of every order
   * queued behind. One shipment at a time; a request during one runs once more after it.
   */
  let shipping: Promise<void> | null = null;
  let shipAgain = false;
  const shipEvents = (): void => {
    if (shipping) {
      shipAgain = true;
      return;
    }
    shipping = flush()
      .catch((err: unknown) => {
        stopIfUnrecorded(err);
        logger.warn({ err: (err as Error).message }, 'shipping execution events failed; the poll retries');
      })
      .finally(() => {
        shipping = null;
        if (shipAgain) {
          shipAgain = false;
          shipEvents();
        }
      });
  };

  const consumer = createConsumer(
    'orders',
    async (job) => {
      let result: string;
      try {
        // Events that cannot reach the queue pile up in the outbox: no new order until they drain
        // (a redelivered job of a known order is still reconciled). A pair is placed as a unit.
        result = await runOrderJob(job, { manager, engine, maxOutbox: env.EXEC_MAX_OUTBOX, logger });
        if (result.startsWith('refused: outbox backed up')) return result;
        shipEvents();
      } catch (err) {
        stopIfUnrecorded(err);
        throw err;
      }
      if ('kind' in job)
        logger.info(
          { orderId: job.id, legs: job.legs.map((l) => l.id), result, lockedProfitUsd: manager.getPair(job.id)?.lockedProfitUsd ?? null },
          'pair job done',
        );
      else logger.info({ orderId: job.id, signalId: job.signalId, result }, 'order job done');
      return result;
    },
    rt.queues,
    { concurrency: 1 },
  );

  let polling = false;
  const pollTimer = setInterval(() => {
    if (polling) return;
    polling = true;
    engine
      .poll()
      .then(async () => {
        // Asked on every poll, orders or not, so a trip is recorded here as soon as Redis shows it.
        // Halted (a halt we heard, one we missed, or one only our record remembers): cancel what is
        // left, again on every poll, until the venue confirms none is. Redis unreadable with no halt
        // on record: nothing to decide here (order jobs ask again); a record we cannot write stops us.
        const h = await haltView().catch(unlessUnrecorded);
        // (The poll just asked the venue about every order: the sweep only cancels.)
        if (h?.halted && manager.nonTerminal().length > 0) await engine.haltSweep(h.reason ?? 'halted', undefined, { reconcile: false });
      })
      .then(moneyStep)
      .then(flush)
      .then(publish)
      .catch((err: unknown) => {
        stopIfUnrecorded(err);
        logger.warn({ err: (err as Error).message }, 'poll failed');
      })
      .finally(() => (polling = false));
  }, env.EXEC_POLL_MS);
  const hbTimer = setInterval(() => void engine.heartbeat().then(flush).catch(stopIfUnrecorded), env.EXEC_HEARTBEAT_MS);

  // Halt from the breaker: cancel every open order.
  const sub = createRedisClient(config.redisUrl, { logger, name: 'polybot-execution-control' });
  await sub.subscribe(keys.controlChannel, keys.tickSizeChannel);
  sub.on('message', (channel: string, raw: string) => {
    if (channel === keys.tickSizeChannel) {
      // The market channel's tick_size_change, relayed by ingestion: the next order uses the new grid.
      const change = applyTickSizeMessage(port, raw);
      if (change) logger.info({ tokenId: change.tokenId, tickSize: change.tickSize }, 'tick size changed at the venue');
      else logger.warn('tick-size message failed its schema; ignored');
      return;
    }
    const msg = ControlMessageSchema.safeParse(safeJson(raw));
    if (!msg.success) return logger.warn('control message failed its schema; ignored');
    if (msg.data.type === 'resume') {
      try {
        haltRecord.resume(msg.data.atMs, Date.now());
      } catch (err) {
        stopIfUnrecorded(err);
      }
      return;
    }
    if (msg.data.type === 'halt') {
      const { kind, reason, atMs } = msg.data;
      void haltView()
        .catch(unlessUnrecorded)
        .then((h) => {
          // The breaker in Redis is set before the message is sent; without it, the message itself is recorded.
          if (!h?.halted) haltRecord.record({ state: 'open', kind, reason, trippedAtMs: atMs, cooldownUntilMs: null }, Date.now());
        })
        .then(() => engine.haltSweep(`halt: ${reason}`))
        .then(flush)
        .catch((err: unknown) => {
          stopIfUnrecorded(err);
          logger.error({ err: (err as Error).message }, 'cancel on halt failed');
        });
    }
  });

  rt.shutdown.add('execution', async () => {
    clearInterval(pollTimer);
    clearInterval(hbTimer);
    await consumer.close();
    if (env.EXEC_CANCEL_ON_SHUTDOWN === 'true' && manager.nonTerminal().length) {
      await engine.cancelAll('shutdown').catch(() => undefined);
      // Ask the venue once more so the store ends with what the cancel did, not "cancel requested".
      await engine.poll().catch(() => undefined);
    }
    await shipping;
    await flush().catch(() => undefined);
    await events.close();
    await sub.quit().catch(() => undefined);
    clearInterval(leaseTimer);
    await lease.release().catch(() => undefined);
    orderStore.close();
    clearInterval(fileLeaseTimer);
    try {
      fileLease.release();
    } catch {
      // Left behind, it is stale (its process is gone) for the next start.
    }
  });
  logger.info({ venue: config.venue, clob: config.clobUrl, address, file }, 'execution running');
}
