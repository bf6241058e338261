/**
 * An in-memory CLOB for unit tests of the core: orders keyed by a hash known before posting,
 * duplicate posts refused, and switchable faults (lost answers, 429s, outages). Test-only.
 */
import { createHash } from 'node:crypto';
import type { OrderRequest, OrderType, TradeStatus } from '@polybot/shared';
import { orderAmounts } from '../sizing.js';
import { OrderSizingError, VenueOutcomeUnknownError, type ClobPort, type PostOutcome, type VenueOrder, type VenueTrade } from '../venue/port.js';

interface FakeOrder {
  id: string;
  request: OrderRequest;
  status: string;
  sizeMatched: number;
}

export class FakeClob implements ClobPort {
  readonly orders = new Map<string, FakeOrder>();
  readonly trades: VenueTrade[] = [];
  posts = 0;
  /** The next N accepted posts lose their answer (the caller sees a timeout). */
  dropAnswers = 0;
  /** The next N posts never arrive (the caller sees a timeout, the venue has nothing). */
  lostPosts = 0;
  /** The next N posts are refused with 429. */
  rateLimited = 0;
  /** Fill marketable orders at once (taker), else rest them. */
  fillOnPost = true;
  /** FOK/FAK posts on these tokens find no liquidity: killed unfilled, as the venue answers. */
  readonly killTokens = new Set<string>();
  winners = new Map<string, 'UP' | 'DOWN'>();
  private salt = 0;

  readonly signedRequests: OrderRequest[] = [];
  /** Venue-wide refusals: every post answers this mode (425/503) while set. */
  mode: 'restarting' | 'cancel_only' | 'post_only' | null = null;
  /** Cancels sent, by order id. */
  readonly cancels: string[] = [];
  async sign(r: OrderRequest) {
    // The same sizing code as the live adapter: what the fake accepts, the venue would.
    const sized = orderAmounts(r);
    if (!sized.ok) throw new OrderSizingError(sized.problem);
    const request = { ...r, price: sized.amounts.price, size: sized.amounts.shares };
    this.signedRequests.push(request);
    const signed = { request, salt: ++this.salt };
    return { id: `0x${createHash('sha256').update(JSON.stringify(signed)).digest('hex')}`, signed, request };
  }

  async postMany(orders: ReadonlyArray<{ signed: Record<string, unknown>; orderType: OrderType; postOnly?: boolean }>): Promise<PostOutcome[]> {
    this.calls.push('batch');
    const out: PostOutcome[] = [];
    for (const o of orders) out.push(await this.post(o.signed, o.orderType, o.postOnly));
    return out;
  }

  async post(signed: Record<string, unknown>, orderType: OrderType, postOnly = false): Promise<PostOutcome> {
    this.posts++;
    this.calls.push('post');
    if (this.mode && !(this.mode === 'post_only' && postOnly)) return { kind: 'unavailable', mode: this.mode, retryAfterMs: 20 };
    if (this.rateLimited > 0) {
      this.rateLimited--;
      return { kind: 'rate_limited', retryAfterMs: 5 };
    }
    if (this.lostPosts > 0) {
      this.lostPosts--;
      throw new VenueOutcomeUnknownError('post order timed out');
    }
    const id = `0x${createHash('sha256').update(JSON.stringify(signed)).digest('hex')}`;
    if (this.orders.has(id)) return { kind: 'duplicate' };
    const r = signed.request as OrderRequest;
    const o: FakeOrder = { id, request: r, status: 'LIVE', sizeMatched: 0 };
    this.orders.set(id, o);
    if ((orderType === 'FOK' || orderType === 'FAK') && this.killTokens.has(r.tokenId)) {
      o.status = 'CANCELED';
      return { kind: 'rejected', reason: 'killed', message: `${orderType}_ORDER_NOT_FILLED_ERROR` };
    }
    if (this.fillOnPost) this.fill(id, r.size, 'taker');
    if (this.dropAnswers > 0) {
      this.dropAnswers--;
      throw new VenueOutcomeUnknownError('socket hang up');
    }
    return { kind: 'accepted', status: o.status === 'MATCHED' ? 'matched' : 'live', makingAmount: 0, takingAmount: 0 };
  }

  /** A match at the venue for one of our orders. */
  fill(id: string, size: number, role: 'taker' | 'maker', status: TradeStatus = 'MATCHED'): string {
    const o = this.orders.get(id)!;
    o.sizeMatched += size;
    if (o.sizeMatched >= o.request.size - 1e-9) o.status = 'MATCHED';
    const tradeId = `t-${this.trades.length + 1}`;
    this.trades.push({ id: tradeId, orderId: id, size, price: o.request.price, role, fee: null, status, atMs: Date.now() });
    return tradeId;
  }

  setTradeStatus(tradeId: string, status: TradeStatus): void {
    for (const t of this.trades) if (t.id === tradeId) t.status = status;
  }

  /** As the venue: only an active order is found (§5.4 item 14); a filled or cancelled one reads as nothing. */
  async getOrder(id: string): Promise<VenueOrder | null> {
    const o = this.orders.get(id);
    if (!o || o.status !== 'LIVE') return null;
    return { status: 'live', sizeMatched: o.sizeMatched };
  }
  async tradesFor(conditionId: string): Promise<VenueTrade[]> {
    return this.trades.filter((t) => this.orders.get(t.orderId)?.request.conditionId === conditionId).map((t) => ({ ...t }));
  }
  async cancel(id: string): Promise<void> {
    this.cancels.push(id);
    if (this.mode === 'restarting') throw new Error('cancel: 425 Too Early');
    const o = this.orders.get(id);
    if (o && o.status === 'LIVE') o.status = 'CANCELED';
  }
  async cancelAll(): Promise<void> {
    if (this.mode === 'restarting') throw new Error('cancel all: 425 Too Early');
    for (const o of this.orders.values()) if (o.status === 'LIVE') o.status = 'CANCELED';
  }
  heartbeatFails = false;
  /** Every call, in order: 'hb' for a heartbeat, 'post' for a post. */
  readonly calls: string[] = [];
  async heartbeat(prev: string): Promise<string> {
    this.calls.push('hb');
    if (this.heartbeatFails) {
      await this.cancelAll();
      throw new Error('heartbeat expired');
    }
    return prev || 'hb-1';
  }
  async winner(conditionId: string) {
    return this.winners.get(conditionId) ?? null;
  }
  async collateral() {
    return { balanceUsd: 100, allowanceUsd: 100 };
  }
}
