import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { Accounts, checkOrderSigner, SIGNATURE_TYPE as SIGNATURE_TYPES, type AccountType } from './accounts.js';
import { ApiKeys, orderHash, orderSigner, type ApiCreds, type WireOrder } from './auth.js';
import { ClobBalances, COLLATERAL } from './balances.js';
import { Chain, toUnits } from './chain.js';
import { Exchange, r6, type SimOrder, type SimTrade } from './exchange.js';
import { defaultFaults, FaultsSchema, type FaultCounters, type Faults } from './faults.js';
import { Heartbeats } from './heartbeats.js';
import { RateLimits } from './limits.js';
import { checkAmounts } from './rules.js';
import { MarketSchedule, type SimMarket } from './markets.js';
import { PriceProcess, SIM_ASSETS, type SimAsset } from './prices.js';
import { Rng } from './random.js';
import { Relayer, type RelayerTiming } from './relayer.js';
import { RtdsHub } from './rtds.js';

export interface SimVenueOptions {
  port?: number;
  host?: string;
  windowSeconds?: number;
  assets?: SimAsset[];
  seed?: number;
  twap?: boolean;
  misprice?: number;
  /**
   * Taker delay on marketable orders (answer `delayed`, match later). Crypto markets have one:
   * 250 ms, then 50 ms from 2026-08-17, 150 ms from 2026-09-04 (docs/polymarket.md §5). Default 150.
   */
  takerDelayMs?: number;
  priceToBeatDelayMs?: number;
  /** Once an owner has sent a heartbeat, this long without one cancels all its orders (10 s, as the real one). */
  heartbeatTimeoutMs?: number;
  /** pUSD each account holds when the venue first sees it (default 1000: a funded, onboarded account). */
  startingBalanceUsd?: number;
  /** Relayer transaction timing (broadcast, mined, confirmed after submit). */
  relayerTiming?: Partial<RelayerTiming>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface SimVenue {
  url: string;
  port: number;
  close(): Promise<void>;
  /** For tests: the venue's state. */
  state: { schedule: MarketSchedule; exchange: Exchange; faults: Faults; counters: FaultCounters; chain: Chain; balances: ClobBalances; relayer: Relayer };
}

const FEE_RATE = 0.07;
const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const TICK = 0.01;
const MIN_SIZE = 5;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** More fields for the JSON body beside `error`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const WireOrderSchema = z.object({
  salt: z.union([z.number(), z.string()]),
  maker: z.string(),
  signer: z.string(),
  taker: z.string().optional(),
  tokenId: z.string().regex(/^\d+$/),
  makerAmount: z.string().regex(/^\d+$/),
  takerAmount: z.string().regex(/^\d+$/),
  side: z.enum(['BUY', 'SELL']),
  signatureType: z.number().int(),
  timestamp: z.string(),
  expiration: z.string().optional(),
  metadata: z.string(),
  builder: z.string(),
  signature: z.string(),
});
const PostOrderSchema = z.object({
  order: WireOrderSchema,
  owner: z.string(),
  orderType: z.enum(['GTC', 'GTD', 'FOK', 'FAK']),
  postOnly: z.boolean().optional(),
  deferExec: z.boolean().optional(),
});

export async function startSimVenue(opts: SimVenueOptions = {}): Promise<SimVenue> {
  const windowSeconds = opts.windowSeconds ?? 120;
  if (windowSeconds % 60 !== 0 || windowSeconds <= 0) throw new Error('windowSeconds must be a positive multiple of 60');
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const log = opts.log ?? (() => undefined);
  const startMs = Date.now();
  const prices = new Map<SimAsset, PriceProcess>();
  for (const a of opts.assets ?? [...SIM_ASSETS]) prices.set(a, new PriceProcess(a, new Rng(seed * 31 + a.charCodeAt(0)), startMs));
  const schedule = new MarketSchedule(
    { windowSeconds, twap: opts.twap ?? true, twapSeconds: 60, priceToBeatDelayMs: opts.priceToBeatDelayMs ?? 3_000 },
    prices,
    rng,
  );
  const exchange = new Exchange(
    { feeRate: FEE_RATE, tick: TICK, misprice: opts.misprice ?? 0.2, takerDelayMs: opts.takerDelayMs ?? 150, failTradeProb: 0 },
    schedule,
    rng,
  );
  const keys = new ApiKeys(`sim-${seed}`);
  // Money on chain, the CLOB's view of it, and the relayer (chain.ts, balances.ts, relayer.ts).
  const chain = new Chain({ startingUnits: toUnits(opts.startingBalanceUsd ?? 1_000), onboarded: true }, (cid) => {
    const m = schedule.markets.get(cid);
    return m ? { upToken: m.upToken, downToken: m.downToken, winner: m.closed ? m.winner : null } : null;
  });
  const balances = new ClobBalances(chain, () => exchange.orders.values(), FEE_RATE);
  exchange.onMined = (o, t) => {
    // A trade reaches the chain: the taker's pUSD and shares move (or the trade FAILS if they cannot).
    const cost = toUnits(t.size * t.price);
    const fee = toUnits(t.fee);
    const shares = toUnits(t.size);
    if (!chain.settleTrade(o.maker, o.side, o.tokenId, shares, cost, fee)) return false;
    const buy = o.side === 'BUY';
    balances.moved(o.maker, COLLATERAL, buy ? -(cost + fee) : cost - fee);
    balances.moved(o.maker, o.tokenId, buy ? shares : -shares);
    return true;
  };
  const relayer = new Relayer(chain, {
    seed: `sim-${seed}`,
    ...(opts.relayerTiming ? { timing: opts.relayerTiming } : {}),
    injectFailure: () => {
      if (faults.failRelayer <= 0) return false;
      faults.failRelayer -= 1;
      return true;
    },
    log,
  });
  let faults = defaultFaults();
  const counters: FaultCounters = { injected429: 0, injected500: 0, dropped: 0, malformed: 0, heartbeatsMissed: 0 };
  // §5.5: 10 s without a valid heartbeat (plus up to 5 s of buffer) cancels the key's open orders.
  const heartbeats = new Heartbeats(opts.heartbeatTimeoutMs ?? 10_000, opts.heartbeatTimeoutMs === undefined ? 5_000 : 0, () => rng.next());
  const limits = new RateLimits();
  let restartUntilMs = 0;
  const accounts = new Accounts(relayer);
  const subs = new Map<WebSocket, Set<string>>();
  /** Each open market's tick: 0.01, finer (0.001) while the price is above 0.96 or below 0.04 (§5.2 item 5). */
  const ticks = new Map<string, number>();
  const tickOf = (m: SimMarket) => ticks.get(m.conditionId) ?? TICK;
  const send = (tokens: string[], msg: unknown) => {
    const text = JSON.stringify(msg);
    for (const [ws, set] of subs) if (ws.readyState === ws.OPEN && tokens.some((t) => set.has(t))) ws.send(text);
  };
  /** Last book levels sent per token, for `price_change` deltas on the market channel. */
  const lastLevels = new Map<string, Map<string, string>>();

  const tick = () => {
    const now = Date.now();
    for (const p of prices.values()) p.advance(now);
    for (const m of schedule.tick(now)) {
      chain.resolve(m.conditionId, { upToken: m.upToken, downToken: m.downToken, winner: m.winner });
      exchange.onResolved(m);
      const resolved = JSON.stringify({
        event_type: 'market_resolved',
        id: m.id,
        market: m.conditionId,
        assets_ids: [m.upToken, m.downToken],
        winning_asset_id: m.winner === 'Up' ? m.upToken : m.downToken,
        winning_outcome: m.winner,
        timestamp: String(now),
      });
      for (const [ws, set] of subs) if (set.has(m.upToken) || set.has(m.downToken)) ws.send(resolved);
      log('market resolved', { slug: m.slug, winner: m.winner, priceToBeat: m.priceToBeat, finalPrice: m.finalPrice });
    }
    exchange.refreshQuotes(now);
    exchange.progressTrades(now);
    relayer.tick(now);
    for (const owner of heartbeats.expired(now)) {
      for (const o of exchange.openOrders(owner)) o.status = 'CANCELED';
      log('heartbeat expired: cancelled all orders', { owner });
    }
    for (const m of schedule.markets.values()) {
      if (m.closed) continue;
      // §5.2 item 5: the tick changes at run time (finer near the ends of the price range) and the
      // market channel says so with `tick_size_change` (bindings subscriptions/clob.ts; docs market channel).
      const up = exchange.books.get(m.upToken);
      const bid = up?.bids[0]?.price ?? 0.5;
      const ask = up?.asks[0]?.price ?? 0.5;
      const old = tickOf(m);
      // Finer once the price reaches 0.96 / 0.04; coarse again only well inside (no flapping on noise).
      const next = bid >= 0.96 || ask <= 0.04 ? 0.001 : old === 0.001 && !(bid <= 0.94 && ask >= 0.06) ? 0.001 : 0.01;
      if (next !== old) {
        ticks.set(m.conditionId, next);
        for (const token of [m.upToken, m.downToken]) {
          send([token], {
            event_type: 'tick_size_change',
            asset_id: token,
            market: m.conditionId,
            old_tick_size: String(old),
            new_tick_size: String(next),
            timestamp: String(now),
          });
        }
        log('tick size changed', { slug: m.slug, old, next });
      }
      // §5.7 item 24 / polymarket.md §8: `price_change` with each changed level (size "0" removes it).
      for (const token of [m.upToken, m.downToken]) {
        const b = exchange.books.get(token);
        if (!b) continue;
        const levels = new Map<string, string>();
        for (const l of b.bids) if (l.size > 0) levels.set(`BUY:${l.price}`, String(l.size));
        for (const l of b.asks) if (l.size > 0) levels.set(`SELL:${l.price}`, String(l.size));
        const before = lastLevels.get(token);
        lastLevels.set(token, levels);
        if (!before) continue;
        const bestBid = String(b.bids.find((l) => l.size > 0)?.price ?? 0);
        const bestAsk = String(b.asks.find((l) => l.size > 0)?.price ?? 1);
        const changes: Array<Record<string, string>> = [];
        for (const [k, size] of levels) if (before.get(k) !== size) changes.push({ k, size });
        for (const k of before.keys()) if (!levels.has(k)) changes.push({ k, size: '0' });
        if (!changes.length) continue;
        send([token], {
          event_type: 'price_change',
          market: m.conditionId,
          price_changes: changes.map((c) => {
            const [side, price] = c.k!.split(':');
            return { asset_id: token, price, size: c.size, side, hash: b.hash, best_bid: bestBid, best_ask: bestAsk };
          }),
          timestamp: String(now),
        });
      }
    }
  };
  tick();
  const timer = setInterval(tick, 1_000);

  // ---------- JSON shapes as Polymarket sends them ----------
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const gammaMarket = (m: SimMarket) => {
    const now = Date.now();
    const fair = schedule.fairUp(m, now);
    const live = !m.closed;
    return {
      id: m.id,
      question: `${m.asset} Up or Down - ${iso(m.startMs)} to ${iso(m.endMs)}`,
      conditionId: m.conditionId,
      questionID: m.questionId,
      slug: m.slug,
      resolutionSource: `https://data.chain.link/streams/${m.asset.toLowerCase()}-usd-twap-60s-streams`,
      startDate: iso(m.createdMs),
      eventStartTime: iso(m.startMs),
      endDate: iso(m.endMs),
      outcomes: JSON.stringify(['Up', 'Down']),
      outcomePrices: JSON.stringify(m.closed ? (m.winner === 'Up' ? ['1', '0'] : ['0', '1']) : [fair.toFixed(3), (1 - fair).toFixed(3)]),
      clobTokenIds: JSON.stringify([m.upToken, m.downToken]),
      active: true,
      closed: m.closed,
      acceptingOrders: live,
      enableOrderBook: true,
      orderPriceMinTickSize: tickOf(m),
      orderMinSize: MIN_SIZE,
      makerBaseFee: 1000,
      takerBaseFee: 1000,
      feesEnabled: true,
      feeType: 'crypto_fees_v2',
      negRisk: false,
      volume: '0',
      volumeNum: 0,
      liquidity: '0',
      liquidityNum: 0,
      feeSchedule: { exponent: 1, rate: FEE_RATE, takerOnly: true, rebateRate: 0.2 },
      cryptoMarketConfig: {
        id: `${m.asset.toLowerCase()}-${schedule.minutes}m-twap-60`,
        asset: m.asset.toLowerCase(),
        duration: `${schedule.minutes}m`,
        twapEnabled: true,
        twapLookbackSeconds: 60,
      },
      events: [gammaEvent(m, false)],
    };
  };
  const gammaEvent = (m: SimMarket, withMarkets: boolean): Record<string, unknown> => ({
    id: `ev-${m.id}`,
    ticker: m.slug,
    slug: m.slug,
    title: `${m.asset} Up or Down`,
    startDate: iso(m.createdMs),
    startTime: iso(m.startMs),
    endDate: iso(m.endMs),
    active: true,
    closed: m.closed,
    negRisk: false,
    seriesSlug: m.seriesSlug,
    series: [{ id: `series-${m.asset}`, ticker: m.seriesSlug, slug: m.seriesSlug, recurrence: `${schedule.minutes}m`, active: true, closed: false }],
    ...(m.priceToBeat !== null ? { eventMetadata: { priceToBeat: m.priceToBeat, ...(m.finalPrice !== null ? { finalPrice: m.finalPrice } : {}) } } : {}),
    ...(withMarkets ? { markets: [gammaMarket(m)] } : {}),
  });
  const clobMarket = (m: SimMarket) => ({
    condition_id: m.conditionId,
    question_id: m.questionId,
    market_slug: m.slug,
    active: true,
    closed: m.closed,
    accepting_orders: !m.closed,
    enable_order_book: true,
    minimum_order_size: MIN_SIZE,
    minimum_tick_size: tickOf(m),
    neg_risk: false,
    end_date_iso: iso(m.endMs),
    tokens: [
      { token_id: m.upToken, outcome: 'Up', price: m.closed ? (m.winner === 'Up' ? 1 : 0) : 0.5, winner: m.winner === 'Up' },
      { token_id: m.downToken, outcome: 'Down', price: m.closed ? (m.winner === 'Down' ? 1 : 0) : 0.5, winner: m.winner === 'Down' },
    ],
  });
  const bookJson = (tokenId: string) => {
    const entry = schedule.byToken.get(tokenId);
    const book = exchange.books.get(tokenId);
    if (!entry || !book || entry.market.closed) return null;
    const fmt = (l: { price: number; size: number }) => ({ price: String(l.price), size: String(l.size) });
    const asks = book.asks.filter((l) => l.size > 0);
    const bids = book.bids.filter((l) => l.size > 0);
    return {
      market: entry.market.conditionId,
      asset_id: tokenId,
      timestamp: String(book.timestampMs),
      hash: book.hash,
      // As the real CLOB: bids ascending and asks descending, so the best price is last.
      bids: [...bids].reverse().map(fmt),
      asks: [...asks].reverse().map(fmt),
      min_order_size: String(MIN_SIZE),
      tick_size: String(tickOf(entry.market)),
      neg_risk: false,
      last_trade_price: '0.5',
    };
  };
  const orderJson = (o: SimOrder) => ({
    id: o.id,
    status: o.status,
    market: o.conditionId,
    original_size: o.originalSize.toFixed(4),
    outcome: o.outcome,
    maker_address: o.maker,
    owner: o.owner,
    price: o.price.toFixed(4),
    side: o.side,
    size_matched: o.sizeMatched.toFixed(4),
    asset_id: o.tokenId,
    expiration: o.expirationS > 0 ? String(o.expirationS) : null,
    order_type: o.orderType,
    created_at: Math.floor(o.createdAtMs / 1_000),
    associate_trades: o.trades.map((t) => t.id),
  });
  // REST trades carry `TRADE_STATUS_*` statuses (the WS the plain value; bindings shared.ts, §5.4
  // item 16). Where ours was the maker, the taker is someone else's order and ours is in `maker_orders`.
  const tradeJson = (t: SimTrade) => ({
    id: t.id,
    taker_order_id: t.takerOrderId,
    market: t.market,
    asset_id: t.assetId,
    side: t.side,
    size: String(t.size),
    fee_rate_bps: '0',
    fee: t.fee.toFixed(6),
    price: String(t.price),
    status: `TRADE_STATUS_${t.status}`,
    match_time: String(Math.floor(t.matchTimeMs / 1_000)),
    last_update: String(Math.floor(t.lastUpdateMs / 1_000)),
    outcome: t.outcome,
    bucket_index: t.bucketIndex,
    owner: t.owner,
    maker_address: t.makerAddress,
    transaction_hash: t.status === 'MATCHED' || t.status === 'RETRYING' ? '' : t.transactionHash,
    maker_orders:
      t.traderSide === 'MAKER'
        ? [
            {
              order_id: t.orderId,
              owner: t.owner,
              maker_address: t.makerAddress,
              matched_amount: String(t.size),
              price: String(t.price),
              fee_rate_bps: '0',
              asset_id: t.assetId,
              outcome: t.outcome,
              side: t.side,
            },
          ]
        : [],
    trader_side: t.traderSide,
  });

  // ---------- order placement ----------
  type Placed = { status: number; json: unknown; accepted: boolean };
  const refused = (errorMsg: string, orderID = ''): Placed => ({
    // §5.3 item 12: some refusals come back as HTTP 200 with success:false and the venue's text.
    status: 200,
    json: { success: false, errorMsg, orderID, status: '', makingAmount: '', takingAmount: '', transactionsHashes: [], tradeIDs: [] },
    accepted: false,
  });
  const bad = (error: string): Placed => ({ status: 400, json: { error }, accepted: false });
  const FOK_KILLED = "order couldn't be fully filled. FOK orders are fully filled or killed.";
  const FAK_KILLED = 'no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.';

  /** A delayed marketable order matches when its delay is over (and no later than the next tick). */
  const matchLater = (o: SimOrder) => {
    setTimeout(() => {
      if (o.status !== 'DELAYED' || o.matchAtMs === null) return;
      o.matchAtMs = null;
      if (o.orderType === 'FOK' && exchange.available(o) < o.originalSize) o.status = 'CANCELED';
      else exchange.take(o, Date.now());
    }, exchange.cfg.takerDelayMs).unref();
  };

  async function placeOrder(body: unknown, creds: ApiCreds): Promise<Placed> {
    const parsed = PostOrderSchema.safeParse(body);
    if (!parsed.success) return bad('Invalid payload');
    const { order: wire, orderType, postOnly, owner } = parsed.data;
    const w = wire as WireOrder;
    // §5.1 item 4 (polymarket-php PR #27).
    if (owner !== creds.apiKey) return bad('the order owner has to be the owner of the API KEY');
    const entry = schedule.byToken.get(w.tokenId);
    if (!entry) return bad('Invalid token id');
    // §5.2 item 9: post-only only with GTC/GTD.
    if (postOnly && (orderType === 'FOK' || orderType === 'FAK')) return bad('invalid post-only order: only GTC and GTD order types are allowed');
    // §5.1 item 4 and §2: who may sign for this key's account (EOA, proxy, Safe, deposit wallet).
    const signerProblem = await checkOrderSigner(w, accounts.get(creds.address), () => orderSigner(w));
    if (signerProblem) return bad(signerProblem);
    const id = orderHash(w);
    if (exchange.orders.has(id)) return bad(`INVALID_ORDER_DUPLICATED: order ${id} is invalid. Duplicated.`);
    const m = entry.market;
    // §5.3 item 12 (SDK bindings order-response.ts): a market not taking orders.
    if (m.closed) return refused('the market is not yet ready to process new orders');
    // §5.2 items 5-7: tick grid, precision, exact size × price, minimums.
    const checked = checkAmounts(w, orderType, tickOf(m), id);
    if (!checked.ok) return bad(checked.error);
    // §5.2 item 8: a GTD order must outlive the one-minute security threshold.
    const expirationS = Number(w.expiration ?? '0');
    if (orderType === 'GTD' && !(expirationS * 1_000 > Date.now() + 60_000)) return refused('invalid expiration');
    // (Balances and what open orders reserve are checked here by the money module: issue 16.)
    const o: SimOrder = {
      id,
      owner: creds.apiKey,
      maker: w.maker,
      tokenId: w.tokenId,
      conditionId: m.conditionId,
      outcome: entry.outcome,
      side: w.side,
      price: checked.order.price,
      originalSize: checked.order.size,
      sizeMatched: 0,
      status: 'LIVE',
      orderType,
      expirationS,
      createdAtMs: Date.now(),
      matchAtMs: null,
      trades: [],
    };
    const marketable = exchange.marketable(o);
    if (postOnly && marketable) return refused('invalid post-only order: order crosses book', id);
    // The account must hold what the order needs beyond what its open orders reserve (balances.ts).
    const short = balances.refusal(o, marketable && !postOnly);
    if (short) return bad(short);
    exchange.orders.set(id, o);
    const takerDelay = exchange.cfg.takerDelayMs;
    let status: 'live' | 'matched' | 'delayed' | 'unmatched';
    if (orderType === 'FOK' && exchange.available(o) < o.originalSize) {
      // A FOK the book cannot fill in full now is killed at once.
      o.status = 'CANCELED';
      log('order', { id, side: o.side, price: o.price, size: o.originalSize, type: orderType, status: o.status });
      return { ...refused(FOK_KILLED, id), accepted: true };
    }
    if (marketable && (orderType === 'GTC' || orderType === 'GTD') && faults.failDelays > 0) {
      // §5.3 item 11: "unmatched" = marketable, failed to delay, placement successful (it rests).
      faults.failDelays -= 1;
      status = 'unmatched';
    } else if (marketable && takerDelay > 0) {
      // §5.3 item 13 and polymarket.md §5: marketable orders wait out the taker delay. A FAK can
      // come back `live` as well as `delayed` (clob-client #317).
      o.status = 'DELAYED';
      o.matchAtMs = Date.now() + takerDelay;
      matchLater(o);
      status = orderType === 'FAK' && rng.next() < 0.5 ? 'live' : 'delayed';
    } else {
      if (orderType === 'FOK' && exchange.available(o) < o.originalSize) o.status = 'CANCELED';
      else if (marketable) exchange.take(o, Date.now());
      else if (orderType === 'FOK' || orderType === 'FAK') o.status = 'CANCELED';
      if (o.status === 'CANCELED' && o.sizeMatched === 0) {
        log('order', { id, side: o.side, price: o.price, size: o.originalSize, type: orderType, status: o.status });
        return { ...refused(orderType === 'FOK' ? FOK_KILLED : FAK_KILLED, id), accepted: true };
      }
      status = o.sizeMatched > 0 ? 'matched' : 'live';
    }
    log('order', { id, side: o.side, price: o.price, size: o.originalSize, type: orderType, status: o.status, matched: o.sizeMatched });
    const paid = o.trades.reduce((x, t) => x + t.size * t.price, 0);
    const making = o.side === 'BUY' ? paid : o.sizeMatched;
    const taking = o.side === 'BUY' ? o.sizeMatched : paid;
    return {
      status: 200,
      json: {
        success: true,
        errorMsg: '',
        orderID: id,
        status,
        // "" when nothing matched (§5.3 item 11).
        makingAmount: o.sizeMatched > 0 ? String(r6(making)) : '',
        takingAmount: o.sizeMatched > 0 ? String(r6(taking)) : '',
        // Best effort: empty while the trades are only MATCHED (§5.3 item 11).
        transactionsHashes: [],
        tradeIDs: o.trades.map((t) => t.id),
      },
      accepted: true,
    };
  }

  // ---------- routing ----------
  type Ctx = { method: string; path: string; query: URLSearchParams; body: string; json: unknown; headers: http.IncomingHttpHeaders };
  const needL2 = (ctx: Ctx): ApiCreds => {
    const creds = keys.verifyL2(ctx.headers, ctx.method, ctx.path, ctx.body);
    if (!creds) throw new HttpError(401, 'Unauthorized/Invalid api key');
    return creds;
  };
  const gammaList = (markets: SimMarket[], q: URLSearchParams) => {
    const closed = q.get('closed');
    const slugs = q.getAll('slug');
    let list = markets.filter((m) => (closed === 'true' ? m.closed : !m.closed));
    if (slugs.length) list = list.filter((m) => slugs.includes(m.slug));
    list.sort((a, b) => Number(a.id) - Number(b.id));
    return list;
  };

  const accountJson = (a: ReturnType<Accounts['get']>) => ({
    address: a.eoa,
    type: a.type,
    wallet: a.wallet,
    deployed: a.deployed,
    signatureType: SIGNATURE_TYPES[a.type],
  });
  const setHeaders = (res: http.ServerResponse, headers: Record<string, string>) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  };
  /** §5.6 item 20: the per-signer bucket; over it, 429 with Retry-After. Headers on every answer. */
  const limit = (res: http.ServerResponse, creds: ApiCreds, kind: 'order' | 'cancel', cost: number) => {
    const v = limits.take(creds.apiKey, kind, cost, Date.now());
    setHeaders(res, v.headers);
    if (!v.ok) {
      res.setHeader('Retry-After', String(v.retryAfterS ?? 1));
      throw new HttpError(429, 'Too Many Requests');
    }
  };
  /**
   * §5.6 item 21 (ts-sdk restrictions.ts): 425 while the matching engine restarts (orders and
   * cancels); 503 in cancel-only mode (orders only); 503 `post_only_mode` for orders that are not post-only.
   */
  const tradingMode = (res: http.ServerResponse, what: 'post' | 'cancel', bodies: unknown[]) => {
    const now = Date.now();
    if (restartUntilMs > now) {
      res.setHeader('Retry-After', String(Math.ceil((restartUntilMs - now) / 1_000)));
      throw new HttpError(425, 'Too Early: the trading engine is restarting');
    }
    if (what !== 'post') return;
    if (faults.cancelOnly) {
      res.setHeader('Retry-After', '5');
      throw new HttpError(503, 'Trading is currently cancel-only. New orders are not accepted, but cancels are allowed.', { retry_after_seconds: 5 });
    }
    if (faults.postOnlyMode && bodies.some((b) => !(b as { postOnly?: unknown } | null)?.postOnly)) {
      throw new HttpError(503, 'post-only mode: only post-only orders and cancels are allowed', { code: 'post_only_mode' });
    }
  };

