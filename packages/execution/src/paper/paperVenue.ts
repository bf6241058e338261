/**
 * The paper venue: real market data, simulated fills, behind the same ClobPort as sim and live,
 * so orders.json, events and reconciliation are identical. Marketable orders walk the real book
 * after the taker delay; resting orders fill as makers when the book moves through them; trades
 * go MATCHED → CONFIRMED after a delay (there is no chain). Its own record, `paper-venue.json`,
 * is written atomically like orders.json, so a restart reconciles against it as against a venue.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { feeOf, OrderRequestSchema, PolybotError, type BookLevel, type OrderRequest, type OrderType, type TradeStatus } from '@polybot/shared';
import { orderAmounts } from '../sizing.js';
import { writeJsonAtomic } from '../orderStore.js';
import { OrderSizingError, type ClobPort, type PostOutcome, type VenueOrder, type VenueTrade } from '../venue/port.js';
import { fillResting, walkBook, type SimulatedFill } from './fillSimulator.js';

/** Public market data the paper venue needs (books best first on both sides). */
export interface MarketData {
  book(tokenId: string): Promise<{ bids: BookLevel[]; asks: BookLevel[] } | null>;
  winner(conditionId: string): Promise<'UP' | 'DOWN' | null>;
}

export interface PaperOptions {
  data: MarketData;
  /** null keeps the record in memory (tests). */
  file: string | null;
  takerDelayMs: number;
  /** MATCHED → CONFIRMED after this long. */
  confirmAfterMs: number;
  balanceUsd: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const PaperOrderSchema = z
  .object({ id: z.string(), request: OrderRequestSchema, status: z.string(), sizeMatched: z.number().nonnegative(), createdAtMs: z.number() })
  .strict();
const PaperTradeSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    conditionId: z.string(),
    size: z.number().positive(),
    price: z.number(),
    fee: z.number().nonnegative(),
    role: z.enum(['taker', 'maker']),
    status: z.string(),
    atMs: z.number(),
  })
  .strict();
const PaperFileSchema = z.object({ version: z.literal(1), orders: z.array(PaperOrderSchema), trades: z.array(PaperTradeSchema) }).strict();
type PaperOrder = z.infer<typeof PaperOrderSchema>;
type PaperTrade = z.infer<typeof PaperTradeSchema>;
const SignedPaperSchema = z
  .object({ paper: z.literal(true), id: z.string(), request: OrderRequestSchema, makerAmount: z.string().optional(), takerAmount: z.string().optional() })
  .strict();

function load(file: string | null): z.infer<typeof PaperFileSchema> {
  if (!file || !existsSync(file)) return { version: 1, orders: [], trades: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new PolybotError('PERSISTENCE_CORRUPT', `${file} is not valid JSON; it was left untouched`);
  }
  const p = PaperFileSchema.safeParse(json);
  if (!p.success) throw new PolybotError('PERSISTENCE_CORRUPT', `${file} does not match the paper venue schema; it was left untouched`);
  return p.data;
}

const r2 = (v: number) => Math.round(v * 1e6) / 1e6;

