/**
 * Tick-size changes heard on the market channel (`tick_size_change`, docs/polymarket-venue.md §5.2
 * item 5), relayed by ingestion on Redis (`tickSizeChannel`): the venue port's cached tick follows
 * them, so the next order is sized on the new grid instead of being refused on the old one. Pure:
 * the worker hands each message in.
 */
import { TickSizeChangeSchema, type TickSizeChange } from '@polybot/shared';
import type { ClobPort } from './venue/port.js';

/** Applies one relayed message; null (ignored) when it fails its schema. */
export function applyTickSizeMessage(port: Pick<ClobPort, 'tickSizeChanged'>, raw: string): TickSizeChange | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const p = TickSizeChangeSchema.safeParse(json);
  if (!p.success) return null;
  port.tickSizeChanged?.(p.data.tokenId, p.data.tickSize);
  return p.data;
}
