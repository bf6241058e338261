import { type Rng } from './random.js';
import type { MarketSchedule, SimMarket } from './markets.js';

export interface Level {
  price: number;
  size: number;
}
export interface Book {
  bids: Level[]; // best first internally
  asks: Level[];
  timestampMs: number;
  hash: string;
}

export type OrderStatus = 'LIVE' | 'MATCHED' | 'DELAYED' | 'CANCELED' | 'CANCELED_MARKET_RESOLVED' | 'INVALID';
export type TradeStatus = 'MATCHED' | 'MINED' | 'CONFIRMED' | 'RETRYING' | 'FAILED';

export interface SimTrade {
  id: string;
  orderId: string;
  owner: string;
  makerAddress: string;
  market: string;
  assetId: string;
  outcome: 'Up' | 'Down';
  side: 'BUY' | 'SELL';
  size: number;
  price: number;
  fee: number;
  traderSide: 'TAKER' | 'MAKER';
  status: TradeStatus;
  matchTimeMs: number;
  lastUpdateMs: number;
  transactionHash: string;
  /** Parts of one match share its match time, numbered from 0 (§5.4 item 16). */
  bucketIndex: number;
  /** The counterparty's order, for a trade where ours was the maker. */
  takerOrderId: string;
}

export interface SimOrder {
  id: string;
  owner: string;
  maker: string;
  tokenId: string;
  conditionId: string;
  outcome: 'Up' | 'Down';
  side: 'BUY' | 'SELL';
  price: number;
  originalSize: number;
  sizeMatched: number;
  status: OrderStatus;
  orderType: 'GTC' | 'GTD' | 'FOK' | 'FAK';
  expirationS: number;
  createdAtMs: number;
  matchAtMs: number | null;
  trades: SimTrade[];
}

export interface ExchangeConfig {
  feeRate: number;
  tick: number;
  misprice: number;
  takerDelayMs: number;
  failTradeProb: number;
}

const FEE_Q = 1e-5;
/** The largest trade object one match is booked as; bigger matches are split (see addTrade). */
export const SPLIT_SHARES = 50;
const r2 = (v: number) => Math.round(v * 100) / 100;
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

export function takerFee(size: number, price: number, rate: number): number {
  return Number((Math.floor((size * rate * price * (1 - price)) / FEE_Q + 1e-9) * FEE_Q).toFixed(5));
}

/**
 * Quotes the Up/Down books around a noisy fair value (sometimes mispriced) and matches orders
 * against them. Up and Down quotes mirror each other, as the CTF exchange's minting makes them.
 */
export class Exchange {
  readonly books = new Map<string, Book>();
  readonly orders = new Map<string, SimOrder>();
  private readonly misprices = new Map<string, { offset: number; untilMs: number }>();
  private tradeSeq = 0;
  /** Every public trade (ours and the background flow) for the market channel. */
  /** A trade is mined: settle it on chain. False makes it FAIL (the taker no longer holds what it pays with). */
  onMined: (o: SimOrder, t: SimTrade) => boolean = () => true;
  onPublicTrade: (t: { tokenId: string; conditionId: string; price: number; size: number; side: 'BUY' | 'SELL'; timestampMs: number }) => void = () =>
    undefined;

  constructor(
    readonly cfg: ExchangeConfig,
    private readonly schedule: MarketSchedule,
    private readonly rng: Rng,
  ) {}

  refreshQuotes(nowMs: number): void {
    for (const m of this.schedule.markets.values()) {
      if (m.closed) {
        this.books.delete(m.upToken);
        this.books.delete(m.downToken);
        continue;
      }
      let fair = this.schedule.fairUp(m, nowMs) + this.rng.normal() * 0.005;
      const mis = this.misprices.get(m.conditionId);
      if (mis && mis.untilMs > nowMs) fair += mis.offset;
      else if (this.rng.next() < this.cfg.misprice) {
        const offset = (this.rng.next() < 0.5 ? -1 : 1) * (0.04 + this.rng.next() * 0.06);
        this.misprices.set(m.conditionId, { offset, untilMs: nowMs + 6_000 });
        fair += offset;
      }
      const t = this.cfg.tick;
      const mid = Math.min(0.97, Math.max(0.03, fair));
      const bestBid = Math.max(t, Math.floor((mid - t) / t + 1e-9) * t);
      const bestAsk = Math.min(1 - t, Math.max(bestBid + t, Math.ceil((mid + t) / t - 1e-9) * t));
      const bids: Level[] = [];
      const asks: Level[] = [];
      for (let k = 0; k < 5; k++) {
        const b = r2(bestBid - k * t);
        const a = r2(bestAsk + k * t);
        if (b >= t) bids.push({ price: b, size: r2(20 + this.rng.next() * 180) });
        if (a <= 1 - t) asks.push({ price: a, size: r2(20 + this.rng.next() * 180) });
      }
      const hash = this.rng.hex(20);
      this.books.set(m.upToken, { bids, asks, timestampMs: nowMs, hash });
      this.books.set(m.downToken, {
        bids: asks.map((l) => ({ price: r2(1 - l.price), size: l.size })),
        asks: bids.map((l) => ({ price: r2(1 - l.price), size: l.size })),
        timestampMs: nowMs,
        hash: this.rng.hex(20),
      });
      this.fillResting(m, nowMs);
      this.backgroundFlow(m, nowMs);
    }
  }

