/**
 * Pair accumulation, as the real BTC 15-minute bot in `data/polymarket/wallet-trades-btc-15m.csv.gz`
 * trades: resting bids on both sides of a window, so that the average Up price plus the average
 * Down price (fees included) stays below `maxPairCost` < 1; every complete pair is worth exactly 1
 * (merged at once, or paid at resolution), whatever the outcome. Pure: a function of the books,
 * the clock and the inventory already held.
 *
 * Per side X (the other side Y), each slot:
 * - no new bid within `stopBeforeEndSec` of the window end, nor once `maxWindowSpendUsd` is spent;
 * - no bid on X if X would then lead Y by more than `maxUnmatchedShares` (the unmatched side's cap);
 * - the price is X's best bid (one tick better when X trails Y by a clip or more), never at or
 *   above X's best ask (it must rest), and never above the highest price at which the new average
 *   of X plus Y's reference price (its average if held, else its best bid) plus X's fee stays
 *   within `maxPairCost`;
 * - a side that trails the other by at least the market minimum is caught up at once instead, as a
 *   taker (FAK at the best ask, for the missing shares up to the recorded depth), when the pairs it
 *   completes cost at most `catchUpPairCost` with the taker fee (a lone side is a naked bet);
 * - a clip of `clipShares`, GTD: it expires at the end of the slot (the venue cancels a GTD order
 *   about a minute before its expiry, docs/polymarket.md §3, so the expiry sent is slot end + 60 s),
 *   so stale bids never pile up and no cancel message is needed.
 */
import { floorToStep, midPrice, takerFeePerShare, type Market, type OracleReading, type OrderBook, type Outcome, type TradeSignal } from '@polybot/shared';
import type { JumpParams } from './jumpDiffusionModel.js';
import { checkedSignal } from './signalInvariants.js';

export interface PairAccumulatorConfig {
  /** Highest average Up + average Down (fees included) the inventory may reach. */
  maxPairCost: number;
  /** Shares per bid. */
  clipShares: number;
  /** The most one side may lead the other by (shares), counting the bid about to be placed. */
  maxUnmatchedShares: number;
  /** No new bid this close to the window's end (seconds). */
  stopBeforeEndSec: number;
  /** No new bid once this much has been spent in the window (pUSD at cost). */
  maxWindowSpendUsd: number;
  /** One bid per side per slot; each bid expires at its slot's end. */
  slotMs: number;
  /**
   * Catching up: when a side trails the other by at least the market minimum, buy the missing
   * shares at once as a taker (FAK at the best ask, taker fee included) if that completes pairs at
   * an average cost of at most this; null: never take.
   */
  catchUpPairCost: number | null;
}

/**
 * Defaults: the best of 144 settings (pair cost cap 0.96/0.97/0.98 × clip 5/10 × unmatched cap
 * 10/20/40 × catch-up none/0.99/0.995/1.00 × stop 120/300 s) by PnL on the first half of the
 * shipped BTC 15-minute windows only, under the default trade-through fill rule; none of them
 * earned money there (best −0.9 % of spend). packages/backtest/README.md has the numbers and the
 * second half. The window budget is the live risk worker's market cap (RISK_MAX_MARKET_EXPOSURE_USD 50).
 */
export const DEFAULT_PAIR_ACCUMULATOR: PairAccumulatorConfig = {
  maxPairCost: 0.96,
  clipShares: 10,
  maxUnmatchedShares: 20,
  stopBeforeEndSec: 300,
  maxWindowSpendUsd: 50,
  slotMs: 5_000,
  catchUpPairCost: 0.99,
};

/** Shares held of each side in one market and what they cost (fees included). */
export interface Inventory {
  upShares: number;
  upCostUsd: number;
  downShares: number;
  downCostUsd: number;
}

export const EMPTY_INVENTORY: Inventory = { upShares: 0, upCostUsd: 0, downShares: 0, downCostUsd: 0 };

export interface AccumulatorContext {
  nowMs: number;
  market: Market;
  upBook: OrderBook | null;
  downBook: OrderBook | null;
  oracle: OracleReading;
  inventory: Inventory;
  /** Carried into the signals' evidence only (the accumulator uses no model). */
  params?: JumpParams;
}

export interface AccumulatorEvaluation {
  signals: TradeSignal[];
  /** The bid each side would rest at this slot (null: none), for the status page and tests. */
  bids: Record<Outcome, number | null>;
  decision: string;
}

export function accumulateSignalId(conditionId: string, outcome: Outcome, nowMs: number, slotMs: number): string {
  return `acc-${conditionId.slice(2, 18)}-${outcome}-${Math.floor(nowMs / slotMs)}`;
}

/** GTD orders are cancelled by the venue about a minute before their expiry (docs/polymarket.md §3). */
export const GTD_SECURITY_MARGIN_MS = 60_000;

