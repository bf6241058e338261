/**
 * Per market: model probability, the fillable price of each side after fees, toxicity and the
 * edge → TradeSignals that carry their evidence. A pure function of its context (time included).
 */
import {
  bookProblems,
  midPrice,
  takerFeePerShare,
  TradePairSchema,
  TradeSignalSchema,
  type Market,
  type OracleReading,
  type OrderBook,
  type Outcome,
  type ToxicityFlag,
  type TradePair,
  type TradeSignal,
} from '@polybot/shared';
import { ArbitrageDetector, type BuyBothArb, type SellBothArb } from './arbitrageDetector.js';
import { checkedSignal } from './signalInvariants.js';
import { bestTakerBuy } from './evCalculator.js';
import { probabilityUp, type JumpParams } from './jumpDiffusionModel.js';
import { anchoredProbability, type AnchorWeights } from './marketAnchor.js';
import { toxicityFlags, type TapeTrade, type ToxicityConfig, DEFAULT_TOXICITY } from './toxicityFilter.js';

export interface StrategyConfig {
  /** Minimum edge per share after fees (probability points). */
  minEdge: number;
  /** One decision per side per slot: a re-sent decision keeps its id. */
  slotMs: number;
  maxOracleAgeMs: number;
  toxicity: ToxicityConfig;
  /**
   * Anchor the fair value on the market (marketAnchor.ts): P(Up) = σ(a + w_model·logit(model) +
   * w_market·logit(Up mid)) instead of the model alone. Absent or null: the model alone.
   */
  anchor?: AnchorWeights | null;
}

export const DEFAULT_STRATEGY: StrategyConfig = { minEdge: 0.02, slotMs: 10_000, maxOracleAgeMs: 5_000, toxicity: DEFAULT_TOXICITY };

export interface StrategyContext {
  nowMs: number;
  market: Market;
  upBook: OrderBook | null;
  downBook: OrderBook | null;
  oracle: OracleReading;
  /** Average of the settlement price over the elapsed part of the TWAP window, when inside it. */
  averageSoFar: number | null;
  /** Oracle price a few seconds ago, for the unabsorbed-move measure. */
  spotBefore: number | null;
  trades: { up: readonly TapeTrade[]; down: readonly TapeTrade[] };
  /** Times (ms) of recent top-of-book changes per token, for the book-change-speed flag (none: not flagged). */
  bookChanges?: { up: readonly number[]; down: readonly number[] };
  params: JumpParams;
  /** When the tick that triggered this pass happened (carried into signals for latency accounting). */
  tickAtMs?: number;
}

export interface Evaluation {
  /** The fair value traded on: the model's P(Up), or its blend with the market when anchored. */
  probabilityUp: number | null;
  /** The model's own P(Up) (equal to probabilityUp unless anchored). */
  modelProbabilityUp?: number | null;
  bookMidUp: number | null;
  bestEdge: number | null;
  signals: TradeSignal[];
  /** Why it did or did not trade, in words. */
  decision: string;
  /** A risk-free Up+Down pair if the books offer one (what the detector found). */
  arbitrage: ReturnType<ArbitrageDetector['buyBoth']>;
  /** The arbitrage as a tradeable unit (both FOK legs in one message); when set, `signals` is empty. */
  pair: TradePair | null;
  /** Both bids above 1 plus fees: selling held Up+Down pairs locks in more than they pay (reported, not traded). */
  reverseArbitrage: SellBothArb | null;
}

export function signalId(conditionId: string, outcome: Outcome, nowMs: number, slotMs: number): string {
  return `sig-${conditionId.slice(2, 18)}-${outcome}-${Math.floor(nowMs / slotMs)}`;
}

/** The market facts a signal carries, so risk and execution never re-fetch them. */
function signalMarket(market: Market): TradeSignal['market'] {
  const { id, slug, windowStartMs, windowEndMs, tickSize, minOrderSize, negRisk, acceptingOrders, feeSchedule } = market;
  return { id, slug, windowStartMs, windowEndMs, tickSize, minOrderSize, negRisk, acceptingOrders, feeSchedule };
}

/** The evidence every signal on this book carries: what was seen (book, oracle) and what the model said. */
function seenEvidence(ctx: StrategyContext, book: OrderBook, pUp: number, modelName = 'merton-jump-diffusion') {
  const { market, nowMs } = ctx;
  const oracle = ctx.oracle.price!;
  return {
    bookTimestampMs: book.timestampMs,
    oracleTimestampMs: oracle.timestampMs,
    oraclePrice: oracle.price,
    oracleSource: oracle.source,
    priceToBeat: market.priceToBeat!,
    secondsToExpiry: (market.windowEndMs - nowMs) / 1000,
    bestBid: book.bids[0]?.price ?? null,
    bestAsk: book.asks[0]?.price ?? null,
    model: { name: modelName, probabilityUp: pUp, ...ctx.params, settlement: market.settlement },
  };
}

