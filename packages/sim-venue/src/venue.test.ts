import { OrderType, Side, type ClobClient } from '@polymarket/clob-client-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimVenue, type SimVenue } from './index.js';
import { liveMarket } from './testing/markets.js';
import { takerFee } from './exchange.js';
import { simUser } from './testing/officialClient.js';

let venue: SimVenue;
let client: ClobClient;

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 60, assets: ['BTC'], seed: 3, misprice: 0 });
  // A new account: a deposit wallet, signed for with type 3 (POLY_1271) by the official client.
  client = (await simUser(venue.url)).client;
});
afterAll(async () => venue?.close());

const get = async (path: string) => (await fetch(`${venue.url}${path}`)).json() as Promise<any>;

describe('Gamma', () => {
  it('names markets and series as Polymarket does, with JSON-encoded strings', async () => {
    const list = await get('/markets?limit=10');
    expect(list.length).toBeGreaterThanOrEqual(2);
    const m = list[0];
    expect(m.slug).toMatch(/^btc-updown-1m-\d+$/);
    expect(Number(m.slug.split('-').pop()) % 60).toBe(0);
    expect(JSON.parse(m.outcomes)).toEqual(['Up', 'Down']);
    expect(JSON.parse(m.clobTokenIds)).toHaveLength(2);
    expect(m.events[0].series[0].slug).toBe('btc-up-or-down-1m');
    expect(m.feeSchedule).toEqual({ exponent: 1, rate: 0.07, takerOnly: true, rebateRate: 0.2 });
    const ev = await get(`/events/slug/${m.slug}`);
    expect(ev.markets[0].conditionId).toBe(m.conditionId);
  });

  it('pages with keyset cursors and refuses offset there', async () => {
    const first = await get('/markets/keyset?limit=1');
    expect(first.markets).toHaveLength(1);
    expect(first.next_cursor).toBeTruthy();
    const second = await get(`/markets/keyset?limit=1&after_cursor=${first.next_cursor}`);
    expect(second.markets[0].id).not.toBe(first.markets[0].id);
    const bad = await fetch(`${venue.url}/markets/keyset?offset=1`);
    expect(bad.status).toBe(400);
  });
});

describe('CLOB', () => {
  it('serves books best-last, as the real CLOB', async () => {
    const m = await liveMarket(venue);
    const book = await get(`/book?token_id=${m.upToken}`);
    const bids = book.bids.map((l: { price: string }) => Number(l.price));
    const asks = book.asks.map((l: { price: string }) => Number(l.price));
    expect(bids).toEqual([...bids].sort((a, b) => a - b));
    expect(asks).toEqual([...asks].sort((a, b) => b - a));
    expect(bids[bids.length - 1]).toBeLessThan(asks[asks.length - 1]);
  });

  it('takes an order from the official client, fills it with the taker fee, and knows it by its hash', async () => {
    const m = await liveMarket(venue);
    // Limit 0.99: marketable whatever the quotes do during the taker delay (they move in a 60 s window).
    const signed = await client.createOrder({ tokenID: m.upToken, price: 0.99, size: 5, side: Side.BUY });
    const resp = await client.postOrder(signed, OrderType.GTC);
    expect(resp.success).toBe(true);
    expect(resp.status).toBe('delayed'); // marketable: it waits out the taker delay (§5.3 item 13)
    let trades: Array<{ size: string; taker_order_id: string }> = [];
    for (let i = 0; i < 30 && !trades.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      trades = (await client.getTrades({ market: m.conditionId })).filter((t: { taker_order_id: string }) => t.taker_order_id === resp.orderID);
    }
    expect(trades.reduce((x, t) => x + Number(t.size), 0)).toBe(5);
    // Filled: no longer active, so the lookup is empty (§5.4 item 14).
    expect(await client.getOrder(resp.orderID)).toBeFalsy();
    const sim = (await get('/sim/orders')).orders.find((o: { id: string }) => o.id === resp.orderID);
    expect(sim.fills[0].fee).toBe(takerFee(sim.fills[0].size, sim.fills[0].price, 0.07));
    // Re-posting the same signed order never creates a second one.
    await expect(client.postOrder(signed, OrderType.GTC)).rejects.toThrow(/DUPLICATED/);
    expect((await get('/sim/orders')).orders.filter((o: { id: string }) => o.id === resp.orderID)).toHaveLength(1);
  });

  it('rests a passive order, lists it, heartbeats and cancels it', async () => {
    const m = await liveMarket(venue);
    const signed = await client.createOrder({ tokenID: m.downToken, price: 0.02, size: 10, side: Side.BUY });
    const resp = await client.postOrder(signed, OrderType.GTC);
    expect(resp.status).toBe('live');
    const open = await client.getOpenOrders();
    expect(open.map((o: { id: string }) => o.id)).toContain(resp.orderID);
    await client.postHeartbeat('');
    const c = await client.cancelOrder({ orderID: resp.orderID });
    expect(c.canceled).toContain(resp.orderID);
  });

  it('refuses a tampered signature and a bad HMAC', async () => {
    const m = await liveMarket(venue);
    const signed = await client.createOrder({ tokenID: m.upToken, price: 0.03, size: 5, side: Side.BUY });
    const tampered = { ...signed, takerAmount: String(Number(signed.takerAmount) * 2) };
    await expect(client.postOrder(tampered, OrderType.GTC)).rejects.toThrow(/signature/);
    const res = await fetch(`${venue.url}/data/orders`, {
      headers: { POLY_API_KEY: 'nope', POLY_SIGNATURE: 'x', POLY_TIMESTAMP: '1', POLY_PASSPHRASE: 'p', POLY_ADDRESS: '0x0' },
    });
    expect(res.status).toBe(401);
  });

  it('injects faults only when switched on', async () => {
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ burst500: 2 }) });
    expect((await fetch(`${venue.url}/time`)).status).toBe(500);
    expect((await fetch(`${venue.url}/time`)).status).toBe(500);
    expect((await fetch(`${venue.url}/time`)).status).toBe(200);
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ rate429: 1, retryAfterSeconds: 2 }) });
    const r = await fetch(`${venue.url}/time`);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ rate429: 0 }) });
    const bad = await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ nonsense: 1 }) });
    expect(bad.status).toBe(400);
  });
});

