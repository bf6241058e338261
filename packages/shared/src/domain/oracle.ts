import { z } from 'zod';
import { AssetSchema, EpochMsSchema } from './primitives.js';

/**
 * Where a price came from. `chainlink` and `chainlink-twap` settle the real markets;
 * `exchange-fallback` is a cross-check only and is labelled so it is never mistaken for them.
 */
export const OracleSourceSchema = z.enum(['chainlink', 'chainlink-twap', 'exchange-fallback', 'sim']);
export type OracleSource = z.infer<typeof OracleSourceSchema>;

export const OraclePriceSchema = z
  .object({
    asset: AssetSchema,
    price: z.number().positive().finite(),
    timestampMs: EpochMsSchema,
    source: OracleSourceSchema,
  })
  .strict();
export type OraclePrice = z.infer<typeof OraclePriceSchema>;

export interface OracleReading {
  price: OraclePrice | null;
  /** Milliseconds since the price's timestamp; Infinity when there is no usable price. */
  ageMs: number;
  stale: boolean;
}

/** Fail-safe freshness: a missing, future-dated or too-old price is stale with infinite age. */
export function readOracle(price: OraclePrice | null | undefined, nowMs: number, maxAgeMs: number): OracleReading {
  if (!price || !Number.isFinite(price.price) || price.price <= 0) return { price: null, ageMs: Infinity, stale: true };
  const ageMs = nowMs - price.timestampMs;
  // A timestamp from the future beyond clock skew means a broken feed, not a fresh price.
  if (ageMs < -5_000) return { price, ageMs: Infinity, stale: true };
  const age = Math.max(0, ageMs);
  return { price, ageMs: age, stale: age > maxAgeMs };
}
