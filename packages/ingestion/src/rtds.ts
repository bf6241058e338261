import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { Asset, OraclePrice } from '@polybot/shared';
import { parseRtdsChainlink } from './oracleFeed.js';

/**
 * Chainlink prices as Polymarket publishes them on its real-time data socket: subscribe to
 * `crypto_prices_chainlink`, PING every 5 s, reconnect with backoff and resubscribe.
 */
export function startRtdsFeed(opts: { url: string; assets: Asset[]; logger: Logger; onPrice: (p: OraclePrice) => Promise<void> }) {
  let ws: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  let ping: NodeJS.Timeout | null = null;
  const connect = () => {
    if (closed) return;
    ws = new WebSocket(opts.url);
    ws.on('open', () => {
      attempt = 0;
      ws?.send(
        JSON.stringify({
          action: 'subscribe',
          subscriptions: opts.assets.flatMap((a) =>
            ['crypto_prices_chainlink', 'crypto_prices_twap_sixty'].map((topic) => ({
              topic,
              type: '*',
              filters: JSON.stringify({ symbol: `${a.toLowerCase()}/usd` }),
            })),
          ),
        }),
      );
      ping = setInterval(() => ws?.readyState === WebSocket.OPEN && ws.send('PING'), 5_000);
      opts.logger.info({ url: opts.url }, 'rtds connected');
    });
    ws.on('message', (data) => {
      const p = parseRtdsChainlink(data.toString(), opts.logger);
      if (p) void opts.onPrice(p).catch((err: unknown) => opts.logger.warn({ err: (err as Error).message }, 'oracle store failed'));
    });
    ws.on('close', () => {
      if (ping) clearInterval(ping);
      if (closed) return;
      attempt += 1;
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      opts.logger.warn({ delayMs: delay }, 'rtds disconnected; reconnecting');
      setTimeout(connect, delay).unref();
    });
    ws.on('error', (err) => opts.logger.warn({ err: err.message }, 'rtds error'));
  };
  connect();
  return {
    close() {
      closed = true;
      if (ping) clearInterval(ping);
      ws?.close();
    },
  };
}