describe('market channel', () => {
  it('sends book snapshots best-last and the trades of a subscribed token', async () => {
    const { WebSocket } = await import('ws');
    const m = await liveMarket(venue);
    const ws = new WebSocket(`${venue.url.replace('http', 'ws')}/ws/market`);
    const frames: any[] = [];
    ws.on('message', (d) => {
      const t = d.toString();
      if (t !== 'PONG') frames.push(...[JSON.parse(t)].flat());
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ assets_ids: [m.upToken], type: 'market' }));
    // Our own fill is a public trade too.
    // Limit 0.99: the FAK takes whatever the asks are once the taker delay is over (at the old best ask
    // it was killed unfilled when the maker requoted meanwhile, on a loaded machine).
    const signed = await client.createOrder({ tokenID: m.upToken, price: 0.99, size: 5, side: Side.BUY });
    await client.postOrder(signed, OrderType.FAK);
    const end = Date.now() + 8_000;
    while (Date.now() < end && !(frames.some((f) => f.event_type === 'book') && frames.some((f) => f.event_type === 'last_trade_price'))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    ws.close();
    const snap = frames.find((f) => f.event_type === 'book');
    expect(snap.asset_id).toBe(m.upToken);
    const asks = snap.asks.map((l: { price: string }) => Number(l.price));
    expect(asks).toEqual([...asks].sort((a, b) => b - a));
    const trade = frames.find((f) => f.event_type === 'last_trade_price');
    expect(trade.asset_id).toBe(m.upToken);
    expect(['BUY', 'SELL']).toContain(trade.side);
  });
});

describe('market maker fair value', () => {
  it('inside the TWAP window prices the average so far, without a level bias', () => {
    const s = venue.state.schedule;
    const m = [...s.markets.values()].find((x) => !x.closed)!;
    const p = (venue.state as any).schedule.prices.get('BTC');
    for (const frac of [0.3, 0.55, 0.8]) {
      const now = m.endMs - frac * 60_000; // inside the last 60 s, at a fractional second
      const avg = (() => {
        const n = Math.round(60 - frac * 60);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += p.at(now - i * 1_000);
        return sum / n;
      })();
      const effective = (avg * (60 - frac * 60) + frac * 60 * p.latest().value) / 60;
      const saved = m.priceToBeat;
      m.priceToBeat = effective; // at the money: the fair value must be near one half
      const fair = s.fairUp(m, now);
      m.priceToBeat = saved;
      expect(fair).toBeGreaterThan(0.4);
      expect(fair).toBeLessThan(0.6);
    }
  });
});

describe('resolution', () => {
  it('resolves Up on a tie and Down just below, by the settlement price', () => {
    const s = venue.state.schedule;
    const [a, b] = [...s.markets.values()].filter((x) => !x.closed);
    const end = Date.now() - 1_000;
    for (const m of [a!, b!]) m.endMs = end;
    const settle = Number(s.settlementPrice('BTC', end).toPrecision(10));
    a!.priceToBeat = settle; // a tie resolves Up
    b!.priceToBeat = settle * 1.000001; // the end price is just below: Down
    s.tick(Date.now());
    expect(a!.closed && b!.closed).toBe(true);
    expect(a!.finalPrice).toBe(settle);
    expect(a!.winner).toBe('Up');
    expect(b!.winner).toBe('Down');
  });
});
