import { OrderType, Side, type ClobClient } from '@polymarket/clob-client-v2';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimVenue, type SimVenue } from './index.js';
import { liveMarket } from './testing/markets.js';
import { simUser } from './testing/officialClient.js';

// A second venue with a short heartbeat timeout, so expiry is observable within the suite's budget.
let venue: SimVenue;
let client: ClobClient;

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 60, assets: ['BTC', 'ETH'], seed: 11, misprice: 0, heartbeatTimeoutMs: 1_500 });
  client = (await simUser(venue.url)).client;
});
afterAll(async () => venue?.close());

const get = async (path: string) => (await fetch(`${venue.url}${path}`)).json() as Promise<any>;
const setFaults = (f: Record<string, unknown>) => fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify(f) });
const simOrder = async (id: string) => ((await get('/sim/orders')).orders as { id: string; status: string }[]).filter((o) => o.id === id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The outcome the maker values more: a bid at 0.01 there is far from every ask, so it rests. */
async function richToken(): Promise<string> {
  const m = await liveMarket(venue, { asset: 'BTC' });
  const best = async (t: string) => {
    const b = await get(`/book?token_id=${t}`);
    return b.bids.length ? Number(b.bids[b.bids.length - 1].price) : 0;
  };
  return (await best(m.upToken)) >= (await best(m.downToken)) ? m.upToken : m.downToken;
}

/** A resting bid at 0.01, told apart from the others by its size. */
async function restingOrder(size: number) {
  const signed = await client.createOrder({ tokenID: await richToken(), price: 0.01, size, side: Side.BUY });
  return { signed, resp: await client.postOrder(signed, OrderType.GTC) };
}

describe('fault switches', () => {
  it('drops the answer after accepting an order: the order exists once, a re-post is a duplicate', async () => {
    await setFaults({ dropAfterAccept: 1 });
    const signed = await client.createOrder({ tokenID: await richToken(), price: 0.01, size: 6, side: Side.BUY });
    await expect(client.postOrder(signed, OrderType.GTC)).rejects.toThrow();
    const mine = ((await get('/sim/orders')).orders as { id: string; originalSize: number; status: string }[]).filter(
      (o) => o.originalSize === 6 && o.status === 'LIVE',
    );
    expect(mine).toHaveLength(1);
    // The client retries the same signed order: no second order.
    await expect(client.postOrder(signed, OrderType.GTC)).rejects.toThrow(/DUPLICATED/);
    expect(await simOrder(mine[0]!.id)).toHaveLength(1);
    expect((await client.getOrder(mine[0]!.id)).id).toBe(mine[0]!.id);
    await client.cancelOrder({ orderID: mine[0]!.id });
  });

  it('a missed heartbeat cancels every order of that owner', async () => {
    const { resp } = await restingOrder(7);
    expect(resp.status).toBe('live');
    await setFaults({ missHeartbeats: true });
    await expect(client.postHeartbeat('')).rejects.toThrow();
    await setFaults({ missHeartbeats: false });
    expect((await simOrder(resp.orderID))[0]!.status).toMatch(/^CANCELED/);
  });

  it('after a first heartbeat, silence past the timeout cancels all that owner’s orders', async () => {
    const { resp } = await restingOrder(8);
    await client.postHeartbeat('');
    expect((await simOrder(resp.orderID))[0]!.status).toBe('LIVE');
    await sleep(3_200);
    expect((await simOrder(resp.orderID))[0]!.status).toMatch(/^CANCELED/);
  });

  it('serves malformed Gamma JSON and schema-violating books when asked, then recovers', async () => {
    await setFaults({ malformedGamma: 1, malformedBooks: 1 });
    const g = await fetch(`${venue.url}/markets?limit=1`);
    await expect(g.json()).rejects.toThrow();
    const token = (await liveMarket(venue, { asset: 'BTC' })).upToken;
    const bad = await get(`/book?token_id=${token}`);
    const ok = (b: any) =>
      Array.isArray(b?.bids) && Array.isArray(b?.asks) && b.bids.every((l: any) => typeof l.price === 'string' && typeof l.size === 'string');
    expect(ok(bad)).toBe(false);
    expect(ok(await get(`/book?token_id=${token}`))).toBe(true);
    expect(Array.isArray(await get('/markets?limit=1'))).toBe(true);
  });

  it('adds latency when asked', async () => {
    await setFaults({ delayMs: 400 });
    const t0 = performance.now();
    await fetch(`${venue.url}/time`);
    const slow = performance.now() - t0;
    await setFaults({ delayMs: 0 });
    expect(slow).toBeGreaterThanOrEqual(380);
  });

  it('fails trades on chain when asked: FAILED instead of CONFIRMED', async () => {
    await setFaults({ failTrades: 1 });
    const m = await liveMarket(venue, { asset: 'BTC' });
    const book = await get(`/book?token_id=${m.upToken}`);
    // Limit 0.99: it takes whatever the asks are when the taker delay ends (§5.3 item 13). Ten cents
    // through the ask was not enough: in a 60 s window's last half the maker's quotes move that much
    // within the delay on a loaded machine (ask 0.29 when read, the FAK at 0.39 killed unfilled).
    const signed = await client.createOrder({ tokenID: m.upToken, price: 0.99, size: 5, side: Side.BUY });
    const resp = await client.postOrder(signed, OrderType.FAK);
    expect(['delayed', 'live']).toContain(resp.status); // the taker delay (§5.3 item 13)
    const end = Date.now() + 6_000;
    let status = '';
    let seen: unknown = null;
    while (Date.now() < end) {
      const [o] = (await get('/sim/orders')).orders.filter((x: { id: string }) => x.id === resp.orderID);
      seen = o;
      status = o.fills[0]?.status ?? '';
      if (status === 'FAILED' || status === 'CONFIRMED') break;
      await sleep(200);
    }
    await setFaults({ failTrades: 0 });
    expect(status, `order at the venue: ${JSON.stringify(seen)}; book then: ${JSON.stringify(book)}; now ${Date.now()}`).toBe('FAILED');
  });
});

describe('FOK', () => {
  it('kills a fill-or-kill order the book cannot fill in full', async () => {
    const m = await liveMarket(venue, { asset: 'BTC' });
    const book = await get(`/book?token_id=${m.upToken}`);
    const depth = book.asks.reduce((s: number, l: { size: string }) => s + Number(l.size), 0);
    const ask = Number(book.asks[book.asks.length - 1].price);
    // Marketable only at the best level, and larger than the whole book.
    const signed = await client.createOrder({ tokenID: m.upToken, price: ask, size: Math.ceil(depth + 100), side: Side.BUY });
    const size = Math.ceil(depth + 100);
    // §5.3 item 12: answered 200 success:false with the venue's text.
    const resp = await client.postOrder(signed, OrderType.FOK);
    expect(resp.success).toBe(false);
    expect(resp.errorMsg).toBe("order couldn't be fully filled. FOK orders are fully filled or killed.");
    const [o] = (await get('/sim/orders')).orders.filter((x: { originalSize: number; orderType: string }) => x.originalSize === size && x.orderType === 'FOK');
    expect(o.sizeMatched).toBe(0);
    expect(o.fills).toHaveLength(0);
    expect(o.status).toMatch(/^CANCELED/);
  });
});

describe('RTDS', () => {
  it('dumps then updates the Chainlink price and its 60 s TWAP for a filtered symbol', async () => {
    const ws = new WebSocket(`${venue.url.replace('http', 'ws')}/rtds`);
    const frames: any[] = [];
    ws.on('message', (d) => {
      const t = d.toString();
      if (t !== 'PONG') frames.push(JSON.parse(t));
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(
      JSON.stringify({
        action: 'subscribe',
        subscriptions: ['crypto_prices_chainlink', 'crypto_prices_twap_sixty'].map((topic) => ({
          topic,
          type: '*',
          filters: JSON.stringify({ symbol: 'eth/usd' }),
        })),
      }),
    );
    const end = Date.now() + 4_000;
    while (Date.now() < end && frames.filter((f) => f.type === 'update').length < 2) await sleep(100);
    ws.close();
    const dump = frames.find((f) => f.type === 'subscribe' && f.topic === 'crypto_prices_chainlink');
    expect(dump.payload.symbol).toBe('eth/usd');
    expect(dump.payload.data.length).toBeGreaterThan(0);
    const twap = frames.find((f) => f.type === 'update' && f.topic === 'crypto_prices_twap_sixty');
    expect(twap.payload.symbol).toBe('eth/usd');
    expect(twap.payload.window_s).toBe(60);
    expect(Number(BigInt(twap.payload.full_accuracy_value) / 10n ** 10n) / 1e8).toBeCloseTo(twap.payload.value, 6);
    const oracle = await get('/oracle/eth');
    const spot = frames.filter((f) => f.type === 'update' && f.topic === 'crypto_prices_chainlink').pop();
    // The REST oracle and the socket speak of the same process.
    const hist = (await get(`/oracle/eth/history?from=${spot.payload.timestamp}&to=${spot.payload.timestamp}`)).points;
    expect(hist[0].value).toBe(spot.payload.value);
    expect(oracle.symbol).toBe('eth/usd');
    expect(frames.every((f) => f.payload.symbol === 'eth/usd')).toBe(true);
  });
});
