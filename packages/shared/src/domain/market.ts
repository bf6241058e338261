import { z } from 'zod';
import { AssetSchema, ConditionIdSchema, EpochMsSchema, TickSizeSchema, TokenIdSchema } from './primitives.js';

/** Taker fee per share = rate × (p(1−p))^exponent; makers pay none when takerOnly. */
export const FeeScheduleSchema = z
  .object({
    rate: z.number().min(0).max(1),
    exponent: z.number().positive(),
    takerOnly: z.boolean(),
  })
  .strict();
export type FeeSchedule = z.infer<typeof FeeScheduleSchema>;

/** How the window settles: the oracle price at the end, or its TWAP over the last lookback seconds. */
export const SettlementRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('point') }).strict(),
  z.object({ kind: z.literal('twap'), lookbackSeconds: z.number().int().positive() }).strict(),
]);
export type SettlementRule = z.infer<typeof SettlementRuleSchema>;

export const MarketSchema = z
  .object({
    /** Gamma's numeric id, as a string. */
    id: z.string().min(1),
    conditionId: ConditionIdSchema,
    slug: z.string().min(1),
    asset: AssetSchema,
    intervalSeconds: z.number().int().positive(),
    windowStartMs: EpochMsSchema,
    windowEndMs: EpochMsSchema,
    upTokenId: TokenIdSchema,
    downTokenId: TokenIdSchema,
    /** Oracle price at the window's start; null until it is known. A market without it is not tradable. */
    priceToBeat: z.number().positive().nullable(),
    tickSize: TickSizeSchema,
    /** Minimum shares for a resting order. */
    minOrderSize: z.number().positive(),
    feeSchedule: FeeScheduleSchema,
    settlement: SettlementRuleSchema,
    acceptingOrders: z.boolean(),
    negRisk: z.boolean(),
  })
  .strict()
  .refine((m) => m.windowEndMs > m.windowStartMs, { message: 'window end must be after its start' })
  .refine((m) => m.upTokenId !== m.downTokenId, { message: 'Up and Down tokens must differ' });
export type Market = z.infer<typeof MarketSchema>;

/** The token that pays if the given outcome wins. */
export function tokenFor(market: Pick<Market, 'upTokenId' | 'downTokenId'>, outcome: 'UP' | 'DOWN'): string {
  return outcome === 'UP' ? market.upTokenId : market.downTokenId;
}
