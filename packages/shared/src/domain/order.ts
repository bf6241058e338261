import { z } from 'zod';
import { OrderTypeSchema } from './signal.js';
import { AssetSchema, ConditionIdSchema, EpochMsSchema, OutcomeSchema, PriceSchema, SideSchema, TickSizeSchema, TokenIdSchema } from './primitives.js';

/** What risk sends to execution: a sized, gated order intent. Its id is the signal's id. */
export const OrderRequestSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
    signalId: z.string(),
    createdAtMs: EpochMsSchema,
    conditionId: ConditionIdSchema,
    asset: AssetSchema,
    outcome: OutcomeSchema,
    tokenId: TokenIdSchema,
    side: SideSchema,
    orderType: OrderTypeSchema,
    postOnly: z.boolean(),
    price: PriceSchema,
    /** Shares, on the size grid and at or above the market minimum. */
    size: z.number().positive(),
    /** GTD expiry (ms); the venue cancels about a minute early. */
    expiresAtMs: EpochMsSchema.optional(),
    windowEndMs: EpochMsSchema,
    tickSize: TickSizeSchema,
    minOrderSize: z.number().positive(),
    negRisk: z.boolean(),
    feeRate: z.number().min(0).max(1),
    /**
     * The fee curve's exponent: fee per share = feeRate × (p(1−p))^feeExponent (docs/quant.md; Gamma's
     * `feeSchedule.exponent`). Absent in jobs written before it was carried; `feeOf` reads that as 1,
     * the exponent of every crypto market since Fee Structure V2 (2026-03-01).
     */
    feeExponent: z.number().positive().optional(),
    /** The originating tick and the signal's time, for latency accounting. */
    tickAtMs: EpochMsSchema.optional(),
    signalAtMs: EpochMsSchema.optional(),
    /** Why this size: for the audit trail. */
    sizing: z.object({ bankrollUsd: z.number(), kellyFraction: z.number(), notionalUsd: z.number(), cappedBy: z.string().nullable() }).strict(),
  })
  .strict();
export type OrderRequest = z.infer<typeof OrderRequestSchema>;

/** The taker fee schedule an order request was sized with. */
export const feeOf = (r: Pick<OrderRequest, 'feeRate' | 'feeExponent'>): { rate: number; exponent: number } => ({
  rate: r.feeRate,
  exponent: r.feeExponent ?? 1,
});

export const ORDER_STATES = ['new', 'submitted', 'open', 'partially_filled', 'filled', 'cancel_requested', 'canceled', 'rejected', 'expired'] as const;
export const OrderStateSchema = z.enum(ORDER_STATES);
export type OrderState = z.infer<typeof OrderStateSchema>;
export const TERMINAL_ORDER_STATES: ReadonlySet<OrderState> = new Set(['filled', 'canceled', 'rejected', 'expired']);

/** Trades settle on chain: MATCHED → MINED → CONFIRMED, or FAILED (the fill is undone). */
export const TradeStatusSchema = z.enum(['MATCHED', 'MINED', 'CONFIRMED', 'RETRYING', 'FAILED']);
export type TradeStatus = z.infer<typeof TradeStatusSchema>;

export const FillSchema = z
  .object({
    tradeId: z.string(),
    size: z.number().positive(),
    price: PriceSchema,
    fee: z.number().nonnegative(),
    status: TradeStatusSchema,
    atMs: EpochMsSchema,
  })
  .strict();
export type Fill = z.infer<typeof FillSchema>;

export const OrderTransitionSchema = z
  .object({ from: OrderStateSchema.nullable(), to: OrderStateSchema, atMs: EpochMsSchema, note: z.string().optional() })
  .strict();

export const OrderSchema = z
  .object({
    request: OrderRequestSchema,
    /** The venue's id: the hash of the signed order, known before posting. */
    venueOrderId: z.string().nullable(),
    state: OrderStateSchema,
    filledSize: z.number().nonnegative(),
    fills: z.array(FillSchema),
    history: z.array(OrderTransitionSchema),
    updatedAtMs: EpochMsSchema,
  })
  .strict();
export type Order = z.infer<typeof OrderSchema>;
