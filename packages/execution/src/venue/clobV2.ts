/**
 * The CLOB port on the official `@polymarket/clob-client-v2` (order building, EIP-712 signing,
 * API-key derivation, L2 headers). Sim and live differ only in host and key.
 */
import { ClobClient, type OrderType as ClientOrderType, Side } from '@polymarket/clob-client-v2';
import { createWalletClient, hashTypedData, http as viemHttp, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { polygon } from 'viem/chains';
import { z } from 'zod';
import type { OrderRequest, OrderType } from '@polybot/shared';
import type { ClobPort, PostOutcome, VenueOrder, VenueTrade } from './port.js';

const EXCHANGE_V2 = '0xE111180000d2663C0091e4f400237545B87B996B';
const NEG_RISK_EXCHANGE_V2 = '0xe2222d279d744050d28e00520010520000310F59';
const ORDER_STRUCT = [
  { name: 'salt', type: 'uint256' },
  { name: 'maker', type: 'address' },
  { name: 'signer', type: 'address' },
  { name: 'tokenId', type: 'uint256' },
  { name: 'makerAmount', type: 'uint256' },
  { name: 'takerAmount', type: 'uint256' },
  { name: 'side', type: 'uint8' },
  { name: 'signatureType', type: 'uint8' },
  { name: 'timestamp', type: 'uint256' },
  { name: 'metadata', type: 'bytes32' },
  { name: 'builder', type: 'bytes32' },
] as const;

const SignedOrderSchema = z
  .object({
    salt: z.union([z.string(), z.number()]),
    maker: z.string(),
    signer: z.string(),
    tokenId: z.string(),
    makerAmount: z.string(),
    takerAmount: z.string(),
    side: z.union([z.literal('BUY'), z.literal('SELL'), z.literal(0), z.literal(1)]),
    signatureType: z.number(),
    timestamp: z.string(),
    metadata: z.string(),
    builder: z.string(),
    signature: z.string(),
  })
  .passthrough();

/** The venue's order id: the EIP-712 hash of the signed V2 order, computed before posting. */
export function orderHashV2(signed: Record<string, unknown>, negRisk: boolean): string {
  const o = SignedOrderSchema.parse(signed);
  return hashTypedData({
    domain: { name: 'Polymarket CTF Exchange', version: '2', chainId: 137, verifyingContract: (negRisk ? NEG_RISK_EXCHANGE_V2 : EXCHANGE_V2) as Hex },
    types: { Order: ORDER_STRUCT },
    primaryType: 'Order',
    message: {
      salt: BigInt(o.salt),
      maker: o.maker as Hex,
      signer: o.signer as Hex,
      tokenId: BigInt(o.tokenId),
      makerAmount: BigInt(o.makerAmount),
      takerAmount: BigInt(o.takerAmount),
      side: o.side === 'BUY' || o.side === 0 ? 0 : 1,
      signatureType: o.signatureType,
      timestamp: BigInt(o.timestamp),
      metadata: o.metadata as Hex,
      builder: o.builder as Hex,
    },
  });
}

const OrderJsonSchema = z.object({ status: z.string(), size_matched: z.union([z.string(), z.number()]).transform(Number) }).passthrough();
const Num = z.union([z.string(), z.number()]).transform(Number).pipe(z.number().finite());
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
    maker_orders: z.array(z.object({ order_id: z.string(), matched_amount: Num, price: Num }).passthrough()).optional(),
  })
  .passthrough();
const Units = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
const BalanceUnitsSchema = z.object({ balance: Units, allowances: z.record(z.string(), Units).optional() }).passthrough();
const BalanceAllowanceSchema = z.object({ balance: Num, allowance: Num.optional(), allowances: z.record(z.string(), Num).optional() }).passthrough();

/**
 * A venue trade → the fills it holds for us. As taker our order is `taker_order_id`; as maker our
 * orders are among `maker_orders` (a sim venue may instead report a maker trade under
 * `taker_order_id` with `trader_side: MAKER` and no makers listed). Makers pay no fee.
 */
