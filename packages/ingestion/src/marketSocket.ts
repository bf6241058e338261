/**
 * The CLOB market channel: keeps books and the trade tape current. PING every 10 s, reconnect with
 * backoff, resubscribe everything on reconnect; while it is down, analysis falls back to REST books.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { parseMarketFrame, type MarketUpdate } from './polymarket/marketChannel.js';

export interface MarketSocketOptions {
  url: string;
  logger: Logger;
  onUpdate: (u: MarketUpdate) => void;
  pingMs?: number;
  /** Backoff base; reconnects wait base·2^n up to 30 s. */
  reconnectBaseMs?: number;
}

export class MarketSocket {
  private ws: WebSocket | null = null;
  private readonly assets = new Set<string>();
  private closed = false;
  private attempt = 0;
  private ping: NodeJS.Timeout | null = null;
  connects = 0;
  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  constructor(private readonly opts: MarketSocketOptions) {}

  start(): this {
    this.connect();
    return this;
  }

  subscribe(tokenIds: string[]): void {
    const fresh = tokenIds.filter((t) => !this.assets.has(t));
    for (const t of fresh) this.assets.add(t);
    if (fresh.length && this.connected) this.ws!.send(JSON.stringify({ assets_ids: fresh, operation: 'subscribe' }));
  }

  /** Stops the updates of tokens whose market is over (docs/polymarket-venue.md §5 item 24: `operation: "unsubscribe"`). */
  unsubscribe(tokenIds: string[]): void {
    const gone = tokenIds.filter((t) => this.assets.delete(t));
    if (gone.length && this.connected) this.ws!.send(JSON.stringify({ assets_ids: gone, operation: 'unsubscribe' }));
  }

  /** How many tokens the channel follows (what a reconnect resubscribes). */
  get subscribed(): number {
    return this.assets.size;
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.opts.url);
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.connects += 1;
      ws.send(JSON.stringify({ assets_ids: [...this.assets], type: 'market', custom_feature_enabled: true }));
      this.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('PING'), this.opts.pingMs ?? 10_000);
      this.opts.logger.info({ url: this.opts.url, assets: this.assets.size }, 'market socket connected');
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === 'PONG') return;
      for (const u of parseMarketFrame(text)) this.opts.onUpdate(u);
    });
    ws.on('close', () => {
      if (this.ping) clearInterval(this.ping);
      if (this.closed) return;
      this.attempt += 1;
      const delay = Math.min(30_000, (this.opts.reconnectBaseMs ?? 500) * 2 ** (this.attempt - 1));
      this.opts.logger.warn({ delayMs: delay }, 'market socket dropped; reconnecting');
      setTimeout(() => this.connect(), delay).unref();
    });
    ws.on('error', (err) => this.opts.logger.warn({ err: err.message }, 'market socket error'));
  }

  close(): void {
    this.closed = true;
    if (this.ping) clearInterval(this.ping);
    this.ws?.close();
  }
}