  async function route(ctx: Ctx, res: http.ServerResponse): Promise<unknown> {
    const { method, path, query } = ctx;
    const seg = path.split('/').filter(Boolean);
    const all = [...schedule.markets.values()];
    // Sim control and health never see faults.
    if (path === '/healthz') return { ok: true };
    if (path === '/sim/info') return { windowSeconds, assets: [...prices.keys()], seed, feeRate: FEE_RATE, startedAtMs: startMs };
    if (path === '/sim/orders') {
      return {
        orders: [...exchange.orders.values()].map((o) => ({
          id: o.id,
          owner: o.owner,
          maker: o.maker,
          tokenId: o.tokenId,
          conditionId: o.conditionId,
          outcome: o.outcome,
          side: o.side,
          price: o.price,
          originalSize: o.originalSize,
          sizeMatched: o.sizeMatched,
          status: o.status,
          orderType: o.orderType,
          createdAtMs: o.createdAtMs,
          fills: o.trades.map((t) => ({ tradeId: t.id, price: t.price, size: t.size, fee: t.fee, status: t.status })),
        })),
      };
    }
    if (path === '/sim/relayer-keys' && method === 'POST') {
      // Stands in for the Polymarket app, where a user creates a Relayer API key for an address.
      const body = z.object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/) }).safeParse(ctx.json);
      if (!body.success) throw new HttpError(400, 'usage: POST /sim/relayer-keys {"address": "0x…"}');
      return { apiKey: relayer.keyFor(body.data.address), address: body.data.address, depositWallet: relayer.walletOf(body.data.address) };
    }
    if (seg[0] === 'sim' && seg[1] === 'accounts' && seg[2] && /^0x[0-9a-fA-F]{40}$/.test(seg[2])) {
      // Inspect an account, or inject a failure: a withdrawal (balance) or revoked approvals.
      const address = seg[2];
      if (method === 'POST') {
        const body = z
          .object({ balanceUsd: z.number().min(0).optional(), revokeApprovals: z.literal(true).optional() })
          .strict()
          .safeParse(ctx.json);
        if (!body.success) throw new HttpError(400, 'usage: POST /sim/accounts/{address} {"balanceUsd"?: number, "revokeApprovals"?: true}');
        if (body.data.balanceUsd !== undefined) chain.setBalance(address, toUnits(body.data.balanceUsd));
        if (body.data.revokeApprovals) chain.revokeApprovals(address);
      }
      return {
        address,
        pusd: Number(chain.balance(address)) / 1e6,
        clobView: Number(balances.balance(address, COLLATERAL)) / 1e6,
        reserved: Number(balances.reserved(address, COLLATERAL)) / 1e6,
        tokens: Object.fromEntries(chain.tokens(address).map(([t, v]) => [t, Number(v) / 1e6])),
        relayerNonce: relayer.nonce(address).toString(),
        deployed: relayer.isDeployed(address),
      };
    }
    if (path === '/sim/relayer') return { transactions: relayer.txs };
    if (path === '/sim/faults') {
      if (method === 'POST') {
        const parsed = FaultsSchema.partial().strict().safeParse(ctx.json);
        if (!parsed.success) throw new HttpError(400, `invalid faults: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
        faults = FaultsSchema.parse({ ...faults, ...parsed.data });
        exchange.cfg.failTradeProb = faults.failTrades;
        if (parsed.data.restartForMs !== undefined) restartUntilMs = Date.now() + parsed.data.restartForMs;
        log('faults set', faults);
      }
      return { faults, counters };
    }
    if (seg[0] === 'sim' && seg[1] === 'users') {
      // Sign-up, as polymarket.com does it: which wallet an EOA trades through (§2, §5.1 item 4).
      if (method === 'POST' && !seg[2]) {
        const a = z
          .object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/), type: z.enum(['eoa', 'proxy', 'safe', 'deposit']), deployed: z.boolean().optional() })
          .safeParse(ctx.json);
        if (!a.success) throw new HttpError(400, 'usage: POST /sim/users {"address": "0x…", "type": "eoa"|"proxy"|"safe"|"deposit", "deployed"?: bool}');
        return accountJson(accounts.register(a.data.address, a.data.type as AccountType, a.data.deployed ?? true));
      }
      if (method === 'GET' && seg[2] && /^0x[0-9a-fA-F]{40}$/.test(seg[2])) return accountJson(accounts.get(seg[2]));
      throw new HttpError(400, 'usage: GET /sim/users/{address} or POST /sim/users');
    }
    if (seg[0] === 'sim' && seg[1] === 'oracle' && seg[3] === 'jump' && method === 'POST') {
      const p = prices.get((seg[2] ?? '').toUpperCase() as SimAsset);
      const pct = z.object({ pct: z.number().min(-50).max(50) }).safeParse(ctx.json);
      if (!p || !pct.success) throw new HttpError(400, 'usage: POST /sim/oracle/{asset}/jump {"pct": number}');
      p.jump(pct.data.pct, Date.now());
      exchange.refreshQuotes(Date.now());
      return { asset: p.asset, value: p.latest().value, timestamp: p.latest().timestampMs };
    }

    // §5.6 item 22: the geoblock check lives on polymarket.com (here, on the same host).
    if (method === 'GET' && path === '/api/geoblock') {
      return faults.geoblocked
        ? { blocked: true, ip: '127.0.0.1', country: 'US', region: 'NY' }
        : { blocked: false, ip: '127.0.0.1', country: 'PT', region: 'LI' };
    }

    // ---------- faults on the API surface ----------
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (faults.burst500 > 0) {
      faults.burst500 -= 1;
      counters.injected500 += 1;
      throw new HttpError(500, 'Internal Server Error');
    }
    if (faults.rate429 > 0 && rng.next() < faults.rate429) {
      counters.injected429 += 1;
      res.setHeader('Retry-After', String(faults.retryAfterSeconds));
      throw new HttpError(429, 'Too Many Requests');
    }

    // ---------- oracle ----------
    if (seg[0] === 'oracle' && seg[1]) {
      const p = prices.get(seg[1].toUpperCase() as SimAsset);
      if (!p) throw new HttpError(404, 'unknown asset');
      const symbol = `${seg[1].toLowerCase()}/usd`;
      if (seg[2] === 'history') {
        const from = Number(query.get('from') ?? Date.now() - 3_600_000);
        const to = Number(query.get('to') ?? Date.now());
        return { symbol, points: p.history(from, to).map((x) => ({ timestamp: x.timestampMs, value: x.value })) };
      }
      const last = p.latest();
      return {
        symbol,
        value: last.value,
        timestamp: last.timestampMs,
        twap: { value: p.twap(last.timestampMs, 60), timestamp: last.timestampMs, window_s: 60 },
      };
    }

    // ---------- Gamma ----------
    const gamma = (v: unknown) => {
      if (faults.malformedGamma > 0) {
        faults.malformedGamma -= 1;
        counters.malformed += 1;
        return { raw: '{"id": "broken", "conditionId": [' };
      }
      return v;
    };
    if (method === 'GET' && path === '/markets') {
      const list = gammaList(all, query);
      const offset = Number(query.get('offset') ?? 0);
      const limit = Math.min(Number(query.get('limit') ?? 100), 500);
      return gamma(list.slice(offset, offset + limit).map(gammaMarket));
    }
    if (method === 'GET' && path === '/markets/keyset') {
      if (query.has('offset')) throw new HttpError(400, 'offset is not supported on keyset; use after_cursor');
      const list = gammaList(all, query);
      const after = query.get('after_cursor');
      const start = after ? list.findIndex((m) => m.id === Buffer.from(after, 'base64url').toString()) + 1 : 0;
      const limit = Math.min(Number(query.get('limit') ?? 100), 500);
      const page = list.slice(start, start + limit);
      const last = page[page.length - 1];
      const more = start + limit < list.length;
      return gamma({ markets: page.map(gammaMarket), next_cursor: more && last ? Buffer.from(last.id).toString('base64url') : null });
    }
    if (method === 'GET' && seg[0] === 'markets' && seg[1] === 'slug' && seg[2]) {
      const m = all.find((x) => x.slug === seg[2]);
      if (!m) throw new HttpError(404, 'market not found');
      return gamma(gammaMarket(m));
    }
    if (method === 'GET' && seg[0] === 'events' && seg[1] === 'slug' && seg[2]) {
      const m = all.find((x) => x.slug === seg[2]);
      if (!m) throw new HttpError(404, 'event not found');
      return gamma(gammaEvent(m, true));
    }
    if (method === 'GET' && seg[0] === 'markets' && seg[1] && /^\d+$/.test(seg[1])) {
      const m = all.find((x) => x.id === seg[1]);
      if (!m) throw new HttpError(404, 'market not found');
      return gamma(gammaMarket(m));
    }

    // ---------- CLOB public ----------
    const books = (ids: string[]) => {
      if (faults.malformedBooks > 0) {
        faults.malformedBooks -= 1;
        counters.malformed += 1;
        return ids.map((id) => ({ asset_id: id, bids: [{ price: 'abc', size: '-1' }], asks: 'nope' }));
      }
      return ids.map(bookJson).filter((b) => b !== null);
    };
    if (method === 'GET' && path === '/book') {
      const id = query.get('token_id') ?? '';
      const b = books([id]);
      if (b.length === 0) throw new HttpError(404, 'No orderbook exists for the requested token id');
      return b[0];
    }
    if (method === 'POST' && path === '/books') {
      const parsed = z
        .array(z.object({ token_id: z.string() }))
        .max(500)
        .safeParse(ctx.json);
      if (!parsed.success) throw new HttpError(400, 'Invalid payload');
      return books(parsed.data.map((x) => x.token_id));
    }
    if (method === 'GET' && seg[0] === 'clob-markets' && seg[1]) {
      const m = schedule.markets.get(seg[1]);
      if (!m) throw new HttpError(404, 'market not found');
      return {
        c: m.conditionId,
        t: [
          { t: m.upToken, o: 'Up' },
          { t: m.downToken, o: 'Down' },
        ],
        mts: tickOf(m),
        nr: false,
        fd: { r: FEE_RATE, e: 1, to: true },
        mos: MIN_SIZE,
        itode: exchange.cfg.takerDelayMs > 0,
      };
    }
    if (method === 'GET' && seg[0] === 'markets' && seg[1]?.startsWith('0x')) {
      const m = schedule.markets.get(seg[1]);
      if (!m) throw new HttpError(404, 'market not found');
      return clobMarket(m);
    }
    if (method === 'GET' && path === '/tick-size') {
      const entry = schedule.byToken.get(query.get('token_id') ?? '');
      if (!entry) throw new HttpError(400, 'Invalid token id');
      return { minimum_tick_size: tickOf(entry.market) };
    }
    if (method === 'GET' && path === '/neg-risk') return { neg_risk: false };
    if (method === 'GET' && path === '/fee-rate') return { base_fee: 1000 };
    // docs/polymarket.md §3: the server's clock in unix seconds (clients sign L1/L2 timestamps against it).
    if (method === 'GET' && path === '/time') return Math.floor((Date.now() + faults.clockOffsetMs) / 1_000);
    if (method === 'GET' && path === '/version') return { version: 2 };
    if (method === 'GET' && path === '/ok') return 'OK';

    // ---------- auth ----------
    if ((method === 'POST' && path === '/auth/api-key') || (method === 'GET' && path === '/auth/derive-api-key')) {
      // §5.1 item 3: POLY_ADDRESS must be the address that signed.
      const address = await keys.verifyL1(ctx.headers);
      if (!address) throw new HttpError(401, 'Invalid L1 Request headers');
      const nonce = String(ctx.headers['poly_nonce'] ?? '0');
      // §5.1 items 1-2: create refuses an existing key (clients then derive); derive needs one.
      const c = method === 'POST' ? keys.create(address, nonce) : keys.deriveExisting(address, nonce);
      if (!c) throw new HttpError(400, method === 'POST' ? 'Could not create api key' : 'Could not derive api key!');
      return { apiKey: c.apiKey, secret: c.secret, passphrase: c.passphrase };
    }
    if (method === 'GET' && path === '/auth/ban-status/closed-only') {
      needL2(ctx);
      return { closed_only: faults.closedOnly };
    }

    // ---------- CLOB private ----------
    if (method === 'POST' && path === '/order') {
      const creds = needL2(ctx);
      tradingMode(res, 'post', [ctx.json]);
      limit(res, creds, 'order', 1);
      const r = await placeOrder(ctx.json, creds);
      if (r.accepted && faults.dropAfterAccept > 0) {
        faults.dropAfterAccept -= 1;
        counters.dropped += 1;
        res.socket?.destroy();
        return DROPPED;
      }
      res.statusCode = r.status;
      return r.json;
    }
    if (method === 'POST' && path === '/orders') {
      const creds = needL2(ctx);
      if (!Array.isArray(ctx.json) || ctx.json.length > 15) throw new HttpError(400, 'Invalid payload: at most 15 orders');
      tradingMode(res, 'post', ctx.json);
      // §5.6 item 20: a batch costs one token per order, all or nothing.
      limit(res, creds, 'order', ctx.json.length);
      const out = [];
      for (const body of ctx.json) {
        const r = await placeOrder(body, creds);
        // §5.3 item 13: one answer per order, in order; a refused one as success:false.
        out.push(r.status === 200 ? r.json : { success: false, errorMsg: (r.json as { error: string }).error, orderID: '', status: '' });
      }
      return out;
    }
    if (method === 'DELETE' && (path === '/order' || path === '/orders' || path === '/cancel-all' || path === '/cancel-market-orders')) {
      const creds = needL2(ctx);
      tradingMode(res, 'cancel', []);
      let ids: string[];
      if (path === '/order') ids = [z.object({ orderID: z.string() }).parse(ctx.json).orderID];
      else if (path === '/orders') ids = z.array(z.string()).parse(ctx.json);
      else {
        const filter =
          path === '/cancel-market-orders' ? z.object({ market: z.string().optional(), asset_id: z.string().optional() }).parse(ctx.json ?? {}) : {};
        ids = exchange
          .openOrders(creds.apiKey)
          .filter((o) => (!filter.market || o.conditionId === filter.market) && (!filter.asset_id || o.tokenId === filter.asset_id))
          .map((o) => o.id);
      }
      // §5.6 item 20: one token per id; cancel-all and cancel-market-orders cost 1 + what they cancel.
      if (path === '/order' || path === '/orders') limit(res, creds, 'cancel', Math.max(1, ids.length));
      else setHeaders(res, limits.charge(creds.apiKey, 'cancel', 1 + ids.length, Date.now()));
      const canceled: string[] = [];
      const notCanceled: Record<string, string> = {};
      for (const id of ids) {
        const why = exchange.cancel(id, creds.apiKey);
        if (why) notCanceled[id] = why;
        else canceled.push(id);
      }
      return { canceled, not_canceled: notCanceled };
    }
    if (method === 'GET' && seg[0] === 'data' && seg[1] === 'order' && seg[2]) {
      const creds = needL2(ctx);
      const o = exchange.orders.get(seg[2]);
      // §5.4 item 14: nothing (null) for an order that is not active: filled, cancelled, or unknown.
      if (!o || o.owner !== creds.apiKey || (o.status !== 'LIVE' && o.status !== 'DELAYED')) return null;
      return orderJson(o);
    }
    if (method === 'GET' && path === '/data/orders') {
      const creds = needL2(ctx);
      const market = query.get('market');
      const asset = query.get('asset_id');
      const id = query.get('id');
      const list = exchange
        .openOrders(creds.apiKey)
        .filter((o) => (!market || o.conditionId === market) && (!asset || o.tokenId === asset) && (!id || o.id === id));
      return { data: list.map(orderJson), next_cursor: 'LTE=', limit: list.length, count: list.length };
    }
    if (method === 'GET' && path === '/data/trades') {
      const creds = needL2(ctx);
      const market = query.get('market');
      const id = query.get('id');
      const after = Number(query.get('after') ?? 0);
      const list = exchange.trades(creds.apiKey).filter((t) => (!market || t.market === market) && (!id || t.id === id) && t.lastUpdateMs / 1_000 >= after);
      return { data: list.map(tradeJson), next_cursor: 'LTE=', limit: list.length, count: list.length };
    }
    if (method === 'POST' && path === '/v1/heartbeats') {
      const creds = needL2(ctx);
      const body = z.object({ heartbeat_id: z.string().nullish() }).safeParse(ctx.json ?? {});
      if (faults.missHeartbeats) {
        counters.heartbeatsMissed += 1;
        for (const o of exchange.openOrders(creds.apiKey)) o.status = 'CANCELED';
        heartbeats.drop(creds.apiKey);
        res.statusCode = 400;
        return { error_msg: 'Invalid Heartbeat ID', heartbeat_id: '' };
      }
      // §5.5 item 18: ids rotate; a wrong or spent one gets 400 carrying the right one.
      const beat = heartbeats.beat(creds.apiKey, (body.success && body.data.heartbeat_id) || '', Date.now());
      if (!beat.ok) {
        res.statusCode = 400;
        return { error_msg: 'Invalid Heartbeat ID', heartbeat_id: beat.heartbeatId };
      }
      return { heartbeat_id: beat.heartbeatId };
    }
    if (method === 'POST' && path === '/heartbeats') {
      // §5.5 item 18: the legacy endpoint shares the session and resets the expected id to "".
      const creds = needL2(ctx);
      heartbeats.legacy(creds.apiKey, Date.now());
      return { status: 'ok' };
    }
    if (method === 'GET' && (path === '/balance-allowance' || path === '/balance-allowance/update')) {
      // polymarket-venue.md §1/§4: the account is the key's address, or its deposit wallet for
      // signature type 3; `/update` makes the CLOB re-read the chain (balances.ts).
      const creds = needL2(ctx);
      const q = z
        .object({
          asset_type: z.enum(['COLLATERAL', 'CONDITIONAL']),
          token_id: z.string().regex(/^\d*$/).optional(),
          signature_type: z.coerce.number().int().min(0).max(3).optional(),
        })
        .safeParse(Object.fromEntries(query));
      if (!q.success || (q.data.asset_type === 'CONDITIONAL' && !q.data.token_id))
        throw new HttpError(400, 'Invalid payload: asset_type COLLATERAL, or CONDITIONAL with token_id');
      // Whose balance: the deposit wallet (type 3), the account's proxy or Safe (1, 2), else the key's own address.
      const account =
        q.data.signature_type === 3
          ? relayer.walletOf(creds.address)
          : q.data.signature_type === 1 || q.data.signature_type === 2
            ? accounts.get(creds.address).wallet
            : creds.address;
      const asset = q.data.asset_type === 'COLLATERAL' ? COLLATERAL : q.data.token_id!;
      if (path === '/balance-allowance/update') {
        balances.refresh(account, asset);
        return '';
      }
      return balances.answer(account, asset);
    }
    // ---------- relayer (relayer.ts) ----------
    const relayed = await relayer.route(method, path, query, ctx.json, ctx.headers);
    if (relayed) {
      res.statusCode = relayed.status;
      return relayed.body;
    }
    throw new HttpError(404, `no route for ${method} ${path}`);
  }

  const DROPPED = Symbol('dropped');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sim');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = undefined;
      if (body) {
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
      }
      const ctx: Ctx = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname.replace(/\/+$/, '') || '/',
        query: url.searchParams,
        body,
        json,
        headers: req.headers,
      };
      route(ctx, res)
        .then((out) => {
          if (out === DROPPED) return;
          if (out && typeof out === 'object' && 'raw' in out && Object.keys(out).length === 1) {
            res.setHeader('content-type', 'application/json');
            res.end(String((out as { raw: string }).raw));
            return;
          }
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(out));
        })
        .catch((err: unknown) => {
          const status = err instanceof HttpError ? err.status : err instanceof z.ZodError ? 400 : 500;
          if (status === 500 && !(err instanceof HttpError)) log('internal error', { err: (err as Error).message });
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({ error: err instanceof z.ZodError ? 'Invalid payload' : (err as Error).message, ...(err instanceof HttpError ? err.extra : {}) }),
          );
        });
    });
  });
  // The CLOB market channel: book snapshots each second for subscribed tokens, and every trade.
  const wss = new WebSocketServer({ noServer: true });
  // RTDS (Chainlink price and 60 s TWAP topics) at /rtds.
  const rtdsWss = new WebSocketServer({ noServer: true });
  const rtds = new RtdsHub(prices);
  server.on('upgrade', (req, socket, head) => {
    const wsPath = new URL(req.url ?? '/', 'http://sim').pathname;
    if (wsPath === '/rtds') return rtdsWss.handleUpgrade(req, socket, head, (ws) => rtds.attach(ws));
    if (wsPath !== '/ws/market') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      subs.set(ws, new Set());
      ws.on('message', (data) => {
        const text = data.toString();
        if (text === 'PING') return ws.send('PONG');
        const msg = z
          .object({ assets_ids: z.array(z.string()), operation: z.enum(['subscribe', 'unsubscribe']).optional() })
          .passthrough()
          .safeParse(safeParse(text));
        if (!msg.success) return;
        const set = subs.get(ws)!;
        for (const id of msg.data.assets_ids) {
          if (msg.data.operation === 'unsubscribe') set.delete(id);
          else set.add(id);
        }
        const snaps = msg.data.assets_ids
          .map(bookJson)
          .filter((b) => b !== null)
          .map((b) => ({ event_type: 'book', ...b }));
        if (snaps.length) ws.send(JSON.stringify(snaps));
      });
      ws.on('close', () => subs.delete(ws));
    });
  });
  exchange.onPublicTrade = (t) => {
    const msg = JSON.stringify({
      event_type: 'last_trade_price',
      asset_id: t.tokenId,
      market: t.conditionId,
      price: String(t.price),
      size: String(t.size),
      side: t.side,
      fee_rate_bps: '0',
      timestamp: String(t.timestampMs),
    });
    for (const [ws, set] of subs) if (set.has(t.tokenId)) ws.send(msg);
  };
  const wsTimer = setInterval(() => {
    rtds.publish(Date.now());
    for (const [ws, set] of subs) {
      const snaps = [...set]
        .map(bookJson)
        .filter((b) => b !== null)
        .map((b) => ({ event_type: 'book', ...b }));
      if (snaps.length) ws.send(JSON.stringify(snaps));
    }
  }, 1_000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4010, opts.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state: {
      schedule,
      exchange,
      get faults() {
        return faults;
      },
      counters,
      chain,
      balances,
      relayer,
    } as SimVenue['state'],
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        clearInterval(wsTimer);
        for (const ws of subs.keys()) ws.terminate();
        wss.close();
        rtds.closeAll();
        rtdsWss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
