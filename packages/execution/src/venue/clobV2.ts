/**
 * The CLOB port on Polymarket's CLOB V2. Sim and live differ only in host, key and wallet.
 *
 * - API key: the official `@polymarket/clob-client-v2` creates it, and derives it when the venue
 *   answers 400 because it exists already (every restart after the first; docs/polymarket-venue.md
 *   §5.1 item 1). `createOrDeriveApiKey` cannot be used: with `throwOnError` it throws on that 400.
 * - Orders: sized by `sizing.ts` on the venue's precision rules and signed by `signing.ts` for the
 *   wallet's signature type (0 EOA, 1 proxy, 2 Safe, 3 deposit wallet with ERC-7739 wrapping).
 * - Requests: L2 headers from the official client (`createL2Headers`), sent here with a bounded
 *   timeout, so that (a) a post never waits for the client's 30 s trade-hash polling
 *   (clob-client-v2 1.1.0 `resolveTransactionsHashes`), and (b) response headers are seen:
 *   `Retry-After` on 429/425/503 and `Poly-RateLimit-*` (§5.6 item 20).
 * - Venue strings (order and trade statuses, error texts, HTTP statuses) are translated here into
 *   the port's domain types; a lost or unreadable answer to a post throws VenueOutcomeUnknownError.
 */