/** The highest price p (on the grid) at which buying `clip` more of X keeps avg(X) + ref(Y) + fee(p) within `maxCost`. */
export function highestPairPrice(
  held: { shares: number; costUsd: number },
  clip: number,
  refOther: number,
  maxCost: number,
  tick: number,
  feeAt: (p: number) => number,
): number | null {
  // avg is increasing in p, so walk down from the top of the grid (at most 1/tick steps).
  for (let p = floorToStep(1 - tick, tick); p >= tick - 1e-12; p = floorToStep(p - tick, tick)) {
    const avg = (held.costUsd + clip * (p + feeAt(p))) / (held.shares + clip);
    if (avg + refOther <= maxCost + 1e-12) return p;
  }
  return null;
}

/** The context once its books and oracle price are known to be there. */
type Seen = AccumulatorContext & { upBook: OrderBook; downBook: OrderBook; price: NonNullable<OracleReading['price']> };

export class PairAccumulator {
  constructor(readonly config: PairAccumulatorConfig = DEFAULT_PAIR_ACCUMULATOR) {}

  evaluate(ctx: AccumulatorContext): AccumulatorEvaluation {
    const { market, nowMs, inventory: inv } = ctx;
    const c = this.config;
    const bids: Record<Outcome, number | null> = { UP: null, DOWN: null };
    const none = (decision: string): AccumulatorEvaluation => ({ signals: [], bids, decision });
    if (!market.acceptingOrders) return none('market not accepting orders');
    if (nowMs < market.windowStartMs) return none('window not started');
    const secondsLeft = (market.windowEndMs - nowMs) / 1000;
    if (secondsLeft <= c.stopBeforeEndSec) return none(`no new bids in the last ${c.stopBeforeEndSec} s`);
    if (market.priceToBeat === null) return none('price to beat unknown');
    if (ctx.oracle.stale || !ctx.oracle.price) return none(`oracle stale (age ${ctx.oracle.ageMs} ms)`);
    if (!ctx.upBook || !ctx.downBook) return none('book missing');
    const seen: Seen = { ...ctx, upBook: ctx.upBook, downBook: ctx.downBook, price: ctx.oracle.price };
    const spent = inv.upCostUsd + inv.downCostUsd;
    const tick = market.tickSize;
    // A maker pays no fee when the schedule is taker-only (crypto markets): the resting bid is a maker order.
    const feeAt = (p: number) => (market.feeSchedule.takerOnly ? 0 : takerFeePerShare(p, market.feeSchedule));
    const signals: TradeSignal[] = [];
    const why: string[] = [];
    const slotEnd = (Math.floor(nowMs / c.slotMs) + 1) * c.slotMs;
    for (const outcome of ['UP', 'DOWN'] as const) {
      const book = outcome === 'UP' ? ctx.upBook : ctx.downBook;
      const other = outcome === 'UP' ? ctx.downBook : ctx.upBook;
      const held = outcome === 'UP' ? { shares: inv.upShares, costUsd: inv.upCostUsd } : { shares: inv.downShares, costUsd: inv.downCostUsd };
      const heldOther = outcome === 'UP' ? { shares: inv.downShares, costUsd: inv.downCostUsd } : { shares: inv.upShares, costUsd: inv.upCostUsd };
      const bestBid = book.bids[0]?.price;
      const bestAsk = book.asks[0]?.price;
      const otherBid = other.bids[0]?.price;
      if (bestBid === undefined || bestAsk === undefined) {
        why.push(`${outcome}: one-sided book`);
        continue;
      }
      if (held.shares - heldOther.shares + c.clipShares > c.maxUnmatchedShares + 1e-9) {
        why.push(`${outcome}: would lead by more than ${c.maxUnmatchedShares} unmatched`);
        continue;
      }
      const refOther = heldOther.shares > 0 ? heldOther.costUsd / heldOther.shares : otherBid;
      if (refOther === undefined) {
        why.push(`${outcome}: no reference price for the other side`);
        continue;
      }
      const deficit = floorToStep(heldOther.shares - held.shares, 0.01);
      if (c.catchUpPairCost !== null && heldOther.shares > 0 && deficit >= market.minOrderSize - 1e-9) {
        const takerFee = takerFeePerShare(bestAsk, market.feeSchedule);
        const pairCost = (held.costUsd + deficit * (bestAsk + takerFee)) / (held.shares + deficit) + refOther;
        const shares = floorToStep(Math.min(deficit, book.asks[0]?.size ?? 0), 0.01);
        if (pairCost <= c.catchUpPairCost + 1e-12 && shares * bestAsk >= 1 && spent + shares * bestAsk <= c.maxWindowSpendUsd + 1e-9) {
          bids[outcome] = bestAsk;
          why.push(`${outcome} catch up ${shares} at ${bestAsk} (pair ${pairCost.toFixed(4)})`);
          signals.push(this.signal(seen, outcome, 'FAK', bestAsk, shares, takerFee, pairCost, secondsLeft, slotEnd, held, heldOther));
          continue;
        }
      }
      const cap = highestPairPrice(held, c.clipShares, refOther, c.maxPairCost, tick, feeAt);
      const trails = heldOther.shares - held.shares >= c.clipShares - 1e-9;
      const wanted = floorToStep(trails ? bestBid + tick : bestBid, tick);
      const price = Math.min(wanted, cap ?? 0, floorToStep(bestAsk - tick, tick));
      if (!(price >= tick - 1e-12)) {
        why.push(`${outcome}: no price keeps the pair under ${c.maxPairCost}`);
        continue;
      }
      if (spent + c.clipShares * price > c.maxWindowSpendUsd + 1e-9) {
        why.push(`${outcome}: window budget $${c.maxWindowSpendUsd} spent`);
        continue;
      }
      bids[outcome] = price;
      const avgAfter = (held.costUsd + c.clipShares * (price + feeAt(price))) / (held.shares + c.clipShares);
      const pairCost = avgAfter + refOther;
      why.push(`${outcome} bid ${price} (pair ${pairCost.toFixed(4)})`);
      signals.push(this.signal(seen, outcome, 'GTD', price, c.clipShares, feeAt(price), pairCost, secondsLeft, slotEnd, held, heldOther));
    }
    return { signals, bids, decision: why.join('; ') };
  }

