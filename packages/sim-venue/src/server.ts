import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { ApiKeys, EXCHANGE_V2, orderHash, orderSigner, type ApiCreds, type WireOrder } from './auth.js';
import { ClobBalances, COLLATERAL } from './balances.js';
import { Chain, toUnits } from './chain.js';
import { Exchange, r2, r6, type SimOrder, type SimTrade } from './exchange.js';
import { defaultFaults, FaultsSchema, type FaultCounters, type Faults } from './faults.js';
import { MarketSchedule, type SimMarket } from './markets.js';
import { PriceProcess, SIM_ASSETS, type SimAsset } from './prices.js';
import { Rng } from './random.js';
import { depositWalletOrderOwner, Relayer, type RelayerTiming } from './relayer.js';
import { RtdsHub } from './rtds.js';

export interface SimVenueOptions {
  port?: number;
  host?: string;
  windowSeconds?: number;
  assets?: SimAsset[];
  seed?: number;
  twap?: boolean;
  misprice?: number;
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
    { feeRate: FEE_RATE, tick: TICK, misprice: opts.misprice ?? 0.2, takerDelayMs: opts.takerDelayMs ?? 0, failTradeProb: 0 },
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
  const heartbeats = new Map<string, number>();
  const subs = new Map<WebSocket, Set<string>>();

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
    for (const [owner, last] of heartbeats) {
      if (now - last > (opts.heartbeatTimeoutMs ?? 10_000)) {
        heartbeats.delete(owner);
        for (const o of exchange.openOrders(owner)) o.status = 'CANCELED';
        log('heartbeat expired: cancelled all orders', { owner });
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
      orderPriceMinTickSize: TICK,
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
    minimum_tick_size: TICK,
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
      tick_size: String(TICK),
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
  const tradeJson = (t: SimTrade) => ({
    id: t.id,
    taker_order_id: t.orderId,
    market: t.market,
    asset_id: t.assetId,
    side: t.side,
    size: String(t.size),
    fee_rate_bps: '0',
    fee: t.fee.toFixed(6),
    price: String(t.price),
    status: t.status,
    match_time: String(Math.floor(t.matchTimeMs / 1_000)),
    last_update: String(Math.floor(t.lastUpdateMs / 1_000)),
    outcome: t.outcome,
    bucket_index: 0,
    owner: t.owner,
    maker_address: t.makerAddress,
    transaction_hash: t.status === 'MATCHED' ? '' : t.transactionHash,
    maker_orders: [],
    trader_side: t.traderSide,
  });

  // ---------- order placement ----------
  async function placeOrder(body: unknown, creds: ApiCreds): Promise<{ status: number; json: unknown; accepted: boolean }> {
    const parsed = PostOrderSchema.safeParse(body);
    if (!parsed.success) return { status: 400, json: { error: 'Invalid payload' }, accepted: false };
    const { order: wire, orderType, postOnly } = parsed.data;
    const w = wire as WireOrder;
    const entry = schedule.byToken.get(w.tokenId);
    if (!entry) return { status: 400, json: { error: 'Invalid token id' }, accepted: false };
    if (w.signatureType === 3) {
      // A deposit wallet's order (§2, §3): maker = signer = the key owner's deployed wallet, signed by the owner.
      const wallet = relayer.walletOf(creds.address);
      const lc = (a: string) => a.toLowerCase();
      if (lc(w.maker) !== lc(wallet) || lc(w.signer) !== lc(wallet) || !relayer.isDeployed(wallet)) {
        return { status: 400, json: { error: 'the order signer address has to be the address of the API KEY' }, accepted: false };
      }
      const owner = await depositWalletOrderOwner(w, EXCHANGE_V2);
      if (!owner || lc(owner) !== lc(creds.address)) return { status: 400, json: { error: 'invalid signature' }, accepted: false };
    } else {
      const signer = await orderSigner(w);
      if (!signer || signer.toLowerCase() !== w.signer.toLowerCase() || signer.toLowerCase() !== creds.address.toLowerCase()) {
        return { status: 400, json: { error: 'invalid signature' }, accepted: false };
      }
    }
    const id = orderHash(w);
    if (exchange.orders.has(id)) return { status: 400, json: { error: 'INVALID_ORDER_DUPLICATED: order already exists', orderID: id }, accepted: false };
    const m = entry.market;
    if (m.closed) return { status: 400, json: { error: 'MARKET_NOT_READY: market is closed' }, accepted: false };
    const makerAmt = Number(w.makerAmount) / 1e6;
    const takerAmt = Number(w.takerAmount) / 1e6;
    const size = w.side === 'BUY' ? takerAmt : makerAmt;
    const price = r6(w.side === 'BUY' ? makerAmt / takerAmt : takerAmt / makerAmt);
    const onGrid = Math.abs(price / TICK - Math.round(price / TICK)) < 1e-6;
    if (!(size > 0) || !onGrid || price < TICK || price > 1 - TICK) {
      return { status: 400, json: { error: `INVALID_ORDER_MIN_TICK_SIZE: price ${price} breaks the minimum tick size rule ${TICK}` }, accepted: false };
    }
    const o: SimOrder = {
      id,
      owner: creds.apiKey,
      maker: w.maker,
      tokenId: w.tokenId,
      conditionId: m.conditionId,
      outcome: entry.outcome,
      side: w.side,
      price: r2(price),
      originalSize: r2(size),
      sizeMatched: 0,
      status: 'LIVE',
      orderType,
      expirationS: Number(w.expiration ?? '0'),
      createdAtMs: Date.now(),
      matchAtMs: null,
      trades: [],
    };
    const marketable = exchange.marketable(o);
    if ((orderType === 'GTC' || orderType === 'GTD') && o.originalSize < MIN_SIZE) {
      return { status: 400, json: { error: `INVALID_ORDER_MIN_SIZE: size ${o.originalSize} is below the minimum ${MIN_SIZE}` }, accepted: false };
    }
    if ((orderType === 'FOK' || orderType === 'FAK') && o.originalSize * o.price < 1) {
      return { status: 400, json: { error: 'INVALID_ORDER_MIN_SIZE: a marketable order needs at least $1' }, accepted: false };
    }
    if (postOnly && marketable) return { status: 400, json: { error: 'INVALID_POST_ONLY_ORDER: order crosses the book' }, accepted: false };
    // The account must hold what the order needs beyond what its open orders reserve (balances.ts).
    const short = balances.refusal(o, marketable && !postOnly);
    if (short) return { status: 400, json: { error: short }, accepted: false };
    exchange.orders.set(id, o);
    const takerDelay = exchange.cfg.takerDelayMs;
    if (marketable && takerDelay > 0) {
      o.status = 'DELAYED';
      o.matchAtMs = Date.now() + takerDelay;
    } else if (orderType === 'FOK' && exchange.available(o) < o.originalSize) {
      o.status = 'CANCELED';
    } else if (marketable) {
      exchange.take(o, Date.now());
    } else if (orderType === 'FOK' || orderType === 'FAK') {
      o.status = 'CANCELED';
    }
    log('order', { id, side: o.side, price: o.price, size: o.originalSize, type: orderType, status: o.status, matched: o.sizeMatched });
    if (o.status === 'CANCELED' && o.sizeMatched === 0) {
      return {
        status: 400,
        json: { error: "FOK_ORDER_NOT_FILLED_ERROR: order couldn't be fully filled. FOK orders are fully filled or killed.", orderID: id },
        accepted: true,
      };
    }
    const status = o.status === 'DELAYED' ? 'delayed' : o.status === 'LIVE' ? 'live' : 'matched';
    const making = o.side === 'BUY' ? o.trades.reduce((s, t) => s + t.size * t.price, 0) : o.sizeMatched;
    const taking = o.side === 'BUY' ? o.sizeMatched : o.trades.reduce((s, t) => s + t.size * t.price, 0);
    return {
      status: 200,
      json: {
        success: true,
        errorMsg: '',
        orderID: id,
        status,
        makingAmount: String(r6(making)),
        takingAmount: String(r6(taking)),
        transactionsHashes: o.trades.map((t) => t.transactionHash),
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
        log('faults set', faults);
      }
      return { faults, counters };
    }
    if (seg[0] === 'sim' && seg[1] === 'oracle' && seg[3] === 'jump' && method === 'POST') {
      const p = prices.get((seg[2] ?? '').toUpperCase() as SimAsset);
      const pct = z.object({ pct: z.number().min(-50).max(50) }).safeParse(ctx.json);
      if (!p || !pct.success) throw new HttpError(400, 'usage: POST /sim/oracle/{asset}/jump {"pct": number}');
      p.jump(pct.data.pct, Date.now());
      exchange.refreshQuotes(Date.now());
      return { asset: p.asset, value: p.latest().value, timestamp: p.latest().timestampMs };
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
        mts: TICK,
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
      if (!schedule.byToken.has(query.get('token_id') ?? '')) throw new HttpError(400, 'Invalid token id');
      return { minimum_tick_size: TICK };
    }
    if (method === 'GET' && path === '/neg-risk') return { neg_risk: false };
    if (method === 'GET' && path === '/fee-rate') return { base_fee: 1000 };
    if (method === 'GET' && path === '/time') return Math.floor(Date.now() / 1_000);
    if (method === 'GET' && path === '/version') return { version: 2 };
    if (method === 'GET' && path === '/ok') return 'OK';

    // ---------- auth ----------
    if ((method === 'POST' && path === '/auth/api-key') || (method === 'GET' && path === '/auth/derive-api-key')) {
      const address = await keys.verifyL1(ctx.headers);
      if (!address) throw new HttpError(401, 'Invalid L1 Request headers');
      const c = keys.derive(address);
      return { apiKey: c.apiKey, secret: c.secret, passphrase: c.passphrase };
    }

    // ---------- CLOB private ----------
    if (method === 'POST' && path === '/order') {
      const creds = needL2(ctx);
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
      const out = [];
      for (const body of ctx.json) {
        const r = await placeOrder(body, creds);
        out.push(r.status === 200 ? r.json : { success: false, errorMsg: (r.json as { error: string }).error, orderID: '' });
      }
      return out;
    }
    if (method === 'DELETE' && (path === '/order' || path === '/orders' || path === '/cancel-all' || path === '/cancel-market-orders')) {
      const creds = needL2(ctx);
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
      if (!o || o.owner !== creds.apiKey) throw new HttpError(404, 'order not found');
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
      if (faults.missHeartbeats) {
        counters.heartbeatsMissed += 1;
        for (const o of exchange.openOrders(creds.apiKey)) o.status = 'CANCELED';
        heartbeats.delete(creds.apiKey);
        throw new HttpError(400, 'heartbeat expired: all orders were cancelled');
      }
      heartbeats.set(creds.apiKey, Date.now());
      const body = z.object({ heartbeat_id: z.string().nullish() }).safeParse(ctx.json ?? {});
      return { heartbeat_id: (body.success && body.data.heartbeat_id) || `hb-${creds.apiKey.slice(0, 8)}` };
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
      const account = q.data.signature_type === 3 ? relayer.walletOf(creds.address) : creds.address;
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
          res.end(JSON.stringify({ error: err instanceof z.ZodError ? 'Invalid payload' : (err as Error).message }));
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
