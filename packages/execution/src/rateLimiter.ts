/** Order batches: the venue's own limit on one request (its rate limits are kept by `@polybot/shared`'s one limiter). */
/** The venue accepts at most 15 orders per batch request. */
export const MAX_BATCH = 15;
export function chunk<T>(items: readonly T[], size = MAX_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
