/**
 * The discovery process: finds markets on a BullMQ job scheduler, keeps the oracle in Redis,
 * and enqueues one Market job per market per refresh (and on material oracle moves).
 */
import { z } from 'zod';
import { AssetSchema, ASSETS, type Asset, type Market } from '@polybot/shared';
import { configOrExit, parseEnv } from '@polybot/shared/config';
import { metrics } from '@polybot/shared/metrics';
import { createConsumer, jobIds, Producer } from '@polybot/shared/queues';
import { startWorkerRuntime } from '@polybot/shared/runtime';
import { createBookClient } from './bookClient.js';
import { MarketDiscovery, priceToBeatFromHistory } from './discovery.js';
import { createHttpClient } from './http.js';
import { divergence, pollExchangePrice, pollSimOracle } from './oracleFeed.js';
import { createOracleStore } from './oracleStore.js';
import { startRtdsFeed } from './rtds.js';
import { MarketSocket } from './marketSocket.js';
import { Recorder } from './recorder.js';
import { createTradeTape } from './tradeTape.js';
import { createBookCache, LiveBooks } from './bookCache.js';
import { ExpiringSet } from './expiring.js';
import { redisKeys, TickSizeChangeSchema } from '@polybot/shared';
import path from 'node:path';

const ClobMarketInfoSchema = z.object({ fd: z.object({ r: z.number().min(0).max(1), e: z.number().positive(), to: z.boolean() }).nullish() }).passthrough();