import { ApiError, ClobClient, createL2Headers, orderToJsonV2 } from '@polymarket/clob-client-v2';
import { createWalletClient, getAddress, http as viemHttp, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { polygon } from 'viem/chains';
import { z } from 'zod';
import { roundToStep, type OrderRequest, type OrderType, type TradeStatus } from '@polybot/shared';
import { orderAmounts } from '../sizing.js';
import { walletSetupProblem } from './signing.js';
import { newSalt, orderHash, signOrderV2, ZERO_BYTES32, type SignatureType, type SignedOrderV2, type UnsignedOrderV2 } from './signing.js';
import {
  OrderSizingError,
  VenueOutcomeUnknownError,
  type ClobPort,
  type PostOutcome,
  type RejectReason,
  type SignedRequest,
  type VenueMode,
  type VenueOrder,
  type VenueOrderStatus,
  type VenueTrade,
} from './port.js';

const Num = z.union([z.string(), z.number()]).transform(Number).pipe(z.number().finite());
/** `""` (nothing matched) reads as 0. */
const Amount = z
  .union([z.string(), z.number()])
  .optional()
  .transform((v) => (v === undefined || v === '' ? 0 : Number(v)))
  .pipe(z.number().finite());

const SignedOrderSchema = z
  .object({
    salt: z.union([z.string(), z.number()]).transform(String),
    maker: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    tokenId: z.string(),
    makerAmount: z.string(),
    takerAmount: z.string(),
    side: z.enum(['BUY', 'SELL']),
    signatureType: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
    timestamp: z.string(),
    expiration: z.string().default('0'),
    metadata: z.string(),
    builder: z.string(),
    signature: z.string(),
  })
  .passthrough();

/** The venue's order id: the EIP-712 hash of a signed V2 order (also for orders stored before this adapter). */
export function orderHashV2(signed: Record<string, unknown>, negRisk: boolean): string {
  const o = SignedOrderSchema.parse(signed);
  return orderHash(o as unknown as UnsignedOrderV2, negRisk);
}

const PostResponseSchema = z
  .object({
    success: z.boolean().optional(),
    errorMsg: z.string().optional(),
    orderID: z.string().optional(),
    status: z.string().optional(),
    makingAmount: Amount,
    takingAmount: Amount,
  })
  .passthrough();
const OrderJsonSchema = z.object({ status: z.string(), size_matched: Num }).passthrough();
const MakerOrderSchema = z.object({ order_id: z.string(), matched_amount: Num, price: Num, owner: z.string().optional() }).passthrough();
const TradeJsonSchema = z
  .object({
    id: z.string(),
    taker_order_id: z.string(),
    size: Num,
    price: Num,
    fee: Num.optional(),
    status: z.string(),
    match_time: Num,
    trader_side: z.string().optional(),
    owner: z.string().optional(),
    maker_orders: z.array(MakerOrderSchema).optional(),
  })
  .passthrough();
const Units = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
const BalanceUnitsSchema = z.object({ balance: Units, allowances: z.record(z.string(), Units).optional() }).passthrough();
const PageSchema = z.object({ data: z.array(z.unknown()), next_cursor: z.string().optional() }).passthrough();
const BalanceAllowanceSchema = z.object({ balance: Num, allowance: Num.optional(), allowances: z.record(z.string(), Num).optional() }).passthrough();
const MarketJsonSchema = z
  .object({ closed: z.boolean().optional(), tokens: z.array(z.object({ outcome: z.string(), winner: z.boolean().optional() }).passthrough()) })
  .passthrough();
const HeartbeatSchema = z.object({ heartbeat_id: z.string().optional() }).passthrough();
const TickSchema = z.object({ minimum_tick_size: Num }).passthrough();
const ClosedOnlySchema = z.object({ closed_only: z.boolean() }).passthrough();

/** A venue trade status (REST `TRADE_STATUS_*` or the plain WS value) → the domain's. */
export function tradeStatusFromVenue(s: string): TradeStatus | null {
  const u = s.toUpperCase().replace(/^TRADE_STATUS_/, '');
  for (const t of ['MATCHED', 'MINED', 'CONFIRMED', 'RETRYING', 'FAILED'] as const) if (u.startsWith(t)) return t;
  return null;
}

/** A venue order status (parsed by prefix: a reason may follow, polymarket.md §3) → the domain's. */
export function orderStatusFromVenue(s: string): VenueOrderStatus | null {
  const u = s.toUpperCase().replace(/^ORDER_STATUS_/, '');
  if (u.startsWith('LIVE') || u.startsWith('UNMATCHED')) return 'live';
  if (u.startsWith('DELAYED')) return 'delayed';
  if (u.startsWith('MATCHED')) return 'matched';
  if (u.startsWith('CANCELED') || u.startsWith('CANCELLED')) return 'canceled';
  if (u.startsWith('INVALID')) return 'invalid';
  return null;
}

/** Why the venue refused an order, from its text (§5.1 item 4, §5.2, §5.3 item 12). */
export function rejectReason(text: string): RejectReason | 'duplicate' {
  const t = text.toLowerCase();
  if (t.includes('duplicated')) return 'duplicate';
  if (t.includes('fok orders are fully filled or killed') || t.includes('fak orders are partially filled or killed') || t.includes('not_filled'))
    return 'killed';
  if (t.includes('post-only') && t.includes('cross')) return 'post_only_crosses';
  if (t.includes('not enough balance')) return 'balance';
  if (t.includes('lower than the minimum') || t.includes('min size') || t.includes('min_size')) return 'min_size';
  if (t.includes('invalid amounts') || t.includes('accuracy')) return 'precision';
  if (t.includes('tick size')) return 'tick_size';
  if (t.includes('not yet ready') || t.includes('market_not_ready')) return 'market_not_ready';
  if (t.includes('signer') || t.includes('maker address') || t.includes('owner') || t.includes('signature') || t.includes('api key')) return 'auth';
  if (t.includes('expiration')) return 'expiration';
  return 'other';
}

/**
 * A venue trade → the fills it holds for us. As taker our order is `taker_order_id`; as maker our
 * orders are those of `maker_orders` that are ours (`owner` = our API key when the venue says so).
 * Makers pay no fee.
 */
export function parseTrade(raw: unknown, apiKey?: string): VenueTrade[] {
  const p = TradeJsonSchema.safeParse(raw);
  if (!p.success) return [];
  const t = p.data;
  const status = tradeStatusFromVenue(t.status);
  if (!status) return [];
  const atMs = t.match_time * 1000;
  const maker = (t.trader_side ?? 'TAKER').toUpperCase() === 'MAKER';
  if (!maker) return [{ id: t.id, orderId: t.taker_order_id, size: t.size, price: t.price, role: 'taker', fee: t.fee ?? null, status, atMs }];
  const mine = (t.maker_orders ?? []).filter((m) => !apiKey || !m.owner || m.owner === apiKey);
  if (!mine.length) return [{ id: t.id, orderId: t.taker_order_id, size: t.size, price: t.price, role: 'maker', fee: 0, status, atMs }];
  return mine.map((m) => ({ id: t.id, orderId: m.order_id, size: m.matched_amount, price: m.price, role: 'maker' as const, fee: 0, status, atMs }));
}

export interface ClobV2Options {
  host: string;
  privateKey: Hex;
  /** 0 EOA, 1 Polymarket proxy, 2 Gnosis Safe, 3 deposit wallet (POLY_1271). */
  signatureType: SignatureType;
  /** The wallet that holds the funds and makes the orders (types 1-3). */
  funderAddress?: string;
  /** Per request; a post that takes longer is reconciled, never assumed rejected. */
  timeoutMs?: number;
  /** Told of every rate-limit header the venue sends (Poly-RateLimit-Remaining/Reset/Warning). */
  onRateLimitHeaders?: (h: { remaining: number | null; resetS: number | null; warning: boolean }) => void;
}

interface Answer {
  status: number;
  json: unknown;
  headers: Headers;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryAfterMs = (h: Headers, body?: unknown): number | null => {
  const ra = Number(h.get('retry-after'));
  if (Number.isFinite(ra) && ra > 0) return ra * 1_000;
  const s = (body as { retry_after_seconds?: unknown } | null)?.retry_after_seconds;
  return typeof s === 'number' && s > 0 ? s * 1_000 : null;
};
const errorText = (json: unknown): string => {
  if (typeof json === 'string') return json;
  const j = json as { error?: unknown; errorMsg?: unknown; error_msg?: unknown } | null;
  const e = j?.error ?? j?.errorMsg ?? j?.error_msg;
  return typeof e === 'string' ? e : JSON.stringify(json ?? '');
};

/** What a non-200 answer to a post means. 5xx other than the 503 modes: the order may exist (throws). */
function postFailure(a: Answer): PostOutcome {
  if (a.status === 429) return { kind: 'rate_limited', retryAfterMs: retryAfterMs(a.headers) };
  if (a.status === 425) return { kind: 'unavailable', mode: 'restarting', retryAfterMs: retryAfterMs(a.headers, a.json) };
  const text = errorText(a.json);
  if (a.status === 503) {
    const code = (a.json as { code?: unknown } | null)?.code;
    const mode: VenueMode = code === 'post_only_mode' || /post-only mode/i.test(text) ? 'post_only' : 'cancel_only';
    return { kind: 'unavailable', mode, retryAfterMs: retryAfterMs(a.headers, a.json) ?? 5_000 };
  }
  if (a.status >= 500) throw new VenueOutcomeUnknownError(`venue answered ${a.status}: ${text.slice(0, 200)}`);
  const reason = rejectReason(text);
  if (reason === 'duplicate') return { kind: 'duplicate' };
  return { kind: 'rejected', reason, message: text.slice(0, 300) };
}

/** One 200 answer to a post (or one entry of a batch answer). */
function postAnswer(raw: unknown): PostOutcome {
  const p = PostResponseSchema.safeParse(raw);
  if (!p.success) throw new VenueOutcomeUnknownError('unreadable answer to a post');
  const r = p.data;
  if (r.success === false) {
    const text = r.errorMsg ?? 'rejected';
    const reason = rejectReason(text);
    if (reason === 'duplicate') return { kind: 'duplicate' };
    return { kind: 'rejected', reason, message: text.slice(0, 300) };
  }
  const s = (r.status ?? 'live').toLowerCase();
  const status = s === 'matched' || s === 'delayed' || s === 'unmatched' ? s : 'live';
  return { kind: 'accepted', status, makingAmount: r.makingAmount, takingAmount: r.takingAmount };
}

export { walletSetupProblem };

/** The CLOB V2 port, with what only a live account has: its addresses, its key, and its account status. */
export type ClobV2Port = ClobPort & {
  address: string;
  funder: string;
  apiKey: string;
  /** `GET /auth/ban-status/closed-only` (§5.6 item 21): true when the account may only close positions. */
  closedOnly(): Promise<boolean>;
};

export async function createClobV2Port(opts: ClobV2Options): Promise<ClobV2Port> {
  const account = privateKeyToAccount(opts.privateKey);
  const problem = walletSetupProblem({ signatureType: opts.signatureType, funderAddress: opts.funderAddress, eoa: account.address });
  if (problem) throw new Error(problem);
  const maker = getAddress(opts.signatureType === 0 ? account.address : opts.funderAddress!);
  // Signing needs no RPC: the transport is never used.
  const signer = createWalletClient({ account, chain: polygon, transport: viemHttp('http://127.0.0.1:9') });
  const host = opts.host.replace(/\/+$/, '');
  const timeout = opts.timeoutMs ?? 10_000;
  const base = { host, chain: 137, signer, throwOnError: true, signatureType: opts.signatureType, funderAddress: maker };
  const creds = await apiCreds(new ClobClient(base as never), timeout);
  const tickByToken = new Map<string, number>();

  /** One request, L2-signed by the official client's header code, bounded by the timeout. */
  async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, query?: Record<string, string>): Promise<Answer> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await createL2Headers(signer as never, creds, { method, requestPath: path, ...(text !== undefined ? { body: text } : {}) });
    const qs = query ? `?${new URLSearchParams(query).toString()}` : '';
    let res: Response;
    try {
      res = await fetch(`${host}${path}${qs}`, {
        method,
        headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/json' },
        ...(text !== undefined ? { body: text } : {}),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (err) {
      throw new VenueOutcomeUnknownError(
        `${method} ${path}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${timeout} ms` : (err as Error).message}`,
      );
    }
    const raw = await res.text().catch(() => '');
    let json: unknown = null;
    if (raw) {
      try {
        json = JSON.parse(raw);
      } catch {
        json = raw;
      }
    }
    const remaining = res.headers.get('poly-ratelimit-remaining');
    const reset = res.headers.get('poly-ratelimit-reset');
    const warning = res.headers.get('poly-ratelimit-warning');
    if (remaining !== null || warning !== null) {
      opts.onRateLimitHeaders?.({
        remaining: remaining === null ? null : Number(remaining),
        resetS: reset === null ? null : Number(reset),
        warning: warning === 'true',
      });
    }
    return { status: res.status, json, headers: res.headers };
  }
  /** A read: anything but 200 is an error (the caller retries on its next pass). */
  async function read(path: string, query?: Record<string, string>): Promise<unknown> {
    const a = await call('GET', path, undefined, query);
    if (a.status !== 200) throw new Error(`GET ${path}: ${a.status} ${errorText(a.json).slice(0, 200)}`);
    return a.json;
  }

  async function tickSize(tokenId: string): Promise<number> {
    const known = tickByToken.get(tokenId);
    if (known !== undefined) return known;
    const res = await fetch(`${host}/tick-size?token_id=${encodeURIComponent(tokenId)}`, { signal: AbortSignal.timeout(timeout) });
    const p = TickSchema.safeParse(await res.json().catch(() => null));
    if (!res.ok || !p.success) throw new Error(`tick size of ${tokenId}: unexpected answer ${res.status}`);
    tickByToken.set(tokenId, p.data.minimum_tick_size);
    return p.data.minimum_tick_size;
  }

  const postBody = (signed: Record<string, unknown>, orderType: OrderType, postOnly: boolean) => {
    const { postOnly: _ignored, ...order } = signed;
    return orderToJsonV2(order as never, creds.key, orderType as never, postOnly, false);
  };

  return {
    address: account.address,
    funder: maker,
    apiKey: creds.key,
    async sign(r: OrderRequest): Promise<SignedRequest> {
      // The venue's tick may have changed since the request was made (tick_size_change): use its grid,
      // moving the price only in the cautious direction (a BUY down, a SELL up). When the request and
      // the cache disagree, one of them missed a change: ask the venue.
      const cached = tickByToken.get(r.tokenId);
      if (cached !== undefined && cached !== r.tickSize) tickByToken.delete(r.tokenId);
      const venueTick = await tickSize(r.tokenId).catch(() => r.tickSize);
      let request = r;
      if (venueTick !== r.tickSize) {
        const steps = r.price / venueTick;
        const price = roundToStep((r.side === 'BUY' ? Math.floor(steps + 1e-9) : Math.ceil(steps - 1e-9)) * venueTick, venueTick);
        request = { ...r, tickSize: venueTick as OrderRequest['tickSize'], price };
      }
      const sized = orderAmounts(request);
      if (!sized.ok) throw new OrderSizingError(sized.problem);
      const a = sized.amounts;
      const unsigned: UnsignedOrderV2 = {
        salt: newSalt(Date.now()),
        maker,
        signer: opts.signatureType === 3 ? maker : account.address,
        tokenId: r.tokenId,
        makerAmount: String(a.makerAmount),
        takerAmount: String(a.takerAmount),
        side: a.side,
        signatureType: opts.signatureType,
        timestamp: String(Date.now()),
        expiration: r.orderType === 'GTD' && r.expiresAtMs ? String(Math.floor(r.expiresAtMs / 1000)) : '0',
        metadata: ZERO_BYTES32,
        builder: ZERO_BYTES32,
      };
      const signed: SignedOrderV2 = await signOrderV2(account, unsigned, r.negRisk);
      return { id: orderHash(unsigned, r.negRisk), signed: { ...signed }, request: { ...request, price: a.price, size: a.shares } };
    },
    async post(signed, orderType: OrderType, postOnly = false) {
      const a = await call('POST', '/order', postBody(signed, orderType, postOnly));
      if (a.status === 200) return postAnswer(a.json);
      return postFailure(a);
    },
    async postMany(orders) {
      if (!orders.length) return [];
      if (orders.length > 15) throw new Error('at most 15 orders per batch');
      const a = await call(
        'POST',
        '/orders',
        orders.map((o) => postBody(o.signed, o.orderType, o.postOnly ?? false)),
      );
      if (a.status !== 200) {
        const out = postFailure(a);
        return orders.map(() => out);
      }
      if (!Array.isArray(a.json) || a.json.length !== orders.length) throw new VenueOutcomeUnknownError('unreadable answer to a batch post');
      return a.json.map((r) => postAnswer(r));
    },
    async getOrder(id): Promise<VenueOrder | null> {
      const a = await call('GET', `/data/order/${id}`);
      // §5.4 item 14: no body, `null` or 404 for an order that is not active (or unknown).
      if (a.status === 404 || a.json === null || a.json === '' || (typeof a.json === 'object' && Object.keys(a.json as object).length === 0)) return null;
      if (a.status !== 200) throw new Error(`order ${id}: ${a.status} ${errorText(a.json).slice(0, 200)}`);
      const p = OrderJsonSchema.safeParse(a.json);
      if (!p.success) throw new Error(`order ${id}: unexpected shape`);
      const status = orderStatusFromVenue(p.data.status);
      if (!status) throw new Error(`order ${id}: unknown status ${p.data.status.slice(0, 40)}`);
      return { status, sizeMatched: p.data.size_matched, ...(status === 'canceled' || status === 'invalid' ? { note: p.data.status.slice(0, 200) } : {}) };
    },
    async tradesFor(conditionId): Promise<VenueTrade[]> {
      const out: VenueTrade[] = [];
      let cursor = 'MA==';
      for (let page = 0; page < 100 && cursor !== 'LTE='; page++) {
        const p = PageSchema.safeParse(await read('/data/trades', { market: conditionId, next_cursor: cursor }));
        if (!p.success) throw new Error('trades: unexpected shape');
        for (const t of p.data.data) out.push(...parseTrade(t, creds.key));
        cursor = p.data.next_cursor ?? 'LTE=';
      }
      return out;
    },
    async cancel(id) {
      const a = await call('DELETE', '/order', { orderID: id });
      if (a.status !== 200) throw new Error(`cancel ${id}: ${a.status} ${errorText(a.json).slice(0, 200)}`);
    },
    async cancelAll() {
      const a = await call('DELETE', '/cancel-all');
      if (a.status !== 200) throw new Error(`cancel all: ${a.status} ${errorText(a.json).slice(0, 200)}`);
    },
    async heartbeat(previousId) {
      // §5.5 item 18: ids rotate; a 400 carries the id the venue expects: beat again with it, once.
      let id = previousId;
      for (let attempt = 0; attempt < 2; attempt++) {
        const a = await call('POST', '/v1/heartbeats', { heartbeat_id: id });
        const p = HeartbeatSchema.safeParse(a.json);
        if (a.status === 200 && p.success && p.data.heartbeat_id !== undefined) return p.data.heartbeat_id;
        if (a.status === 400 && p.success && p.data.heartbeat_id !== undefined && p.data.heartbeat_id !== id) {
          id = p.data.heartbeat_id;
          continue;
        }
        throw new Error(`heartbeat: ${a.status} ${errorText(a.json).slice(0, 200)}`);
      }
      throw new Error('heartbeat: the venue refused the id it gave');
    },
    async winner(conditionId) {
      const res = await fetch(`${host}/markets/${conditionId}`, { signal: AbortSignal.timeout(timeout) });
      const m = MarketJsonSchema.safeParse(await res.json().catch(() => null));
      if (!res.ok || !m.success || !m.data.closed) return null;
      const w = m.data.tokens.find((t) => t.winner === true);
      if (!w) return null;
      return /^up$/i.test(w.outcome) ? 'UP' : /^down$/i.test(w.outcome) ? 'DOWN' : null;
    },
    async collateral() {
      const p = BalanceAllowanceSchema.safeParse(await read('/balance-allowance', { asset_type: 'COLLATERAL', signature_type: String(opts.signatureType) }));
      if (!p.success) throw new Error('balance-allowance: unexpected shape');
      const allowances = p.data.allowances ? Object.values(p.data.allowances) : p.data.allowance !== undefined ? [p.data.allowance] : [0];
      return { balanceUsd: p.data.balance / 1e6, allowanceUsd: Math.min(...allowances) / 1e6 };
    },
    async balanceAllowance(asset, refresh) {
      const params: Record<string, string> =
        asset.kind === 'collateral' ? { asset_type: 'COLLATERAL' } : { asset_type: 'CONDITIONAL', token_id: asset.tokenId };
      params.signature_type = String(opts.signatureType);
      if (refresh) await read('/balance-allowance/update', params);
      const p = BalanceUnitsSchema.safeParse(await read('/balance-allowance', params));
      if (!p.success) throw new Error('balance-allowance: unexpected shape');
      return { balance: p.data.balance, allowances: p.data.allowances ?? {} };
    },
    async closedOnly() {
      const p = ClosedOnlySchema.safeParse(await read('/auth/ban-status/closed-only'));
      if (!p.success) throw new Error('closed-only status: unexpected shape');
      return p.data.closed_only;
    },
    tickSize,
    tickSizeChanged(tokenId, tick) {
      if (tick === undefined) tickByToken.delete(tokenId);
      else tickByToken.set(tokenId, tick);
    },
  };
}

/**
 * The API key: create it; when the venue answers 400 (it exists: every start after the first),
 * derive it (§5.1 items 1-2). Network trouble is retried a few times before giving up.
 */
async function apiCreds(client: ClobClient, timeoutMs: number): Promise<{ key: string; secret: string; passphrase: string }> {
  const bounded = <T>(p: Promise<T>) => Promise.race([p, sleep(timeoutMs).then(() => Promise.reject(new Error(`no answer within ${timeoutMs} ms`)))]);
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      try {
        const c = await bounded(client.createApiKey());
        if (c.key) return c;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 400) throw err;
      }
      const d = await bounded(client.deriveApiKey());
      if (!d.key) throw new Error('derive-api-key answered no key');
      return d;
    } catch (err) {
      lastErr = err;
      if (err instanceof ApiError && err.status !== undefined && err.status < 500) break; // refused: retrying will not help
      await sleep(500 * (attempt + 1));
    }
  }
  const e = lastErr as { message?: string; status?: number };
  throw new Error(`API key: ${e.status ? `${e.status} ` : ''}${e.message ?? String(lastErr)}`);
}
