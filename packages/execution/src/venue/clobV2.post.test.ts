/**
 * A post returns on the venue's answer. clob-client-v2 1.1.0 would, after a match whose answer has
 * no transaction hashes (allowed: docs/polymarket-venue.md §5.3 item 11), poll the trades until they
 * are mined, up to 30 s. A proxy in front of the sim venue strips the hashes from the answer; the
 * sim's trades stay unmined for a second, so a port that waited would take at least that long.
 */
import http from 'node:http';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { openSimMarkets } from '../testing/simMarkets.js';
import { createClobV2Port } from './clobV2.js';
import { simWallet } from './wallet.js';

let venue: SimVenue;
let proxy: http.Server;
let proxyUrl = '';
let tradeReads = 0;

beforeAll(async () => {
  // No taker delay here, so the post answers `matched` with trade ids (the case where the client would poll).
  venue = await startSimVenue({ port: 0, windowSeconds: 300, assets: ['BTC'], seed: 5, misprice: 0, takerDelayMs: 0 });
  const target = new URL(venue.url);
  proxy = http.createServer((req, res) => {
    if ((req.url ?? '').startsWith('/data/trades')) tradeReads++;
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.method === 'POST' && req.url === '/order' && r.statusCode === 200) {
          const json = JSON.parse(body.toString()) as Record<string, unknown>;
          body = Buffer.from(JSON.stringify({ ...json, transactionsHashes: [] }));
        }
        const headers = { ...r.headers, 'content-length': String(body.length) };
        res.writeHead(r.statusCode ?? 502, headers);
        res.end(body);
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => proxy?.close(() => r()));
  await venue?.close();
});

describe('posting through the official client', () => {
  it('returns on the venue answer to a match, without waiting for transaction hashes', async () => {
    const key = generatePrivateKey();
    const port = await createClobV2Port({ host: proxyUrl, privateKey: key, timeoutMs: 5_000, ...(await simWallet(venue.url, key)) });
    const m = openSimMarkets(venue, 60_000)[0]!;
    const ask = venue.state.exchange.books.get(m.upToken)!.asks[0]!.price;
    const r: OrderRequest = {
      id: 'x',
      signalId: 'x',
      createdAtMs: Date.now(),
      conditionId: m.conditionId as `0x${string}`,
      asset: 'BTC',
      outcome: 'UP',
      tokenId: m.upToken,
      side: 'BUY',
      orderType: 'FAK',
      postOnly: false,
      price: ask,
      size: Math.max(5, Math.ceil(1.5 / ask)),
      windowEndMs: m.endMs,
      tickSize: 0.01,
      minOrderSize: 5,
      negRisk: false,
      feeRate: 0.07,
      sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
    };
    const { signed } = await port.sign(r);
    const t0 = performance.now();
    const out = await port.post(signed, 'FAK');
    const ms = performance.now() - t0;
    expect(out).toMatchObject({ kind: 'accepted', status: 'matched' });
    expect(tradeReads).toBe(0);
    expect(ms).toBeLessThan(800); // the sim's trades stay unmined (no hash) for 1 s
  });
});
