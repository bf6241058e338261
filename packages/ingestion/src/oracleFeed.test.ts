import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from './http.js';
import { divergence, pollExchangePrice, pollSimOracle } from './oracleFeed.js';

let server: http.Server;
let base: string;
let reply = '';
beforeAll(async () => {
  server = http.createServer((_req, res) => res.end(reply));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
const client = () => createHttpClient({ baseURL: base, logger: pino({ level: 'silent' }), maxAttempts: 1 });

describe('oracle feeds', () => {
  it('labels an exchange price as a fallback, never as Chainlink', async () => {
    reply = JSON.stringify({ symbol: 'BTCUSDT', price: '97000.12000000' });
    expect(await pollExchangePrice(client(), 'BTC', 5)).toEqual({ asset: 'BTC', price: 97000.12, timestampMs: 5, source: 'exchange-fallback' });
    expect(divergence(100, 100.6)).toBeCloseTo(0.006, 10);
  });

  it('refuses an unparseable or out-of-range price', async () => {
    reply = JSON.stringify({ symbol: 'BTCUSDT', price: '-1' });
    await expect(pollExchangePrice(client(), 'BTC', 5)).rejects.toThrow();
    reply = JSON.stringify({ symbol: 'btc/usd', value: 0, timestamp: 1 });
    await expect(pollSimOracle(client(), 'BTC')).rejects.toThrow();
    reply = '{"symbol": "btc/usd", "value": 97000';
    await expect(pollSimOracle(client(), 'BTC')).rejects.toThrow();
  });
});
