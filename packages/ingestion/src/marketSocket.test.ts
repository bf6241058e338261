/** The market channel: recorded messages parse; a socket that drops is reconnected and resubscribed. */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { MarketSocket } from './marketSocket.js';
import { parseMarketFrame, type MarketUpdate } from './polymarket/marketChannel.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/polymarket/ws-market');
const fixture = (f: string) => readFileSync(path.join(FIX, f), 'utf8');

describe('market channel messages', () => {
  it('parses the recorded book, price change, trade, tick size and resolution', () => {
    const [book] = parseMarketFrame(fixture('ws_book_2024.json'));
    expect(book).toMatchObject({
      kind: 'book',
      tokenId: '48331043336612883890938759509493159234755048973500640148014422747788308965732',
      timestampMs: 1728799418260,
    });
    expect(parseMarketFrame(fixture('ws_price_change_2024.json'))).toHaveLength(3);
    expect(parseMarketFrame(fixture('ws_last_trade_price_2024.json'))).toEqual([
      {
        kind: 'trade',
        tokenId: '21742633143463906290569050155826241533067272736897614950488156847949938836455',
        conditionId: '0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917',
        price: 0.491,
        size: 85.36,
        side: 'SELL',
        timestampMs: 1724564136087,
      },
    ]);
    expect(parseMarketFrame(fixture('ws_tick_size_change_2025.json'))[0]).toMatchObject({ kind: 'tick_size', tickSize: 0.001 });
    expect(parseMarketFrame(fixture('ws_market_resolved.json'))[0]).toMatchObject({ kind: 'resolved' });
  });

  it('ignores malformed and schema-violating frames', () => {
    expect(parseMarketFrame('{oops')).toEqual([]);
    expect(parseMarketFrame(JSON.stringify({ event_type: 'last_trade_price', price: 'x' }))).toEqual([]);
    expect(parseMarketFrame(JSON.stringify({ event_type: 'something_new' }))).toEqual([]);
  });
});

describe('MarketSocket', () => {
  let wss: WebSocketServer;
  let url: string;
  const subscriptions: unknown[] = [];
  let pings = 0;
  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    let connection = 0;
    wss.on('connection', (ws: WebSocket) => {
      connection++;
      const mine = connection;
      ws.on('message', (d) => {
        const text = d.toString();
        if (text === 'PING') return void pings++;
        subscriptions.push(JSON.parse(text));
        ws.send(fixture('ws_last_trade_price_2024.json'));
        // The first connection drops right after its first message.
        if (mine === 1) setTimeout(() => ws.terminate(), 20);
      });
    });
  });
  afterAll(() => new Promise<void>((r) => wss.close(() => r())));

  it('reconnects after a drop and resubscribes every token', async () => {
    const updates: MarketUpdate[] = [];
    const s = new MarketSocket({ url, logger: pino({ level: 'silent' }), onUpdate: (u) => updates.push(u), reconnectBaseMs: 50, pingMs: 30 });
    s.subscribe(['111', '222']);
    s.start();
    const end = Date.now() + 5_000;
    while ((s.connects < 2 || updates.length < 2 || pings < 1) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    s.close();
    expect(s.connects).toBeGreaterThanOrEqual(2);
    expect(updates.filter((u) => u.kind === 'trade').length).toBeGreaterThanOrEqual(2);
    expect(subscriptions[0]).toEqual({ assets_ids: ['111', '222'], type: 'market', custom_feature_enabled: true });
    expect(subscriptions[1]).toEqual(subscriptions[0]);
    expect(pings).toBeGreaterThanOrEqual(1);
  });

  it('lets go of ended tokens: unsubscribes them, and a reconnect no longer asks for them', async () => {
    subscriptions.length = 0;
    const s = new MarketSocket({ url, logger: pino({ level: 'silent' }), onUpdate: () => undefined, reconnectBaseMs: 50, pingMs: 1_000 });
    s.subscribe(['333', '444']);
    s.start();
    const wait = async (ok: () => boolean) => {
      const end = Date.now() + 5_000;
      while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    };
    await wait(() => s.connected && subscriptions.length >= 1);
    s.unsubscribe(['333', '999']);
    expect(s.subscribed).toBe(1);
    await wait(() => subscriptions.length >= 2);
    // The first connection of this server already dropped (previous test), so this one stays up.
    expect(subscriptions[1]).toEqual({ assets_ids: ['333'], operation: 'unsubscribe' });
    s.close();
  });
});
