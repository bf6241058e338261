import { z } from 'zod';
import { FeeScheduleSchema, SettlementRuleSchema } from './market.js';
import { OracleSourceSchema } from './oracle.js';
import { AssetSchema, ConditionIdSchema, EpochMsSchema, OutcomeSchema, PriceSchema, ProbabilitySchema, TickSizeSchema, TokenIdSchema } from './primitives.js';

export const OrderTypeSchema = z.enum(['GTC', 'GTD', 'FOK', 'FAK']);
export type OrderType = z.infer<typeof OrderTypeSchema>;

export const ToxicityFlagSchema = z.object({ name: z.string(), value: z.number(), threshold: z.number(), flagged: z.boolean() }).strict();
export type ToxicityFlag = z.infer<typeof ToxicityFlagSchema>;

export const ModelEvidenceSchema = z
  .object({
    name: z.string(),
    probabilityUp: ProbabilitySchema,
    /** Annualised diffusive volatility (365-day year). */
    sigma: z.number().nonnegative(),
    /** Jumps per year. */
    lambdaPerYear: z.number().nonnegative(),
    jumpMean: z.number(),
    jumpStd: z.number().nonnegative(),
    settlement: SettlementRuleSchema,
  })
  .strict();

/**
 * What analysis saw when it decided, so risk and humans can audit it.
 * Books are summarised (top of book and depth at the limit), never copied whole.
 */
export const SignalEvidenceSchema = z
  .object({
    bookTimestampMs: EpochMsSchema,
    oracleTimestampMs: EpochMsSchema,
    oraclePrice: z.number().positive(),
    oracleSource: OracleSourceSchema,
    priceToBeat: z.number().positive(),
    secondsToExpiry: z.number(),
    bestBid: PriceSchema.nullable(),
    bestAsk: PriceSchema.nullable(),
    /** Shares available at or better than the limit price. */
    depthAtLimit: z.number().nonnegative(),
    model: ModelEvidenceSchema,
    toxicity: z.array(ToxicityFlagSchema),
    /** For a leg of an Up+Down arbitrage: what the pair earns if both legs fill (before risk sizes it). */
    arbitrage: z
      .object({
        pairId: z.string(),
        /** Pairs the walked books offer (both legs the same). */
        shares: z.number().positive(),
        /** Volume-weighted cost of one Up + one Down including both taker fees; below 1 by construction. */
        costPerPair: z.number().positive().lt(1),
        /** Guaranteed profit per pair after fees: 1 − costPerPair. */
        profitPerPair: z.number().positive(),
        /** For all `shares` pairs (pUSD). */
        guaranteedProfitUsd: z.number().positive(),
        /** Loss per share of the better lone-leg action at the book the pair was found on (null: no book to unwind on). */
        loneFillLossPerShare: z.number().nullable(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SignalEvidence = z.infer<typeof SignalEvidenceSchema>;

/** The market facts risk and execution need, copied so they never re-fetch them. */
export const SignalMarketSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    windowStartMs: EpochMsSchema,
    windowEndMs: EpochMsSchema,
    tickSize: TickSizeSchema,
    minOrderSize: z.number().positive(),
    negRisk: z.boolean(),
    acceptingOrders: z.boolean(),
    feeSchedule: FeeScheduleSchema,
  })
  .strict();

export const TradeSignalSchema = z
  .object({
    /** Deterministic (market, outcome, decision slot): a re-sent signal never becomes a second order. */
    id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
    /** value: a model bet; arbitrage: a leg of an Up+Down pair; accumulate: a resting bid of pair accumulation. */
    kind: z.enum(['value', 'arbitrage', 'accumulate']),
    createdAtMs: EpochMsSchema,
    conditionId: ConditionIdSchema,
    asset: AssetSchema,
    outcome: OutcomeSchema,
    tokenId: TokenIdSchema,
    side: z.literal('BUY'),
    orderType: OrderTypeSchema,
    /** Worst price the order may pay, on the market's tick grid. */
    limitPrice: PriceSchema,
    /** Volume-weighted price actually fillable for `maxShares` (walks the book). */
    fillablePrice: PriceSchema,
    maxShares: z.number().nonnegative(),
    modelProbability: ProbabilitySchema,
    feePerShare: z.number().nonnegative(),
    /** Model probability minus the fee-adjusted cost per share. */
    edge: z.number(),
    evPerShare: z.number(),
    /** Full-Kelly fraction of bankroll at the fee-adjusted price (risk applies its own fraction and caps). */
    kellyFraction: z.number().min(0).max(1),
    market: SignalMarketSchema,
    evidence: SignalEvidenceSchema,
    /** For a two-legged arbitrage: the other leg and what to do if only this one fills. */
    pair: z
      .object({ pairId: z.string(), otherSignalId: z.string(), onLoneFill: z.enum(['sell', 'hold']) })
      .strict()
      .optional(),
    reasons: z.array(z.string()),
    /** When the tick (market refresh, book or price change) that led here happened: for latency accounting. */
    tickAtMs: EpochMsSchema.optional(),
    /** For a GTD order: the expiry sent to the venue (which cancels about a minute before it). */
    expiresAtMs: EpochMsSchema.optional(),
  })
  .strict();
export type TradeSignal = z.infer<typeof TradeSignalSchema>;
