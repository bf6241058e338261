/** The CLOB market channel's messages → domain updates. Pure; unknown or malformed messages give nothing. */
import { z } from 'zod';

const num = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .transform(Number);
const level = z.object({ price: num, size: num });

const BookMsg = z
  .object({
    event_type: z.literal('book'),
    asset_id: z.string(),
    market: z.string(),
    bids: z.array(level),
    asks: z.array(level),
    timestamp: num,
    hash: z.string().optional(),
  })
  .passthrough();
const PriceChangeMsg = z
  .object({
    event_type: z.literal('price_change'),
    market: z.string(),
    timestamp: num,
    price_changes: z.array(
      z
        .object({ asset_id: z.string(), price: num, size: num, side: z.enum(['BUY', 'SELL']), best_bid: num.optional(), best_ask: num.optional() })
        .passthrough(),
    ),
  })
  .passthrough();
const TradeMsg = z
  .object({
    event_type: z.literal('last_trade_price'),
    asset_id: z.string(),
    market: z.string(),
    price: num,
    size: num,
    side: z.enum(['BUY', 'SELL']),
    timestamp: num,
  })
  .passthrough();
const TickMsg = z
  .object({ event_type: z.literal('tick_size_change'), asset_id: z.string(), market: z.string(), new_tick_size: num, timestamp: num })
  .passthrough();
const ResolvedMsg = z.object({ event_type: z.literal('market_resolved'), market: z.string(), winning_asset_id: z.string(), timestamp: num }).passthrough();

export type MarketUpdate =
  | {
      kind: 'book';
      tokenId: string;
      conditionId: string;
      bids: Array<{ price: number; size: number }>;
      asks: Array<{ price: number; size: number }>;
      timestampMs: number;
    }
  | { kind: 'level'; tokenId: string; side: 'BUY' | 'SELL'; price: number; size: number; timestampMs: number }
  | { kind: 'trade'; tokenId: string; conditionId: string; price: number; size: number; side: 'BUY' | 'SELL'; timestampMs: number }
  | { kind: 'tick_size'; tokenId: string; tickSize: number; timestampMs: number }
  | { kind: 'resolved'; conditionId: string; winningTokenId: string; timestampMs: number };

/** One socket frame (an object or an array of them) → updates. */
export function parseMarketFrame(raw: string): MarketUpdate[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return [];
  }
  const items = Array.isArray(json) ? json : [json];
  return items.flatMap((m): MarketUpdate[] => {
    const type = (m as { event_type?: unknown })?.event_type;
    if (type === 'book') {
      const p = BookMsg.safeParse(m);
      return p.success
        ? [{ kind: 'book', tokenId: p.data.asset_id, conditionId: p.data.market, bids: p.data.bids, asks: p.data.asks, timestampMs: p.data.timestamp }]
        : [];
    }
    if (type === 'price_change') {
      const p = PriceChangeMsg.safeParse(m);
      return p.success
        ? p.data.price_changes.map((c) => ({
            kind: 'level' as const,
            tokenId: c.asset_id,
            side: c.side,
            price: c.price,
            size: c.size,
            timestampMs: p.data.timestamp,
          }))
        : [];
    }
    if (type === 'last_trade_price') {
      const p = TradeMsg.safeParse(m);
      return p.success
        ? [
            {
              kind: 'trade',
              tokenId: p.data.asset_id,
              conditionId: p.data.market,
              price: p.data.price,
              size: p.data.size,
              side: p.data.side,
              timestampMs: p.data.timestamp,
            },
          ]
        : [];
    }
    if (type === 'tick_size_change') {
      const p = TickMsg.safeParse(m);
      return p.success ? [{ kind: 'tick_size', tokenId: p.data.asset_id, tickSize: p.data.new_tick_size, timestampMs: p.data.timestamp }] : [];
    }
    if (type === 'market_resolved') {
      const p = ResolvedMsg.safeParse(m);
      return p.success ? [{ kind: 'resolved', conditionId: p.data.market, winningTokenId: p.data.winning_asset_id, timestampMs: p.data.timestamp }] : [];
    }
    return [];
  });
}
