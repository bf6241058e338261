/** Discovery against a fake Gamma: keyset pages followed to the end, other series and bad markets skipped. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDiscovery, priceToBeatFromHistory } from './discovery.js';
import { createHttpClient } from './http.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/polymarket');
const twap = JSON.parse(readFileSync(path.join(FIX, 'gamma/gamma_market_btc_updown_5m_twap_2026-08.json'), 'utf8'));
const logger = pino({ level: 'silent' });
const NOW = Date.parse('2026-08-22T16:02:00Z');

function variant(i: number, over: Record<string, unknown> = {}) {
  return {
    ...twap,
    id: String(1000 + i),
    conditionId: `0x${i.toString(16).padStart(64, '0')}`,
    events: [{ seriesSlug: 'btc-up-or-down-5m' }],
    ...over,
  };
}

const all = [
  variant(1),
  variant(2, { events: [{ seriesSlug: 'btc-up-or-down-15m' }] }), // another series
  variant(3, { clobTokenIds: 'garbage' }), // schema-violating
  variant(4),
  variant(5, { acceptingOrders: false }),
  variant(6),
  variant(7, { closed: true }),
];

let server: http.Server;
let base: string;
let pages = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/markets/keyset') {
      pages++;
      const start = Number(url.searchParams.get('after_cursor') ?? 0);
      const page = all.slice(start, start + 2);
      const next = start + 2 < all.length ? String(start + 2) : null;
      res.end(JSON.stringify({ markets: page, next_cursor: next }));
    } else res.writeHead(404).end('{"error":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('MarketDiscovery sweep', () => {
  it('follows every page and keeps only tradable markets of the asked series', async () => {
    const d = new MarketDiscovery(
      { assets: ['BTC'], intervalSeconds: 300, windowsAhead: 2 },
      { gamma: createHttpClient({ baseURL: base, logger }), hasBook: async () => true, ownPriceToBeat: async () => null, logger },
    );
    const found = await d.sweep(NOW);
    expect(pages).toBe(4);
    expect(found.map((m) => m.id).sort()).toEqual(['1001', '1004', '1006']);
    expect(d.rejected).toBe(1);
  });

  it('skips markets whose CLOB book does not exist yet', async () => {
    const d = new MarketDiscovery(
      { assets: ['BTC'], intervalSeconds: 300, windowsAhead: 2 },
      {
        gamma: createHttpClient({ baseURL: base, logger }),
        hasBook: async (ids) => !ids.includes(JSON.parse(twap.clobTokenIds)[0]),
        ownPriceToBeat: async () => null,
        logger,
      },
    );
    expect(await d.sweep(NOW)).toEqual([]);
  });
});

describe('price to beat from the settlement feed', () => {
  const start = 1_000_000;
  const ticks = Array.from({ length: 120 }, (_, i) => ({ timestampMs: start - 119_000 + i * 1_000, price: 100 + i }));
  it('is the TWAP of the lookback ending at the window start', () => {
    const expected = ticks.slice(-60).reduce((s, p) => s + p.price, 0) / 60;
    expect(priceToBeatFromHistory(ticks, start, { kind: 'twap', lookbackSeconds: 60 })).toBeCloseTo(expected, 9);
  });
  it('is the last price for point settlement, and unknown without a tick near the start', () => {
    expect(priceToBeatFromHistory(ticks, start, { kind: 'point' })).toBe(219);
    expect(priceToBeatFromHistory(ticks, start + 60_000, { kind: 'point' })).toBeNull();
    expect(priceToBeatFromHistory(ticks.slice(0, 10), start, { kind: 'twap', lookbackSeconds: 60 })).toBeNull();
  });
});

describe('fee schedule from the CLOB', () => {
  it('asks /clob-markets for the fee when Gamma has none, and skips the market when neither has it', async () => {
    const noFee = { ...variant(1), feeSchedule: undefined };
    let asked = 0;
    const mk = (fee: { rate: number; exponent: number; takerOnly: boolean } | null) =>
      new MarketDiscovery(
        { assets: ['BTC'], intervalSeconds: 300, windowsAhead: 2 },
        {
          gamma: { get: async () => ({ markets: [noFee], next_cursor: null }) as never, post: async () => ({}) as never },
          hasBook: async () => true,
          ownPriceToBeat: async () => null,
          clobFee: async () => (asked++, fee),
          logger,
        },
      );
    const found = await mk({ rate: 0.07, exponent: 1, takerOnly: true }).sweep(NOW);
    expect(found).toHaveLength(1);
    expect(found[0]!.feeSchedule).toEqual({ rate: 0.07, exponent: 1, takerOnly: true });
    expect(await mk(null).sweep(NOW)).toEqual([]);
    expect(asked).toBe(2);
  });
});