/** One pair per market per slot: `arb-<cid>-<slot>`, its legs `…-UP` and `…-DOWN`. */
export function pairId(conditionId: string, nowMs: number, slotMs: number): string {
  return `arb-${conditionId.slice(2, 18)}-${Math.floor(nowMs / slotMs)}`;
}

/**
 * The detected arbitrage as two FOK BUY signals of the same size, each limited at the worst price
 * its book walk touched, cross-referenced, with the pair's economics in their evidence. Toxicity
 * is not a reason to skip a pair (it pays 1 whatever the flow), so the legs carry no flags.
 */
function arbPair(ctx: StrategyContext, arb: BuyBothArb, pUp: number, slotMs: number): TradePair {
  const { market, nowMs } = ctx;
  const id = pairId(market.conditionId, nowMs, slotMs);
  const profitPerPair = 1 - arb.costPerPair;
  const leg = (i: 0 | 1): TradeSignal => {
    const l = arb.legs[i];
    const other = arb.legs[i === 0 ? 1 : 0];
    const book = l.outcome === 'UP' ? ctx.upBook! : ctx.downBook!;
    const p = l.outcome === 'UP' ? pUp : 1 - pUp;
    return TradeSignalSchema.parse({
      id: `${id}-${l.outcome}`,
      kind: 'arbitrage',
      createdAtMs: nowMs,
      conditionId: market.conditionId,
      asset: market.asset,
      outcome: l.outcome,
      tokenId: l.outcome === 'UP' ? market.upTokenId : market.downTokenId,
      side: 'BUY',
      orderType: 'FOK',
      limitPrice: l.limitPrice,
      fillablePrice: l.vwap,
      maxShares: arb.shares,
      modelProbability: p,
      feePerShare: takerFeePerShare(l.vwap, market.feeSchedule),
      // Per pair, not per leg: what both legs together lock in.
      edge: profitPerPair,
      evPerShare: profitPerPair,
      // Risk sizes a pair by its caps (decidePair), never by Kelly: a sure payoff has no Kelly bound.
      kellyFraction: 1,
      market: signalMarket(market),
      evidence: {
        ...seenEvidence(ctx, book, pUp),
        depthAtLimit: book.asks.filter((a) => a.price <= l.limitPrice + 1e-9).reduce((s, a) => s + a.size, 0),
        toxicity: [],
        arbitrage: {
          pairId: id,
          shares: arb.shares,
          costPerPair: arb.costPerPair,
          profitPerPair,
          guaranteedProfitUsd: arb.guaranteedProfit,
          loneFillLossPerShare: Number.isFinite(l.loneFillLossPerShare) ? l.loneFillLossPerShare : null,
        },
      },
      pair: { pairId: id, otherSignalId: `${id}-${other.outcome}`, onLoneFill: l.onLoneFill },
      reasons: [
        `arbitrage leg ${l.outcome}: ${arb.shares} at VWAP ${l.vwap.toFixed(4)} (limit ${l.limitPrice}), pair cost ${arb.costPerPair.toFixed(4)} after fees; alone → ${l.onLoneFill}`,
      ],
      ...(ctx.tickAtMs !== undefined ? { tickAtMs: ctx.tickAtMs } : {}),
    });
  };
  return TradePairSchema.parse({
    kind: 'pair',
    id,
    createdAtMs: nowMs,
    conditionId: market.conditionId,
    asset: market.asset,
    shares: arb.shares,
    costPerPair: arb.costPerPair,
    guaranteedProfitUsd: arb.guaranteedProfit,
    legs: [leg(0), leg(1)],
  });
}

export class ValueBettingStrategy {
  constructor(readonly config: StrategyConfig = DEFAULT_STRATEGY) {}