export function createPaperVenue(opts: PaperOptions): ClobPort {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const state = load(opts.file);
  const orders = new Map(state.orders.map((o) => [o.id, o]));
  const save = () => {
    state.orders = [...orders.values()];
    if (opts.file) writeJsonAtomic(opts.file, state);
  };
  const opposite = async (r: OrderRequest) => {
    const b = await opts.data.book(r.tokenId);
    return b ? (r.side === 'BUY' ? b.asks : b.bids) : null;
  };
  const addTrades = (o: PaperOrder, fills: SimulatedFill[], role: PaperTrade['role']) => {
    for (const f of fills) {
      const id = `paper-${o.id.slice(2, 18)}-${state.trades.filter((t) => t.orderId === o.id).length}`;
      state.trades.push({
        id,
        orderId: o.id,
        conditionId: o.request.conditionId,
        size: f.size,
        price: f.price,
        fee: f.fee,
        role,
        status: 'MATCHED',
        atMs: now(),
      });
      o.sizeMatched = r2(o.sizeMatched + f.size);
    }
  };
  /** Time passes: trades confirm, GTD orders expire (a minute early, as at the venue), ended markets cancel. */
  const advance = () => {
    let changed = false;
    const t = now();
    for (const tr of state.trades) {
      if (tr.status === 'MATCHED' && t - tr.atMs >= opts.confirmAfterMs) {
        tr.status = 'CONFIRMED';
        changed = true;
      }
    }
    for (const o of orders.values()) {
      if (o.status !== 'LIVE') continue;
      if (t >= o.request.windowEndMs) o.status = 'CANCELED_MARKET_RESOLVED';
      else if (o.request.expiresAtMs !== undefined && t >= o.request.expiresAtMs - 60_000) o.status = 'CANCELED';
      else continue;
      changed = true;
    }
    if (changed) save();
  };
  const refreshResting = async (o: PaperOrder) => {
    if (o.status !== 'LIVE') return;
    const levels = await opposite(o.request);
    if (!levels) return;
    const f = fillResting({ side: o.request.side, price: o.request.price, remaining: r2(o.request.size - o.sizeMatched), levels });
    if (!f) return;
    addTrades(o, [f], 'maker');
    if (o.sizeMatched >= o.request.size - 1e-9) o.status = 'MATCHED';
    save();
  };

  return {
    async sign(r) {
      // The same sizing and precision code as the live adapter: an order paper fills is one the
      // venue would accept (its shares and price are what the signed amounts stand for).
      const sized = orderAmounts(r);
      if (!sized.ok) throw new OrderSizingError(sized.problem);
      const request = { ...r, price: sized.amounts.price, size: sized.amounts.shares };
      // Nothing to sign on paper; the id is still fixed before the post, as with a V2 order hash.
      const id = `0x${createHash('sha256').update(`paper:${r.id}:${randomUUID()}`).digest('hex')}`;
      return {
        id,
        signed: { paper: true, id, request, makerAmount: String(sized.amounts.makerAmount), takerAmount: String(sized.amounts.takerAmount) },
        request,
      };
    },
    async postMany(list) {
      const out: PostOutcome[] = [];
      for (const o of list) out.push(await this.post(o.signed, o.orderType, o.postOnly));
      return out;
    },
    async post(raw, orderType: OrderType): Promise<PostOutcome> {
      const parsed = SignedPaperSchema.safeParse(raw);
      if (!parsed.success) return { kind: 'rejected', reason: 'other', message: 'INVALID_ORDER_ERROR: not a paper order' };
      const { id, request: r } = parsed.data;
      if (orders.has(id)) return { kind: 'duplicate' };
      let levels = await opposite(r);
      if (!levels) return { kind: 'rejected', reason: 'market_not_ready', message: 'no order book for the token' };
      const marketable =
        walkBook({ side: r.side, limitPrice: r.price, size: r.size, orderType: 'GTC', levels, feeRate: r.feeRate, feeExponent: feeOf(r).exponent }).filledSize >
        0;
      if (marketable && r.postOnly) return { kind: 'rejected', reason: 'post_only_crosses', message: 'invalid post-only order: order crosses book' };
      if (marketable && opts.takerDelayMs > 0) {
        await sleep(opts.takerDelayMs); // the venue matches takers after a delay: use the book as it is then
        levels = (await opposite(r)) ?? [];
      }
      const res = walkBook({ side: r.side, limitPrice: r.price, size: r.size, orderType, levels, feeRate: r.feeRate, feeExponent: feeOf(r).exponent });
      const o: PaperOrder = { id, request: r, status: 'LIVE', sizeMatched: 0, createdAtMs: now() };
      addTrades(o, res.fills, 'taker');
      const rests = orderType === 'GTC' || orderType === 'GTD';
      o.status =
        res.remaining <= 0
          ? 'MATCHED'
          : rests
            ? 'LIVE'
            : res.killed && orderType === 'FOK'
              ? "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed."
              : 'CANCELED';
      orders.set(id, o);
      save();
      if (res.killed) return { kind: 'rejected', reason: 'killed', message: `${orderType}_ORDER_NOT_FILLED_ERROR` };
      const paid = res.fills.reduce((x, f) => x + f.size * f.price, 0);
      const making = r.side === 'BUY' ? paid : o.sizeMatched;
      const taking = r.side === 'BUY' ? o.sizeMatched : paid;
      return { kind: 'accepted', status: o.sizeMatched > 0 ? 'matched' : 'live', makingAmount: making, takingAmount: taking };
    },
    async getOrder(id): Promise<VenueOrder | null> {
      const o = orders.get(id);
      if (!o) return null;
      advance();
      await refreshResting(o);
      // As the venue: an order that is no longer active is not found (its trades tell what it did).
      if (o.status !== 'LIVE') return null;
      return { status: 'live', sizeMatched: o.sizeMatched };
    },
    async tradesFor(conditionId): Promise<VenueTrade[]> {
      advance();
      return state.trades
        .filter((t) => t.conditionId === conditionId)
        .map((t) => ({ id: t.id, orderId: t.orderId, size: t.size, price: t.price, role: t.role, fee: t.fee, status: t.status as TradeStatus, atMs: t.atMs }));
    },
    async cancel(id) {
      const o = orders.get(id);
      if (o?.status === 'LIVE') {
        o.status = 'CANCELED';
        save();
      }
    },
    async cancelAll() {
      for (const o of orders.values()) if (o.status === 'LIVE') o.status = 'CANCELED';
      save();
    },
    async heartbeat(previousId) {
      return previousId || 'paper';
    },
    winner: (conditionId) => opts.data.winner(conditionId),
    async collateral() {
      return { balanceUsd: opts.balanceUsd, allowanceUsd: Number.POSITIVE_INFINITY };
    },
  };
}
