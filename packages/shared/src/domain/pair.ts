/**
 * A two-legged Up+Down arbitrage travels as ONE message from analysis to risk (a `TradePair`) and
 * from risk to execution (a `PairOrderRequest`), so both legs are decided, sized and placed as a
 * unit: no queue ever holds half a pair.
 */
import { z } from 'zod';
import { OrderRequestSchema } from './order.js';
import { AssetSchema, ConditionIdSchema, EpochMsSchema } from './primitives.js';
import { TradeSignalSchema } from './signal.js';

const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/);
export const LoneFillActionSchema = z.enum(['sell', 'hold']);
export type LoneFillAction = z.infer<typeof LoneFillActionSchema>;

/**
 * What both pair messages start with. The id is deterministic per market and decision slot (a
 * re-sent pair never becomes a second pair) and is the job id; the legs keep their own ids.
 */
const PairHeader = {
  kind: z.literal('pair'),
  id: IdSchema,
  createdAtMs: EpochMsSchema,
  conditionId: ConditionIdSchema,
  asset: AssetSchema,
  shares: z.number().positive(),
};

/** Both legs (Up first, Down second), FOK, the same shares, cross-referencing each other. */
export const TradePairSchema = z
  .object({
    ...PairHeader,
    costPerPair: z.number().positive().lt(1),
    guaranteedProfitUsd: z.number().positive(),
    legs: z.tuple([TradeSignalSchema, TradeSignalSchema]),
  })
  .strict()
  .superRefine((p, ctx) => {
    const [up, down] = p.legs;
    const bad = (message: string) => ctx.addIssue({ code: 'custom', message, path: ['legs'] });
    if (up.outcome !== 'UP' || down.outcome !== 'DOWN') bad('legs must be [UP, DOWN]');
    for (const [leg, other] of [
      [up, down],
      [down, up],
    ] as const) {
      if (leg.kind !== 'arbitrage') bad(`${leg.id}: a pair leg is of kind arbitrage`);
      if (leg.orderType !== 'FOK') bad(`${leg.id}: a pair leg is fill-or-kill`);
      if (leg.conditionId !== p.conditionId) bad(`${leg.id}: another market`);
      if (!leg.pair || leg.pair.pairId !== p.id || leg.pair.otherSignalId !== other.id) bad(`${leg.id}: pair reference does not match`);
      if (Math.abs(leg.maxShares - p.shares) > 1e-9) bad(`${leg.id}: legs carry the same shares`);
    }
  });
export type TradePair = z.infer<typeof TradePairSchema>;

/** What risk sends execution for a pair: two sized FOK BUY requests of equal size, and the lone-leg rule. */
export const PairOrderRequestSchema = z
  .object({
    ...PairHeader,
    /** Cost per pair at the legs' limit prices plus fees (the worst case if both fill). */
    worstCostPerPair: z.number().positive(),
    /** Profit for `shares` pairs at the volume-weighted prices analysis saw, after fees. */
    expectedProfitUsd: z.number(),
    legs: z.tuple([OrderRequestSchema, OrderRequestSchema]),
    /** What to do with a leg that fills alone, as analysis judged it; execution re-checks at the current book. */
    onLoneFill: z.object({ UP: LoneFillActionSchema, DOWN: LoneFillActionSchema }).strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const [up, down] = p.legs;
    const bad = (message: string) => ctx.addIssue({ code: 'custom', message, path: ['legs'] });
    if (up.outcome !== 'UP' || down.outcome !== 'DOWN') bad('legs must be [UP, DOWN]');
    if (up.id === down.id) bad('legs need distinct ids');
    for (const leg of p.legs) {
      if (leg.side !== 'BUY' || leg.orderType !== 'FOK') bad(`${leg.id}: a pair leg is a FOK BUY`);
      if (leg.conditionId !== p.conditionId) bad(`${leg.id}: another market`);
      if (Math.abs(leg.size - p.shares) > 1e-9) bad(`${leg.id}: legs carry the same size`);
    }
  });
export type PairOrderRequest = z.infer<typeof PairOrderRequestSchema>;
