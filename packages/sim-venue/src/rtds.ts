import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { PriceProcess, SimAsset } from './prices.js';

/**
 * The RTDS live-data socket (legacy `wss://ws-live-data.polymarket.com`), Chainlink topics only:
 * `crypto_prices_chainlink` (the oracle each second) and `crypto_prices_twap_sixty` (its 60 s TWAP).
 * Protocol: `{"action":"subscribe","subscriptions":[{topic, type, filters}]}` where filters is a JSON
 * string (or object) like `{"symbol":"btc/usd"}`; the first reply per subscription is a `subscribe`
 * dump of `payload.data[{timestamp, value}]`, then one `update` per new point. `PING` → `PONG`.
 */
export const RTDS_TOPICS = ['crypto_prices_chainlink', 'crypto_prices_twap_sixty'] as const;
type Topic = (typeof RTDS_TOPICS)[number];

const SubscribeSchema = z.object({
  action: z.enum(['subscribe', 'unsubscribe']),
  subscriptions: z
    .array(
      z.object({
        topic: z.string(),
        type: z.string().optional(),
        filters: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
      }),
    )
    .max(100),
});

interface Sub {
  topic: Topic;
  /** Lowercase `btc/usd`, or null for every symbol. */
  symbol: string | null;
}

const key = (s: Sub) => `${s.topic}|${s.symbol ?? '*'}`;
/** E18 fixed point of a decimal price, as the TWAP topic's `full_accuracy_value`. */
const e18 = (v: number) => (BigInt(Math.round(v * 1e8)) * 10n ** 10n).toString();

export class RtdsHub {
  private readonly clients = new Map<WebSocket, Map<string, Sub>>();
  private lastSentMs = 0;

  constructor(private readonly prices: Map<SimAsset, PriceProcess>) {}

  attach(ws: WebSocket): void {
    this.clients.set(ws, new Map());
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === 'PING' || text === 'ping') return ws.send('PONG');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return;
      }
      const msg = SubscribeSchema.safeParse(raw);
      if (!msg.success) return;
      const mine = this.clients.get(ws);
      if (!mine) return;
      for (const s of msg.data.subscriptions) {
        if (!(RTDS_TOPICS as readonly string[]).includes(s.topic)) continue;
        const sub: Sub = { topic: s.topic as Topic, symbol: symbolFilter(s.filters) };
        if (msg.data.action === 'unsubscribe') {
          mine.delete(key(sub));
          continue;
        }
        mine.set(key(sub), sub);
        for (const [asset, p] of this.assets(sub.symbol)) ws.send(JSON.stringify(this.dump(sub.topic, asset, p)));
      }
    });
    ws.on('close', () => this.clients.delete(ws));
  }

  /** Called each second: one `update` per subscribed (topic, symbol) for the newest point. */
  publish(nowMs: number): void {
    const first = this.prices.values().next().value;
    if (!first) return;
    const ts = first.latest().timestampMs;
    if (ts <= this.lastSentMs) return;
    this.lastSentMs = ts;
    for (const [ws, mine] of this.clients) {
      for (const sub of mine.values()) {
        for (const [asset, p] of this.assets(sub.symbol)) ws.send(JSON.stringify(this.update(sub.topic, asset, p, nowMs)));
      }
    }
  }

  closeAll(): void {
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
  }

  private assets(symbol: string | null): [SimAsset, PriceProcess][] {
    return [...this.prices].filter(([a]) => symbol === null || `${a.toLowerCase()}/usd` === symbol);
  }

  private value(topic: Topic, p: PriceProcess, atMs: number): number {
    return topic === 'crypto_prices_twap_sixty' ? p.twap(atMs, 60) : p.at(atMs);
  }

  private dump(topic: Topic, asset: SimAsset, p: PriceProcess) {
    const last = p.latest().timestampMs;
    const data = p.history(last - 59_000, last).map((x) => ({ timestamp: x.timestampMs, value: this.value(topic, p, x.timestampMs) }));
    return { topic, type: 'subscribe', timestamp: Date.now(), payload: { symbol: `${asset.toLowerCase()}/usd`, data } };
  }

  private update(topic: Topic, asset: SimAsset, p: PriceProcess, nowMs: number) {
    const ts = p.latest().timestampMs;
    const value = this.value(topic, p, ts);
    const payload: Record<string, unknown> = { symbol: `${asset.toLowerCase()}/usd`, timestamp: ts, value, full_accuracy_value: e18(value) };
    if (topic === 'crypto_prices_twap_sixty') payload.window_s = 60;
    return { topic, type: 'update', timestamp: nowMs, payload };
  }
}

function symbolFilter(filters: string | Record<string, unknown> | undefined): string | null {
  let f: unknown = filters;
  if (typeof f === 'string') {
    if (f.trim() === '') return null;
    try {
      f = JSON.parse(f);
    } catch {
      return null;
    }
  }
  const parsed = z.object({ symbol: z.string() }).safeParse(f);
  return parsed.success ? parsed.data.symbol.toLowerCase() : null;
}
