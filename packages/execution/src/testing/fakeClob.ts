/**
 * An in-memory CLOB for unit tests of the core: orders keyed by a hash known before posting,
 * duplicate posts refused, and switchable faults (lost answers, 429s, outages). Test-only.
 */
import { createHash } from 'node:crypto';
import type { OrderRequest, OrderType } from '@polybot/shared';
import type { ClobPort, PostOutcome, VenueOrder, VenueTrade } from '../venue/port.js';

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
  async sign(r: OrderRequest) {
    this.signedRequests.push(r);
    const signed = { request: r, salt: ++this.salt };
    return { id: `0x${createHash('sha256').update(JSON.stringify(signed)).digest('hex')}`, signed };
  }

  async post(signed: Record<string, unknown>, orderType: OrderType): Promise<PostOutcome> {
    this.posts++;
    this.calls.push('post');
    if (this.rateLimited > 0) {
      this.rateLimited--;
      return { kind: 'rate_limited', retryAfterMs: 5 };
    }
    if (this.lostPosts > 0) {
      this.lostPosts--;
      return { kind: 'unknown', message: 'post order timed out' };
    }
    const id = `0x${createHash('sha256').update(JSON.stringify(signed)).digest('hex')}`;
    if (this.orders.has(id)) return { kind: 'duplicate' };
    const r = signed.request as OrderRequest;
    const o: FakeOrder = { id, request: r, status: 'LIVE', sizeMatched: 0 };
    this.orders.set(id, o);
    if ((orderType === 'FOK' || orderType === 'FAK') && this.killTokens.has(r.tokenId)) {
      o.status = 'CANCELED';
      return { kind: 'rejected', message: `${orderType}_ORDER_NOT_FILLED_ERROR`, killed: true };
    }
    if (this.fillOnPost) this.fill(id, r.size, 'taker');
    if (this.dropAnswers > 0) {
      this.dropAnswers--;
      return { kind: 'unknown', message: 'socket hang up' };
    }
    return { kind: 'accepted', status: o.status === 'MATCHED' ? 'matched' : 'live' };
  }

  /** A match at the venue for one of our orders. */
  fill(id: string, size: number, role: 'taker' | 'maker', status = 'MATCHED'): string {
    const o = this.orders.get(id)!;
    o.sizeMatched += size;
    if (o.sizeMatched >= o.request.size - 1e-9) o.status = 'MATCHED';
    const tradeId = `t-${this.trades.length + 1}`;
    this.trades.push({ id: tradeId, orderId: id, size, price: o.request.price, role, fee: null, status, atMs: Date.now() });
    return tradeId;
  }

  setTradeStatus(tradeId: string, status: string): void {
    for (const t of this.trades) if (t.id === tradeId) t.status = status;
  }

  async getOrder(id: string): Promise<VenueOrder | null> {
    const o = this.orders.get(id);
    return o ? { status: o.status, sizeMatched: o.sizeMatched } : null;
  }
  async tradesFor(conditionId: string): Promise<VenueTrade[]> {
    return this.trades.filter((t) => this.orders.get(t.orderId)?.request.conditionId === conditionId).map((t) => ({ ...t }));
  }
  async cancel(id: string): Promise<void> {
    const o = this.orders.get(id);
    if (o && o.status === 'LIVE') o.status = 'CANCELED';
  }
  async cancelAll(): Promise<void> {
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
