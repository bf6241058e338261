import { z } from 'zod';
import { OrderStateSchema, TradeStatusSchema } from './order.js';
import { AssetSchema, ConditionIdSchema, EpochMsSchema, OutcomeSchema, PriceSchema, SideSchema } from './primitives.js';

const base = {
  /** Deterministic per fact (order + state, trade + status, market settlement) so a re-sent event is a no-op. */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,160}$/),
  atMs: EpochMsSchema,
};

export const ExecutionEventSchema = z.discriminatedUnion('type', [
  z
    .object({
      ...base,
      type: z.literal('order'),
      orderId: z.string(),
      signalId: z.string(),
      conditionId: ConditionIdSchema,
      asset: AssetSchema,
      state: OrderStateSchema,
      reason: z.string().optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('fill'),
      orderId: z.string(),
      signalId: z.string(),
      conditionId: ConditionIdSchema,
      asset: AssetSchema,
      outcome: OutcomeSchema,
      /** SELL for an unwound lone arbitrage leg; absent means BUY (every order before pairs). */
      side: SideSchema.optional(),
      tradeId: z.string(),
      status: TradeStatusSchema,
      size: z.number().positive(),
      price: PriceSchema,
      fee: z.number().nonnegative(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('settlement'),
      conditionId: ConditionIdSchema,
      asset: AssetSchema,
      winner: OutcomeSchema,
      /** Shares held of each side at resolution. */
      upShares: z.number().nonnegative(),
      downShares: z.number().nonnegative(),
      costUsd: z.number(),
      feesUsd: z.number().nonnegative(),
      payoutUsd: z.number().nonnegative(),
      realisedPnlUsd: z.number(),
    })
    .strict(),
  z
    .object({
      ...base,
      /** A resolved market's winning shares redeemed for pUSD through the relayer (the payout was booked at settlement). */
      type: z.literal('redemption'),
      conditionId: ConditionIdSchema,
      asset: AssetSchema,
      shares: z.number().nonnegative(),
      amountUsd: z.number().nonnegative(),
      transactionId: z.string(),
      transactionHash: z.string(),
    })
    .strict(),
  z
    .object({
      ...base,
      /** Up+Down pairs merged back into pUSD: cash in now, the merged shares leave the position at their cost. */
      type: z.literal('merge'),
      conditionId: ConditionIdSchema,
      asset: AssetSchema,
      shares: z.number().positive(),
      amountUsd: z.number().nonnegative(),
      costUsd: z.number(),
      feesUsd: z.number().nonnegative(),
      transactionId: z.string(),
      transactionHash: z.string(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('error'),
      /** `limit`: a job refused by execution's own hard limits; `outbox`: an event set aside because it failed its schema. */
      source: z.enum(['venue', 'api', 'redis', 'rejected', 'heartbeat', 'persistence', 'limit', 'outbox']),
      message: z.string(),
    })
    .strict(),
]);
export type ExecutionEvent = z.infer<typeof ExecutionEventSchema>;