  evaluate(ctx: StrategyContext): Evaluation {
    const { market, nowMs } = ctx;
    const none = (decision: string, p: number | null = null): Evaluation => ({
      probabilityUp: p,
      bookMidUp: ctx.upBook ? midPrice(ctx.upBook) : null,
      bestEdge: null,
      signals: [],
      decision,
      arbitrage: null,
      reverseArbitrage: null,
      pair: null,
    });
    if (!market.acceptingOrders) return none('market not accepting orders');
    if (nowMs < market.windowStartMs) return none('window not started');
    if (nowMs >= market.windowEndMs) return none('window ended');
    if (market.priceToBeat === null) return none('price to beat unknown');
    if (ctx.oracle.stale || !ctx.oracle.price) return none(`oracle stale (age ${ctx.oracle.ageMs} ms)`);
    if (!ctx.upBook || !ctx.downBook) return none('book missing');
    const problems = [...bookProblems(ctx.upBook, market.tickSize), ...bookProblems(ctx.downBook, market.tickSize)];
    if (problems.length) return none(`book unusable: ${[...new Set(problems)].join(', ')}`);

    const spot = ctx.oracle.price.price;
    const twap = market.settlement.kind === 'twap' ? market.settlement.lookbackSeconds : 0;
    const pModel = probabilityUp({
      ...ctx.params,
      spot,
      strike: market.priceToBeat,
      secondsLeft: (market.windowEndMs - nowMs) / 1000,
      twapSeconds: twap,
      averageSoFar: ctx.averageSoFar ?? undefined,
    });
    if (!Number.isFinite(pModel)) return none('model gave no probability');
    const anchor = this.config.anchor ?? null;
    const mid = midPrice(ctx.upBook);
    if (anchor && mid === null) return none('no market mid to anchor on', pModel);
    const pUp = anchor && mid !== null ? anchoredProbability(pModel, mid, anchor) : pModel;
    const modelName = anchor ? 'merton-jump-diffusion+market-anchor' : 'merton-jump-diffusion';

    const signals: TradeSignal[] = [];
    let bestEdge: number | null = null;
    const reasons: string[] = [];
    for (const outcome of ['UP', 'DOWN'] as const) {
      const book = outcome === 'UP' ? ctx.upBook : ctx.downBook;
      const p = outcome === 'UP' ? pUp : 1 - pUp;
      const top = book.asks[0];
      if (top) {
        const e = p - (top.price + takerFeePerShare(top.price, market.feeSchedule));
        bestEdge = bestEdge === null ? e : Math.max(bestEdge, e);
      }
      const opp = bestTakerBuy(p, book.asks, market.feeSchedule, this.config.minEdge);
      if (!opp) continue;
      const toxicity: ToxicityFlag[] = toxicityFlags(
        {
          trades: outcome === 'UP' ? ctx.trades.up : ctx.trades.down,
          spotNow: spot,
          spotBefore: ctx.spotBefore,
          nowMs,
          ...(ctx.bookChanges ? { bookChangesMs: outcome === 'UP' ? ctx.bookChanges.up : ctx.bookChanges.down } : {}),
        },
        this.config.toxicity,
      );
      reasons.push(`${outcome} edge ${opp.edge.toFixed(4)} ≥ ${this.config.minEdge}`);
      signals.push(
        checkedSignal({
          id: signalId(market.conditionId, outcome, nowMs, this.config.slotMs),
          kind: 'value',
          createdAtMs: nowMs,
          conditionId: market.conditionId,
          asset: market.asset,
          outcome,
          tokenId: outcome === 'UP' ? market.upTokenId : market.downTokenId,
          side: 'BUY',
          orderType: 'FAK',
          limitPrice: opp.limitPrice,
          fillablePrice: opp.vwap,
          maxShares: opp.shares,
          modelProbability: p,
          feePerShare: opp.feePerShare,
          edge: opp.edge,
          evPerShare: opp.evPerShare,
          kellyFraction: Math.min(1, opp.kelly),
          market: signalMarket(market),
          evidence: {
            ...seenEvidence(ctx, book, pUp, modelName),
            depthAtLimit: opp.shares,
            toxicity,
          },
          reasons: [`${outcome} edge ${opp.edge.toFixed(4)} after fees at VWAP ${opp.vwap.toFixed(4)}`],
          ...(ctx.tickAtMs !== undefined ? { tickAtMs: ctx.tickAtMs } : {}),
        }),
      );
    }
    const detector = new ArbitrageDetector(market.feeSchedule, { tickSize: market.tickSize, minShares: market.minOrderSize, minNotional: 1 });
    const arbitrage = detector.buyBoth(ctx.upBook.asks, ctx.downBook.asks, ctx.upBook.bids, ctx.downBook.bids);
    const reverseArbitrage = detector.sellBoth(ctx.upBook.bids, ctx.downBook.bids);
    const reverse = reverseArbitrage
      ? `; held pairs sell for ${reverseArbitrage.proceedsPerPair.toFixed(4)} after fees (${reverseArbitrage.shares} pairs, ${reverseArbitrage.guaranteedProfit.toFixed(4)} over the 1 they pay)`
      : '';
    if (arbitrage) {
      // A locked profit beats a model bet, and a value order would take the very asks the legs
      // need: the pair is traded alone on this market in this pass.
      const pair = arbPair(ctx, arbitrage, pUp, this.config.slotMs);
      const dropped = signals.length ? `; value signal${signals.length > 1 ? 's' : ''} ${signals.map((x) => x.outcome).join('+')} not sent (conflict)` : '';
      return {
        probabilityUp: pUp,
        modelProbabilityUp: pModel,
        bookMidUp: midPrice(ctx.upBook),
        bestEdge,
        signals: [],
        arbitrage,
        pair,
        reverseArbitrage,
        decision: `arbitrage: ${arbitrage.shares} pairs at ${arbitrage.costPerPair.toFixed(4)} after fees (guaranteed ${arbitrage.guaranteedProfit.toFixed(4)}), both legs FOK${dropped}${reverse}`,
      };
    }
    return {
      probabilityUp: pUp,
      modelProbabilityUp: pModel,
      bookMidUp: midPrice(ctx.upBook),
      bestEdge,
      signals,
      arbitrage,
      pair: null,
      reverseArbitrage,
      decision:
        (signals.length ? `signal: ${reasons.join('; ')}` : `no edge ≥ ${this.config.minEdge} after fees (best ${bestEdge?.toFixed(4) ?? 'n/a'})`) + reverse,
    };
  }
}