const EnvSchema = z.object({
  POLYBOT_ASSETS: z
    .string()
    .default(ASSETS.join(','))
    .transform((s) => s.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(z.array(AssetSchema).min(1)),
  POLYBOT_INTERVAL_SECONDS: z.coerce.number().int().positive().multipleOf(60).optional(),
  SIM_WINDOW_SECONDS: z.coerce.number().int().positive().multipleOf(60).default(120),
  DISCOVERY_REFRESH_MS: z.coerce.number().int().min(250).max(60_000).default(2_000),
  DISCOVERY_SWEEP_MS: z.coerce.number().int().min(5_000).default(60_000),
  /** A relative oracle move that triggers a re-price of the asset's markets at once. */
  DISCOVERY_PRICE_TRIGGER: z.coerce.number().positive().default(0.0002),
  /** The CLOB market channel; defaults to the sim venue's on sim and Polymarket's otherwise. */
  POLYBOT_MARKET_WS_URL: z.string().url().optional(),
  /** Record books, trades, oracle ticks and resolutions for replay (default on in paper mode). */
  POLYBOT_RECORD: z.enum(['true', 'false']).optional(),
  POLYBOT_RECORD_MAX_MB_PER_DAY: z.coerce.number().positive().default(200),
  /** Spot exchange used as a labelled cross-check and fallback when Chainlink goes quiet. */
  POLYBOT_EXCHANGE_URL: z.string().url().default('https://api.binance.com'),
  POLYBOT_FALLBACK_AFTER_MS: z.coerce.number().int().positive().default(5_000),
});

export async function runWorker(): Promise<void> {
  const rt = startWorkerRuntime('discovery');
  const env = configOrExit(() => parseEnv(EnvSchema, process.env), 'discovery');
  const { config, logger, redis } = rt;
  const intervalSeconds = env.POLYBOT_INTERVAL_SECONDS ?? (config.venue === 'sim' ? env.SIM_WINDOW_SECONDS : 900);
  const gamma = createHttpClient({ baseURL: config.gammaUrl, logger, per10s: 250 });
  const books = createBookClient({ clobUrl: config.clobUrl, logger });
  const clob = createHttpClient({ baseURL: config.clobUrl, logger, per10s: 500 });
  const oracle = createOracleStore(redis, config.queuePrefix);
  const markets = new Producer('markets', rt.queues);
  const events = new Producer('execution-events', rt.queues);

  const discovery = new MarketDiscovery(
    { assets: env.POLYBOT_ASSETS, intervalSeconds, windowsAhead: 2 },
    {
      gamma,
      logger,
      hasBook: async (ids) => [...(await books.getBooks(ids)).values()].every((b) => b !== null),
      clobFee: async (cid) => {
        const info = await clob.get(`/clob-markets/${cid}`, ClobMarketInfoSchema);
        return info.fd ? { rate: info.fd.r, exponent: info.fd.e, takerOnly: info.fd.to } : null;
      },
      ownPriceToBeat: async (asset, startMs, settlement) => {
        // Stored per asset and window once computed, so every refresh and replica agrees on it.
        const key = redisKeys(config.queuePrefix).priceToBeat(`${asset}-${startMs}`);
        const stored = Number(await redis.get(key));
        if (Number.isFinite(stored) && stored > 0) return stored;
        // A TWAP market's price to beat is the published 60-second TWAP at the start, when we heard it.
        const value =
          (settlement.kind === 'twap' ? await oracle.twapAt(asset, startMs, 2_000) : null) ??
          priceToBeatFromHistory(await oracle.history(asset, startMs - 120_000, startMs + 1_000), startMs, settlement);
        if (value !== null) await redis.set(key, String(value), 'EX', 6 * 3600);
        return value;
      },
    },
  );

  let live: Market[] = [];
  const tape = createTradeTape(redis, config.queuePrefix);
  const recording = (env.POLYBOT_RECORD ?? (config.venue === 'paper' ? 'true' : 'false')) === 'true';
  const recorder = recording ? new Recorder(path.join(config.dataDir, 'recordings'), logger, env.POLYBOT_RECORD_MAX_MB_PER_DAY * 1024 * 1024) : null;
  if (recorder) rt.shutdown.add('recorder', () => recorder.close());
  const wsUrl =
    env.POLYBOT_MARKET_WS_URL ??
    (config.venue === 'sim' ? `${config.clobUrl.replace(/^http/, 'ws')}/ws/market` : 'wss://ws-subscriptions-clob.polymarket.com/ws/market');
  // What the market channel follows, kept one minute past each window's end (for the resolution message), then let go.
  const followed = new ExpiringSet<string>();
  const recordedMarkets = new ExpiringSet<string>();
  const bookCache = createBookCache(redis, config.queuePrefix);
  const liveBooks = new LiveBooks();
  const tickSizeChannel = redisKeys(config.queuePrefix).tickSizeChannel;
  const socket = new MarketSocket({
    url: wsUrl,
    logger,
    onUpdate: (u) => {
      // Keep the shared books current; analysis falls back to REST when they are missing or stale.
      const change = liveBooks.apply(u);
      if (change && 'publish' in change) void bookCache.put(change.publish).catch(() => undefined);
      else if (change) void bookCache.drop(change.drop).catch(() => undefined);
      if (u.kind === 'tick_size') {
        // Execution signs on the venue's grid: tell it at once (keys.tickSizeChannel, TickSizeChangeSchema).
        const change = TickSizeChangeSchema.safeParse({ tokenId: u.tokenId, tickSize: u.tickSize, atMs: Math.round(u.timestampMs) });
        if (change.success) void redis.publish(tickSizeChannel, JSON.stringify(change.data)).catch(() => undefined);
        else logger.warn({ tokenId: u.tokenId, tickSize: u.tickSize }, 'tick_size_change with a tick the venue does not use; not relayed');
      }
      if (u.kind === 'trade') {
        void tape.push(u.tokenId, { price: u.price, size: u.size, side: u.side, timestampMs: u.timestampMs }).catch(() => undefined);
        recorder?.record('trade', u.timestampMs, { tokenId: u.tokenId, conditionId: u.conditionId, price: u.price, size: u.size, side: u.side });
      } else if (u.kind === 'book' && change && 'publish' in change) {
        const b = change.publish; // normalised: best first on both sides
        recorder?.record('book', u.timestampMs, { tokenId: b.tokenId, conditionId: b.conditionId, bids: b.bids, asks: b.asks });
      } else if (u.kind === 'resolved') {
        recorder?.record('resolution', u.timestampMs, { conditionId: u.conditionId, winningTokenId: u.winningTokenId });
      }
    },
  }).start();
  rt.shutdown.add('market socket', () => socket.close());
  const watch = (found: Market[]) => {
    const now = Date.now();
    const ended = followed.prune(now);
    if (ended.length) {
      socket.unsubscribe(ended);
      liveBooks.forget(ended);
    }
    recordedMarkets.prune(now);
    for (const m of found) {
      followed.add(m.upTokenId, m.windowEndMs + 60_000);
      followed.add(m.downTokenId, m.windowEndMs + 60_000);
    }
    socket.subscribe(found.flatMap((m) => [m.upTokenId, m.downTokenId]));
    for (const m of found) {
      // Recorded when first seen, and again once its price to beat is known.
      const key = `${m.conditionId}:${m.priceToBeat ?? ''}`;
      if (recorder && !recordedMarkets.has(key)) {
        recordedMarkets.add(key, m.windowEndMs + 3_600_000);
        recorder.record('market', Date.now(), { market: m });
      }
    }
  };
  const enqueue = async (list: Market[], trigger: 'refresh' | 'price', slot: string) => {
    const now = Date.now();
    await Promise.all(list.map((market) => markets.add({ market, refreshedAtMs: now, trigger }, jobIds.market(market.conditionId, slot))));
  };
  const reportError = (message: string) =>
    events
      .add({ id: `err-discovery-${Date.now()}`, atMs: Date.now(), type: 'error', source: 'api', message: message.slice(0, 500) }, `err-discovery-${Date.now()}`)
      .catch(() => undefined);

  // The scheduler makes one tick per refresh across every discovery replica.
  const ticks = new Producer('ticks', rt.queues);
  const schedule = async () => {
    await ticks.queue.upsertJobScheduler('discovery-refresh', { every: env.DISCOVERY_REFRESH_MS }, { name: 'tick', data: { task: 'refresh' } });
    await ticks.queue.upsertJobScheduler('discovery-sweep', { every: env.DISCOVERY_SWEEP_MS }, { name: 'tick', data: { task: 'sweep' } });
  };
  await schedule();
  // Upserting is idempotent: re-assert the schedule after a reconnect and now and then, so a Redis
  // that restarted without its data never leaves discovery silent.
  redis.on('ready', () => void schedule().catch(() => undefined));
  const reschedule = setInterval(() => void schedule().catch(() => undefined), 30_000);
  rt.shutdown.add('reschedule', () => clearInterval(reschedule));
  const tickWorker = createConsumer(
    'ticks',
    async ({ task }) => {
      const now = Date.now();
      try {
        const found = task === 'sweep' ? await discovery.sweep(now) : await discovery.getCrypto15mMarkets(now);
        if (task === 'refresh') live = found;
        watch(found);
        await enqueue(found, 'refresh', `${task}${Math.floor(now / env.DISCOVERY_REFRESH_MS)}`);
        logger.debug({ task, markets: found.length }, 'discovery pass');
      } catch (err) {
        logger.error({ task, err: (err as Error).message }, 'discovery pass failed');
        await reportError(`discovery ${task}: ${(err as Error).message}`);
      }
    },
    rt.queues,
  );
  rt.shutdown.add('ticks worker', () => tickWorker.close());

  // Oracle: the sim venue's REST endpoint on sim; Chainlink over RTDS otherwise.
  const lastTrigger = new Map<Asset, number>();
  const onPrice = async (asset: Asset, price: number) => {
    metrics.oracleAgeSeconds.set({ asset }, 0);
    const prev = lastTrigger.get(asset);
    if (prev === undefined) return void lastTrigger.set(asset, price);
    if (Math.abs(price / prev - 1) >= env.DISCOVERY_PRICE_TRIGGER) {
      lastTrigger.set(asset, price);
      const mine = live.filter((m) => m.asset === asset && m.windowEndMs > Date.now());
      await enqueue(mine, 'price', `p${Date.now()}`);
    }
  };
  if (config.venue === 'sim') {
    const oracleHttp = createHttpClient({ baseURL: config.oracleUrl, logger, maxAttempts: 1, timeoutMs: 2_000, per10s: 1_000 });
    const timer = setInterval(() => {
      for (const asset of env.POLYBOT_ASSETS) {
        pollSimOracle(oracleHttp, asset)
          .then(async (p) => {
            await oracle.put(p);
            recorder?.record('oracle', p.timestampMs, { asset: p.asset, price: p.price, source: p.source });
            await onPrice(asset, p.price);
          })
          .catch((err: unknown) => logger.warn({ asset, err: (err as Error).message }, 'oracle poll failed'));
      }
    }, 1_000);
    rt.shutdown.add('oracle poll', () => clearInterval(timer));
  } else {
    const feed = startRtdsFeed({
      url: config.oracleUrl,
      assets: env.POLYBOT_ASSETS,
      logger,
      onPrice: async (p) => {
        await oracle.put(p);
        recorder?.record('oracle', p.timestampMs, { asset: p.asset, price: p.price, source: p.source });
        if (p.source === 'chainlink-twap') return;
        await onPrice(p.asset, p.price);
      },
    });
    rt.shutdown.add('rtds', () => feed.close());
    // Cross-check against a spot exchange, and fall back to it (labelled, never as Chainlink) when the feed goes quiet.
    const exchange = createHttpClient({ baseURL: env.POLYBOT_EXCHANGE_URL, logger, maxAttempts: 1, timeoutMs: 2_000, per10s: 100 });
    const check = setInterval(() => {
      for (const asset of env.POLYBOT_ASSETS) {
        void (async () => {
          const now = Date.now();
          const [latest, ex] = await Promise.all([oracle.latest(asset), pollExchangePrice(exchange, asset, now)]);
          if (latest && latest.source === 'chainlink' && divergence(latest.price, ex.price) > 0.005) {
            logger.warn({ asset, chainlink: latest.price, exchange: ex.price }, 'settlement feed and exchange disagree by more than 0.5%');
          }
          if (!latest || now - latest.timestampMs > env.POLYBOT_FALLBACK_AFTER_MS) {
            await oracle.put(ex);
            logger.warn({ asset, ageMs: latest ? now - latest.timestampMs : null }, 'Chainlink quiet: using the exchange price, labelled exchange-fallback');
          }
        })().catch((err: unknown) => logger.debug({ asset, err: (err as Error).message }, 'exchange cross-check failed'));
      }
    }, env.POLYBOT_FALLBACK_AFTER_MS);
    rt.shutdown.add('exchange check', () => clearInterval(check));
  }
  rt.shutdown.add('producers', async () => {
    await markets.close();
    await events.close();
    await ticks.close();
  });
  logger.info({ intervalSeconds, assets: env.POLYBOT_ASSETS, gamma: config.gammaUrl, clob: config.clobUrl }, 'discovery running');
}