  /** One accumulation order: a resting GTD bid (maker) or a FAK catch-up (taker), sized by risk's caps alone. */
  private signal(
    ctx: Seen,
    outcome: Outcome,
    orderType: 'GTD' | 'FAK',
    price: number,
    shares: number,
    feePerShare: number,
    pairCost: number,
    secondsLeft: number,
    slotEnd: number,
    held: { shares: number; costUsd: number },
    heldOther: { shares: number; costUsd: number },
  ): TradeSignal {
    const { market, nowMs } = ctx;
    const book = outcome === 'UP' ? ctx.upBook : ctx.downBook;
    const mid = midPrice(book) ?? price;
    const taker = orderType === 'FAK';
    return checkedSignal({
      id: accumulateSignalId(market.conditionId, outcome, nowMs, this.config.slotMs),
      kind: 'accumulate',
      createdAtMs: nowMs,
      conditionId: market.conditionId,
      asset: market.asset,
      outcome,
      tokenId: outcome === 'UP' ? market.upTokenId : market.downTokenId,
      side: 'BUY',
      orderType,
      ...(taker ? {} : { expiresAtMs: slotEnd + GTD_SECURITY_MARGIN_MS }),
      limitPrice: price,
      fillablePrice: price,
      maxShares: shares,
      modelProbability: Math.min(1, Math.max(0, mid)),
      feePerShare,
      // Per pair, as an arbitrage leg: what a complete pair at this price would lock in.
      edge: 1 - pairCost,
      evPerShare: 1 - pairCost,
      // Sized by the caps alone (risk's KellySizer), never by Kelly: the pair, not the leg, is the bet.
      kellyFraction: 1,
      market: {
        id: market.id,
        slug: market.slug,
        windowStartMs: market.windowStartMs,
        windowEndMs: market.windowEndMs,
        tickSize: market.tickSize,
        minOrderSize: market.minOrderSize,
        negRisk: market.negRisk,
        acceptingOrders: market.acceptingOrders,
        feeSchedule: market.feeSchedule,
      },
      evidence: {
        bookTimestampMs: book.timestampMs,
        oracleTimestampMs: ctx.price.timestampMs,
        oraclePrice: ctx.price.price,
        oracleSource: ctx.price.source,
        priceToBeat: market.priceToBeat ?? ctx.price.price,
        secondsToExpiry: secondsLeft,
        bestBid: book.bids[0]?.price ?? null,
        bestAsk: book.asks[0]?.price ?? null,
        // A taker takes the shown ask; a resting bid offers its clip (it takes no depth).
        depthAtLimit: taker ? (book.asks[0]?.size ?? 0) : shares,
        model: {
          name: 'pair-accumulation (book mid)',
          probabilityUp: Math.min(1, Math.max(0, midPrice(ctx.upBook) ?? 0.5)),
          ...(ctx.params ?? { sigma: 0, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 }),
          settlement: market.settlement,
        },
        toxicity: [],
      },
      reasons: [
        `${taker ? 'catch up' : 'accumulate'} ${outcome} at ${price}: held ${held.shares} (avg ${held.shares ? (held.costUsd / held.shares).toFixed(4) : '—'}), other side ${heldOther.shares}, pair cost ${pairCost.toFixed(4)}`,
      ],
    });
  }
}

/**
 * The inventory of one market from position rows (confirmed and pending shares, cost and fees per
 * outcome), as the execution worker publishes them. Pending shares count: a bid must not be placed
 * again for shares already bought but not yet confirmed on chain.
 */
export function inventoryOf(
  positions: ReadonlyArray<{ conditionId: string; outcome: Outcome; confirmedShares: number; pendingShares: number; costUsd: number; feesUsd: number }>,
  conditionId: string,
): Inventory {
  const inv = { ...EMPTY_INVENTORY };
  for (const p of positions) {
    if (p.conditionId !== conditionId) continue;
    const shares = p.confirmedShares + p.pendingShares;
    if (p.outcome === 'UP') {
      inv.upShares += shares;
      inv.upCostUsd += p.costUsd + p.feesUsd;
    } else {
      inv.downShares += shares;
      inv.downCostUsd += p.costUsd + p.feesUsd;
    }
  }
  return inv;
}
