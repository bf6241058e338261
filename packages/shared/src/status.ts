import type { RedisClient } from './redis.js';
import { z } from 'zod';
import { AssetSchema, EpochMsSchema, OutcomeSchema } from './domain/primitives.js';
import { OrderStateSchema } from './domain/order.js';
import { redisKeys } from './keys.js';
import { VenueAccountSchema, type VenueAccount } from './domain/account.js';

/**
 * Status snapshots each worker publishes to Redis for the dashboard and the CLI.
 * They are views for humans, never inputs to trading decisions.
 */
export const MarketStatusSchema = z
  .object({
    conditionId: z.string(),
    slug: z.string(),
    asset: AssetSchema,
    windowStartMs: EpochMsSchema,
    windowEndMs: EpochMsSchema,
    priceToBeat: z.number().nullable(),
    oraclePrice: z.number().nullable(),
    oracleTimestampMs: EpochMsSchema.nullable(),
    modelProbabilityUp: z.number().nullable(),
    bookMidUp: z.number().nullable(),
    edge: z.number().nullable(),
    lastSignalId: z.string().nullable(),
    /** Why the last pass did or did not trade, in words. */
    decision: z.string(),
    updatedAtMs: EpochMsSchema,
  })
  .strict();
export type MarketStatus = z.infer<typeof MarketStatusSchema>;

export const PositionStatusSchema = z
  .object({
    conditionId: z.string(),
    asset: AssetSchema,
    outcome: OutcomeSchema,
    confirmedShares: z.number(),
    pendingShares: z.number(),
    costUsd: z.number(),
    feesUsd: z.number(),
    windowEndMs: EpochMsSchema,
  })
  .strict();

export const ExecutionStatusSchema = z
  .object({
    openOrders: z.array(
      z
        .object({
          id: z.string(),
          conditionId: z.string(),
          asset: AssetSchema,
          outcome: OutcomeSchema,
          side: z.enum(['BUY', 'SELL']),
          price: z.number(),
          size: z.number(),
          filledSize: z.number(),
          state: OrderStateSchema,
        })
        .strict(),
    ),
    positions: z.array(PositionStatusSchema),
    ordersByState: z.record(z.string(), z.number()),
    /** Money at the venue: the account, and redemptions and merges (recent first). Absent on the paper venue. */
    money: z
      .object({
        account: VenueAccountSchema.nullable(),
        actions: z.array(
          z
            .object({
              id: z.string(),
              kind: z.enum(['redeem', 'merge', 'approve']),
              conditionId: z.string().nullable(),
              asset: AssetSchema.nullable(),
              shares: z.number(),
              amountUsd: z.number(),
              state: z.string(),
              transactionId: z.string().nullable(),
              transactionHash: z.string().nullable(),
              updatedAtMs: EpochMsSchema,
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    /** Execution's own halt (its record in the data directory), shown even when Redis lost the breaker. */
    halt: z.object({ reason: z.string() }).strict().nullable().optional(),
    updatedAtMs: EpochMsSchema,
  })
  .strict();
export type ExecutionStatus = z.infer<typeof ExecutionStatusSchema>;

export const RiskStatusSchema = z
  .object({
    bankrollUsd: z.number(),
    realisedPnlUsd: z.number(),
    unrealisedPnlUsd: z.number(),
    openExposureUsd: z.number(),
    feesUsd: z.number(),
    /** Bounded equity curve: [timestampMs, equityUsd]. */
    equity: z.array(z.tuple([EpochMsSchema, z.number()])),
    signalsAccepted: z.number().int(),
    signalsRefused: z.record(z.string(), z.number()),
    updatedAtMs: EpochMsSchema,
  })
  .strict();
export type RiskStatus = z.infer<typeof RiskStatusSchema>;

export function statusStore(redis: RedisClient, prefix: string) {
  const keys = redisKeys(prefix);
  return {
    async putMarket(s: MarketStatus): Promise<void> {
      const key = keys.status('markets');
      await redis.hset(key, s.conditionId, JSON.stringify(MarketStatusSchema.parse(s)));
    },
    async markets(): Promise<MarketStatus[]> {
      const all = await redis.hgetall(keys.status('markets'));
      return Object.values(all).flatMap((raw) => {
        const r = MarketStatusSchema.safeParse(safeJson(raw));
        return r.success ? [r.data] : [];
      });
    },
    async pruneMarkets(olderThanMs: number): Promise<void> {
      for (const m of await this.markets()) if (m.windowEndMs < olderThanMs) await redis.hdel(keys.status('markets'), m.conditionId);
    },
    async put<T>(name: 'execution' | 'risk', schema: z.ZodType<T>, value: T): Promise<void> {
      await redis.set(keys.status(name), JSON.stringify(schema.parse(value)));
    },
    async get<T>(name: 'execution' | 'risk', schema: z.ZodType<T>): Promise<T | null> {
      const raw = await redis.get(keys.status(name));
      if (raw === null) return null;
      const r = schema.safeParse(safeJson(raw));
      return r.success ? r.data : null;
    },
  };
}

export function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The venue account execution last read (see `VenueAccountSchema`); null when missing or unreadable. */
export async function readVenueAccount(redis: RedisClient, prefix: string): Promise<VenueAccount | null> {
  const raw = await redis.get(redisKeys(prefix).status('account'));
  if (raw === null) return null;
  const r = VenueAccountSchema.safeParse(safeJson(raw));
  return r.success ? r.data : null;
}

export async function putVenueAccount(redis: RedisClient, prefix: string, a: VenueAccount): Promise<void> {
  await redis.set(redisKeys(prefix).status('account'), JSON.stringify(VenueAccountSchema.parse(a)));
}