  /** Other traders: now and then someone takes the top of a book, so the public tape is alive. */
  private backgroundFlow(m: SimMarket, nowMs: number): void {
    if (this.rng.next() > 0.3) return;
    const token = this.rng.next() < 0.5 ? m.upToken : m.downToken;
    const book = this.books.get(token);
    const buy = this.rng.next() < 0.5;
    const level = buy ? book?.asks[0] : book?.bids[0];
    if (!level || level.size <= 0) return;
    const size = r2(Math.min(level.size, 5 + this.rng.next() * 45));
    level.size = r2(level.size - size);
    this.onPublicTrade({ tokenId: token, conditionId: m.conditionId, price: level.price, size, side: buy ? 'BUY' : 'SELL', timestampMs: nowMs });
  }

  /** Resting orders fill (as makers, no fee) when the market maker's quotes cross them. */
  private fillResting(m: SimMarket, nowMs: number): void {
    for (const o of this.orders.values()) {
      if (o.conditionId !== m.conditionId || o.status !== 'LIVE') continue;
      const book = this.books.get(o.tokenId);
      if (!book) continue;
      const levels = o.side === 'BUY' ? book.asks : book.bids;
      for (const l of levels) {
        const crosses = o.side === 'BUY' ? l.price <= o.price : l.price >= o.price;
        const remaining = r6(o.originalSize - o.sizeMatched);
        if (!crosses || remaining <= 0) break;
        const q = Math.min(remaining, l.size);
        // An earlier resting order may have emptied this level in the same pass: no shares, no trade.
        if (q <= 0) continue;
        l.size = r6(l.size - q);
        this.addTrade(o, q, o.price, 0, 'MAKER', nowMs);
      }
      if (o.originalSize - o.sizeMatched <= 1e-9) o.status = 'MATCHED';
    }
  }

  /**
   * One match of our order. A large match is booked as several trades of at most
   * SPLIT_SHARES sharing its match time, with increasing `bucket_index` (docs/polymarket-venue.md
   * §5.4 item 16: "large trades can be split into several trade objects").
   */
  private addTrade(o: SimOrder, size: number, price: number, fee: number, traderSide: 'TAKER' | 'MAKER', nowMs: number): void {
    const parts = Math.max(1, Math.ceil(size / SPLIT_SHARES - 1e-9));
    const takerOrderId = traderSide === 'TAKER' ? o.id : `0x${this.rng.hex(32)}`;
    let left = r6(size);
    for (let k = 0; k < parts; k++) {
      const part = k === parts - 1 ? left : r6(Math.min(SPLIT_SHARES, left));
      left = r6(left - part);
      const t: SimTrade = {
        id: `sim-trade-${++this.tradeSeq}-${this.rng.hex(4)}`,
        orderId: o.id,
        owner: o.owner,
        makerAddress: o.maker,
        market: o.conditionId,
        assetId: o.tokenId,
        outcome: o.outcome,
        side: o.side,
        size: part,
        price,
        fee: parts === 1 ? fee : Number(((fee * part) / size).toFixed(6)),
        traderSide,
        status: 'MATCHED',
        matchTimeMs: nowMs,
        lastUpdateMs: nowMs,
        transactionHash: `0x${this.rng.hex(32)}`,
        bucketIndex: k,
        takerOrderId,
      };
      o.trades.push(t);
      o.sizeMatched = r6(o.sizeMatched + part);
    }
    this.onPublicTrade({
      tokenId: o.tokenId,
      conditionId: o.conditionId,
      price,
      size: r6(size),
      side: traderSide === 'TAKER' ? o.side : o.side === 'BUY' ? 'SELL' : 'BUY',
      timestampMs: nowMs,
    });
  }

