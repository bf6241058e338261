import { z } from 'zod';

/** Why trading stopped. Manual trips clear only by a human; automatic ones may cool down. */
export const TripKindSchema = z.enum(['manual', 'drawdown', 'losses', 'error_rate', 'heartbeat', 'reconciliation']);
export type TripKind = z.infer<typeof TripKindSchema>;
