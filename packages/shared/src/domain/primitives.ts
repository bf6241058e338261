import { z } from 'zod';

export const ASSETS = ['BTC', 'ETH', 'SOL', 'XRP'] as const;
export const AssetSchema = z.enum(ASSETS);
export type Asset = z.infer<typeof AssetSchema>;

export const OutcomeSchema = z.enum(['UP', 'DOWN']);
export type Outcome = z.infer<typeof OutcomeSchema>;

export const SideSchema = z.enum(['BUY', 'SELL']);
export type Side = z.infer<typeof SideSchema>;

export const VenueSchema = z.enum(['sim', 'paper', 'live']);
export type Venue = z.infer<typeof VenueSchema>;

/** Condition ids are 0x + 64 hex on Polymarket; the CLOB calls this `market`. */
export const ConditionIdSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x + 64 hex');
/** ERC-1155 position ids: big decimal integers sent as strings. */
export const TokenIdSchema = z.string().regex(/^\d{1,80}$/, 'expected a decimal token id');

export const ProbabilitySchema = z.number().min(0).max(1);
/** A tradable price is strictly inside (0, 1). */
export const PriceSchema = z.number().gt(0).lt(1);
export const EpochMsSchema = z.number().int().nonnegative();
export const TickSizeSchema = z.union([z.literal(0.1), z.literal(0.01), z.literal(0.005), z.literal(0.001), z.literal(0.0025), z.literal(0.0001)]);
export type TickSize = z.infer<typeof TickSizeSchema>;