  /** Walks the opposite side up to the limit; returns shares available at or better than it. */
  available(o: Pick<SimOrder, 'tokenId' | 'side' | 'price'>): number {
    const book = this.books.get(o.tokenId);
    if (!book) return 0;
    const levels = o.side === 'BUY' ? book.asks : book.bids;
    let total = 0;
    for (const l of levels) {
      if (o.side === 'BUY' ? l.price > o.price : l.price < o.price) break;
      total += l.size;
    }
    return r6(total);
  }

  marketable(o: Pick<SimOrder, 'tokenId' | 'side' | 'price'>): boolean {
    return this.available(o) > 0;
  }

  /** Takes liquidity for an order now. FOK fills all or nothing (the caller checked), FAK and GTC what there is. */
  take(o: SimOrder, nowMs: number): void {
    const book = this.books.get(o.tokenId);
    if (!book) return;
    const levels = o.side === 'BUY' ? book.asks : book.bids;
    for (const l of levels) {
      const remaining = r6(o.originalSize - o.sizeMatched);
      if (remaining <= 0) break;
      if (o.side === 'BUY' ? l.price > o.price : l.price < o.price) break;
      const q = Math.min(remaining, l.size);
      if (q <= 0) continue;
      l.size = r6(l.size - q);
      this.addTrade(o, q, l.price, takerFee(q, l.price, this.cfg.feeRate), 'TAKER', nowMs);
    }
    const remaining = r6(o.originalSize - o.sizeMatched);
    if (remaining <= 0) o.status = 'MATCHED';
    else if (o.orderType === 'FAK' || o.orderType === 'FOK') o.status = 'CANCELED';
    else o.status = 'LIVE';
  }

  /**
   * Trades settle on chain over a few seconds: MATCHED → MINED → CONFIRMED, or MATCHED → RETRYING →
   * FAILED (the fill is undone); CONFIRMED and FAILED are final (docs/polymarket-venue.md §5.4 item 16).
   */
  progressTrades(nowMs: number): void {
    for (const o of this.orders.values()) {
      for (const t of o.trades) {
        if (t.status === 'MATCHED' && nowMs - t.matchTimeMs >= 1_000) {
          // The trade reaches the chain, where it moves the money (onMined); it fails (RETRYING, then FAILED) when that cannot be done.
          t.status = this.rng.next() < this.cfg.failTradeProb || !this.onMined(o, t) ? 'RETRYING' : 'MINED';
          t.lastUpdateMs = nowMs;
        } else if (t.status === 'RETRYING' && nowMs - t.matchTimeMs >= 2_000) {
          t.status = 'FAILED';
          t.lastUpdateMs = nowMs;
          o.sizeMatched = r6(o.sizeMatched - t.size);
        } else if (t.status === 'MINED' && nowMs - t.matchTimeMs >= 3_000) {
          t.status = 'CONFIRMED';
          t.lastUpdateMs = nowMs;
        }
      }
      if (o.status === 'DELAYED' && o.matchAtMs !== null && nowMs >= o.matchAtMs) {
        o.matchAtMs = null;
        if (o.orderType === 'FOK' && this.available(o) < o.originalSize) o.status = 'CANCELED';
        else this.take(o, nowMs);
      }
      if (o.status === 'LIVE' && o.expirationS > 0 && nowMs >= o.expirationS * 1_000 - 60_000) o.status = 'CANCELED';
    }
  }

  onResolved(m: SimMarket): void {
    for (const o of this.orders.values()) {
      if (o.conditionId === m.conditionId && (o.status === 'LIVE' || o.status === 'DELAYED')) o.status = 'CANCELED_MARKET_RESOLVED';
    }
  }

  cancel(id: string, owner: string): string | null {
    const o = this.orders.get(id);
    if (!o || o.owner !== owner) return 'order not found';
    if (o.status !== 'LIVE' && o.status !== 'DELAYED') return 'already canceled or matched';
    o.status = 'CANCELED';
    return null;
  }

  openOrders(owner: string): SimOrder[] {
    return [...this.orders.values()].filter((o) => o.owner === owner && (o.status === 'LIVE' || o.status === 'DELAYED'));
  }

  trades(owner: string): SimTrade[] {
    return [...this.orders.values()].filter((o) => o.owner === owner).flatMap((o) => o.trades);
  }
}

export { r2, r6 };