export function parseTrade(raw: unknown): VenueTrade[] {
  const p = TradeJsonSchema.safeParse(raw);
  if (!p.success) return [];
  const t = p.data;
  const atMs = t.match_time * 1000;
  const maker = (t.trader_side ?? 'TAKER').toUpperCase() === 'MAKER';
  if (!maker) return [{ id: t.id, orderId: t.taker_order_id, size: t.size, price: t.price, role: 'taker', fee: t.fee ?? null, status: t.status, atMs }];
  if (!t.maker_orders?.length) return [{ id: t.id, orderId: t.taker_order_id, size: t.size, price: t.price, role: 'maker', fee: 0, status: t.status, atMs }];
  return t.maker_orders.map((m) => ({
    id: t.id,
    orderId: m.order_id,
    size: m.matched_amount,
    price: m.price,
    role: 'maker' as const,
    fee: 0,
    status: t.status,
    atMs,
  }));
}
const MarketJsonSchema = z
  .object({ closed: z.boolean().optional(), tokens: z.array(z.object({ outcome: z.string(), winner: z.boolean().optional() }).passthrough()) })
  .passthrough();

interface ApiErrorLike {
  message?: string;
  status?: number;
  data?: unknown;
}

function classify(err: unknown): PostOutcome {
  const e = err as ApiErrorLike;
  const text = `${e.message ?? ''} ${JSON.stringify(e.data ?? '')}`;
  if (typeof e.status === 'number') {
    // The official client drops response headers, so Retry-After is not visible here: the engine backs off.
    if (e.status === 429) return { kind: 'rate_limited', retryAfterMs: null };
    if (e.status >= 500) return { kind: 'unknown', message: text };
    if (/DUPLICATED/i.test(text)) return { kind: 'duplicate' };
    return { kind: 'rejected', message: text.trim().slice(0, 300), killed: /FOK|fully filled|killed/i.test(text) };
  }
  return { kind: 'unknown', message: text.trim() || String(err) };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ClobV2Options {
  host: string;
  privateKey: Hex;
  signatureType?: number;
  funderAddress?: string;
  timeoutMs?: number;
}

export async function createClobV2Port(opts: ClobV2Options): Promise<ClobPort & { address: string }> {
  const account = privateKeyToAccount(opts.privateKey);
  // Signing needs no RPC: the transport is never used.
  const signer = createWalletClient({ account, chain: polygon, transport: viemHttp('http://127.0.0.1:9') });
  const base = {
    host: opts.host,
    chain: 137,
    signer,
    throwOnError: true,
    ...(opts.signatureType !== undefined ? { signatureType: opts.signatureType } : {}),
    ...(opts.funderAddress ? { funderAddress: opts.funderAddress } : {}),
  };
  const timeout = opts.timeoutMs ?? 10_000;
  const creds = await withTimeout(new ClobClient(base as never).createOrDeriveApiKey(), timeout, 'api key derivation');
  const client = new ClobClient({ ...base, creds } as never);
  // clob-client-v2 1.1.0's postOrder, after a match whose answer lacks transaction hashes, polls
  // GET /data/trades?id= every 250 ms for up to 30 s until the trades are mined (client.js
  // resolveTransactionsHashes; docs/polymarket-venue.md §5.3 item 11: hashes are best-effort and may
  // be empty on `matched`). Execution needs only the venue's answer: fills are read by
  // reconciliation. Without this, one post could hold the engine (and every order behind it) for
  // seconds. The method is private in the client's types, hence defineProperty.
  Object.defineProperty(client, 'resolveTransactionsHashes', { value: (response: unknown) => Promise.resolve(response) });
  const negRiskByToken = new Map<string, boolean>();

  return {
    address: account.address,
    async sign(r: OrderRequest) {
      const order = await withTimeout(
        client.createOrder(
          {
            tokenID: r.tokenId,
            price: r.price,
            size: r.size,
            side: r.side === 'BUY' ? Side.BUY : Side.SELL,
            ...(r.expiresAtMs ? { expiration: Math.floor(r.expiresAtMs / 1000) } : {}),
          },
          { tickSize: String(r.tickSize) as never, negRisk: r.negRisk },
        ),
        timeout,
        'order signing',
      );
      negRiskByToken.set(r.tokenId, r.negRisk);
      const signed = JSON.parse(JSON.stringify(order)) as Record<string, unknown>;
      return { id: orderHashV2(signed, r.negRisk), signed };
    },
    async post(signed, orderType: OrderType) {
      try {
        const res = (await withTimeout(client.postOrder(signed as never, orderType as ClientOrderType, false, false), timeout, 'post order')) as {
          success?: boolean;
          status?: string;
          errorMsg?: string;
        };
        if (res.success === false) return { kind: 'rejected', message: String(res.errorMsg ?? 'rejected'), killed: /FOK|killed/i.test(String(res.errorMsg)) };
        return { kind: 'accepted', status: String(res.status ?? 'live') };
      } catch (err) {
        return classify(err);
      }
    },
    async getOrder(id): Promise<VenueOrder | null> {
      try {
        const raw = await withTimeout(client.getOrder(id), timeout, 'get order');
        const parsed = OrderJsonSchema.safeParse(raw);
        if (!parsed.success) throw new Error(`order ${id}: unexpected shape`);
        return { status: parsed.data.status, sizeMatched: parsed.data.size_matched };
      } catch (err) {
        if ((err as ApiErrorLike).status === 404) return null;
        throw err;
      }
    },
    async tradesFor(conditionId): Promise<VenueTrade[]> {
      const raw = (await withTimeout(client.getTrades({ market: conditionId } as never), timeout, 'get trades')) as unknown;
      const list = Array.isArray(raw) ? raw : [];
      return list.flatMap(parseTrade);
    },
    async cancel(id) {
      await withTimeout(client.cancelOrder({ orderID: id }), timeout, 'cancel');
    },
    async cancelAll() {
      await withTimeout(client.cancelAll(), timeout, 'cancel all');
    },
    async heartbeat(previousId) {
      const r = (await withTimeout(client.postHeartbeat(previousId), timeout, 'heartbeat')) as { heartbeat_id?: string };
      return r.heartbeat_id ?? previousId;
    },
    async winner(conditionId) {
      const m = MarketJsonSchema.safeParse(await withTimeout(client.getMarket(conditionId), timeout, 'get market'));
      if (!m.success || !m.data.closed) return null;
      const w = m.data.tokens.find((t) => t.winner === true);
      if (!w) return null;
      return /^up$/i.test(w.outcome) ? 'UP' : /^down$/i.test(w.outcome) ? 'DOWN' : null;
    },
    async collateral() {
      const raw = await withTimeout(client.getBalanceAllowance({ asset_type: 'COLLATERAL' } as never), timeout, 'balance-allowance');
      const p = BalanceAllowanceSchema.safeParse(raw);
      if (!p.success) throw new Error('balance-allowance: unexpected shape');
      const allowances = p.data.allowances ? Object.values(p.data.allowances) : p.data.allowance !== undefined ? [p.data.allowance] : [0];
      return { balanceUsd: p.data.balance / 1e6, allowanceUsd: Math.min(...allowances) / 1e6 };
    },
    async balanceAllowance(asset, refresh) {
      const params = asset.kind === 'collateral' ? { asset_type: 'COLLATERAL' } : { asset_type: 'CONDITIONAL', token_id: asset.tokenId };
      if (refresh) await withTimeout(client.updateBalanceAllowance(params as never), timeout, 'balance-allowance update');
      const p = BalanceUnitsSchema.safeParse(await withTimeout(client.getBalanceAllowance(params as never), timeout, 'balance-allowance'));
      if (!p.success) throw new Error('balance-allowance: unexpected shape');
      return { balance: p.data.balance, allowances: p.data.allowances ?? {} };
    },
  };
}
