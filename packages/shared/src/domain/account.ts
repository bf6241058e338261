import { z } from 'zod';
import { EpochMsSchema } from './primitives.js';

/**
 * The trading account as the venue holds it, published by execution for risk (sizing and the
 * ledger reconciliation) and for humans. Every amount in pUSD.
 *
 * - `balanceUsd`: the pUSD balance (`/balance-allowance` after `/balance-allowance/update`).
 * - `openOrdersUsd`: what resting BUY orders reserve (remaining size × limit price).
 * - `pendingUsd`: fills matched but not yet on chain (cost and fee not yet taken from the balance).
 * - `positionsUsd`: shares of markets not yet settled, **at what they cost** (the risk ledger's basis).
 * - `redeemableUsd`: settled markets' winning shares not yet redeemed, at 1 pUSD each (losers at 0).
 * - `bankrollUsd` = balance − openOrders − pending + positions + redeemable: what sizing uses.
 * - `availableUsd` = balance − openOrders − pending: the most a new order may spend.
 * - `equityUsd` = bankroll + openOrders: what the risk ledger (cash + exposure) must agree with.
 * - `uncertainUsd`: fills that reached the chain while the balance was being read, so that it may or
 *   may not hold them (counted as pending, the cautious side; the reconciliation allows this much more).
 */
export const VenueAccountSchema = z
  .object({
    wallet: z.string(),
    balanceUsd: z.number(),
    openOrdersUsd: z.number(),
    pendingUsd: z.number(),
    positionsUsd: z.number(),
    redeemableUsd: z.number(),
    redeemedUsd: z.number(),
    mergedUsd: z.number(),
    bankrollUsd: z.number(),
    availableUsd: z.number(),
    equityUsd: z.number(),
    uncertainUsd: z.number().nonnegative().optional(),
    atMs: EpochMsSchema,
  })
  .strict();
export type VenueAccount = z.infer<typeof VenueAccountSchema>;
