import type { RedisClient } from './redis.js';
import { z } from 'zod';
import { EpochMsSchema } from './domain/primitives.js';
import { redisKeys } from './keys.js';
import { safeJson } from './status.js';

import { TripKindSchema } from './domain/tripKind.js';

export { TripKindSchema, type TripKind } from './domain/tripKind.js';

export const BreakerStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), resumedAtMs: EpochMsSchema.nullable() }).strict(),
  z
    .object({
      state: z.literal('open'),
      kind: TripKindSchema,
      reason: z.string(),
      trippedAtMs: EpochMsSchema,
      /** Automatic trips clear after this time; null means only `resume` clears it. */
      cooldownUntilMs: EpochMsSchema.nullable(),
    })
    .strict(),
]);
export type BreakerState = z.infer<typeof BreakerStateSchema>;

/** Messages on the control channel (pub/sub): execution cancels open orders on `halt`. */
export const ControlMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('halt'), kind: TripKindSchema, reason: z.string(), atMs: EpochMsSchema }).strict(),
  z.object({ type: z.literal('resume'), atMs: EpochMsSchema }).strict(),
]);
export type ControlMessage = z.infer<typeof ControlMessageSchema>;

/**
 * Reads the shared breaker. Fail-safe: an unreadable or unparseable state counts as open,
 * so a corrupted key can only stop trading, never allow it. A missing key is closed (never tripped).
 */
export async function readBreaker(redis: RedisClient, prefix: string, nowMs: number): Promise<BreakerState> {
  const raw = await redis.get(redisKeys(prefix).breaker);
  if (raw === null) return { state: 'closed', resumedAtMs: null };
  const parsed = BreakerStateSchema.safeParse(safeJson(raw));
  if (!parsed.success) {
    return { state: 'open', kind: 'manual', reason: 'breaker state in Redis is unreadable', trippedAtMs: nowMs, cooldownUntilMs: null };
  }
  const s = parsed.data;
  if (s.state === 'open' && s.cooldownUntilMs !== null && nowMs >= s.cooldownUntilMs) return { state: 'closed', resumedAtMs: s.cooldownUntilMs };
  return s;
}
