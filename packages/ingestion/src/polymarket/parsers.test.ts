/** Recorded real payloads (fixtures/polymarket) → domain facts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bookProblems } from '@polybot/shared';
import { parseRtdsChainlink } from '../oracleFeed.js';
import { ClobBookSchema, normaliseBook } from './books.js';
import { normaliseGammaMarket, parseUpDownSlug, windowSlugs } from './gamma.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/polymarket');
const load = (p: string): any => JSON.parse(readFileSync(path.join(FIX, p), 'utf8'));
const cryptoFee = { rate: 0.07, exponent: 1, takerOnly: true };

describe('Gamma markets', () => {
  it('normalises the TWAP-settled 5m BTC market', () => {
    const r = normaliseGammaMarket(load('gamma/gamma_market_btc_updown_5m_twap_2026-08.json'), { intervalSeconds: 300 });
    if (!r.ok) throw new Error(r.reason);
    const m = r.market;
    expect(m.id).toBe('3763487');
    expect(m.conditionId).toBe('0x2eea28aa905ace2f5cace17ea2b9e0e7b85a27f32ee14ed292f02fa104956bc4');
    expect(m.asset).toBe('BTC');
    expect(m.upTokenId).toBe('113013382422133157315656090194075928009220145127085300671933810669470922115281');
    expect(m.downTokenId).toBe('38034349155375505476764349018583065542443879908961992019053731521216367745079');
    expect(m.windowStartMs).toBe(Date.parse('2026-08-22T16:00:00Z'));
    expect(m.windowEndMs).toBe(Date.parse('2026-08-22T16:05:00Z'));
    expect(m.windowStartMs / 1000).toBe(1787414400);
    expect(m.tickSize).toBe(0.01);
    expect(m.minOrderSize).toBe(5);
    expect(m.feeSchedule).toEqual(cryptoFee);
    expect(m.settlement).toEqual({ kind: 'twap', lookbackSeconds: 60 });
    expect(m.acceptingOrders).toBe(true);
  });

  it('takes the fee from the CLOB when Gamma has none, and never guesses it', () => {
    const raw = load('gamma/gamma_market_btc_updown_5m_2026-03.json');
    const without = normaliseGammaMarket(raw, { intervalSeconds: 300 });
    expect(without.ok).toBe(false);
    if (!without.ok) expect(without.reason).toMatch(/fee schedule/);
    const r = normaliseGammaMarket(raw, { intervalSeconds: 300, clobFee: cryptoFee });
    if (!r.ok) throw new Error(r.reason);
    expect(r.market.slug).toBe('btc-updown-5m-1773307200');
    expect(r.market.settlement).toEqual({ kind: 'point' });
    expect(r.market.windowStartMs).toBe(Date.parse('2026-03-12T09:20:00Z'));
  });

  it('never passes a 5-minute market for a 15-minute one', () => {
    const r = normaliseGammaMarket(load('gamma/gamma_market_btc_updown_5m_twap_2026-08.json'), { intervalSeconds: 900 });
    expect(r.ok).toBe(false);
  });

  it('maps tokens by outcome label, not by position', () => {
    const raw = load('gamma/gamma_market_btc_updown_5m_twap_2026-08.json');
    const ids = JSON.parse(raw.clobTokenIds) as string[];
    const swapped = { ...raw, outcomes: JSON.stringify(['Down', 'Up']) };
    const r = normaliseGammaMarket(swapped, { intervalSeconds: 300 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.market.upTokenId).toBe(ids[1]);
    expect(r.market.downTokenId).toBe(ids[0]);
  });

  it('skips schema-violating payloads with a reason and the market id', () => {
    const raw = load('gamma/gamma_market_btc_updown_5m_twap_2026-08.json');
    for (const bad of [
      { ...raw, clobTokenIds: '[not json' },
      { ...raw, endDate: 'soon' },
      { ...raw, outcomes: JSON.stringify(['Yes', 'No']) },
      { ...raw, conditionId: 'nope' },
    ]) {
      const r = normaliseGammaMarket(bad, { intervalSeconds: 300 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.id).toBe('3763487');
    }
  });

  it('prefers Gamma’s published price to beat over our own', () => {
    const raw = load('gamma/gamma_market_btc_updown_5m_twap_2026-08.json');
    const withPtb = { ...raw, events: [{ slug: raw.slug, eventMetadata: { priceToBeat: 64000.5 } }] };
    const r = normaliseGammaMarket(withPtb, { intervalSeconds: 300, priceToBeat: 63999 });
    expect(r.ok && r.market.priceToBeat).toBe(64000.5);
  });

  it('computes the window slugs Polymarket uses', () => {
    const now = Date.parse('2026-08-22T16:07:30Z');
    expect(windowSlugs('BTC', 900, now)).toEqual(['btc-updown-15m-1787414400', 'btc-updown-15m-1787415300']);
    expect(parseUpDownSlug('eth-updown-15m-1787414400')).toEqual({ asset: 'ETH', intervalMinutes: 15, startS: 1787414400 });
    expect(parseUpDownSlug('bitcoin-up-or-down-august-22-12pm-et')).toBeNull();
  });
});

describe('CLOB book', () => {
  it('normalises the recorded book best first (it arrives best last)', () => {
    const raw = ClobBookSchema.parse(load('clob/clob_book_2024.json'));
    const b = normaliseBook(raw);
    expect(b.tokenId).toBe('23360939988679364027624185518382759743328544433592111535569478055890815567848');
    expect(b.bids.map((l) => l.price)).toEqual([...b.bids.map((l) => l.price)].sort((x, y) => y - x));
    expect(b.asks.map((l) => l.price)).toEqual([...b.asks.map((l) => l.price)].sort((x, y) => x - y));
    expect(b.bids[0]!.price).toBe(Math.max(...raw.bids.map((l) => l.price)));
    expect(b.asks[0]!.price).toBe(Math.min(...raw.asks.map((l) => l.price)));
    expect(b.timestampMs).toBe(1728799418260);
    expect(bookProblems(b)).toEqual([]);
  });

  it('flags a crossed book', () => {
    const raw = ClobBookSchema.parse({ ...load('clob/clob_book_2024.json'), bids: [{ price: '0.6', size: '10' }], asks: [{ price: '0.55', size: '10' }] });
    expect(bookProblems(normaliseBook(raw))).toContain('crossed');
  });
});

describe('RTDS', () => {
  it('reads Chainlink prices and ignores the exchange topic', () => {
    const binance = load('rtds/rtds_crypto_prices_update.json');
    expect(parseRtdsChainlink(JSON.stringify(binance))).toBeNull();
    const chainlink = { ...binance, topic: 'crypto_prices_chainlink', payload: { ...binance.payload, symbol: 'btc/usd' } };
    expect(parseRtdsChainlink(JSON.stringify(chainlink))).toEqual({ asset: 'BTC', price: 61035.86, timestampMs: 1780730269000, source: 'chainlink' });
    expect(parseRtdsChainlink('not json')).toBeNull();
    expect(parseRtdsChainlink(JSON.stringify({ ...chainlink, payload: { ...chainlink.payload, value: -1 } }))).toBeNull();
  });
});

describe('RTDS TWAP', () => {
  it('reads the 60-second Chainlink TWAP as its own source', () => {
    expect(parseRtdsChainlink(JSON.stringify(load('rtds/rtds_crypto_twap_sixty_update.json')))).toEqual({
      asset: 'BTC',
      price: 64997.81,
      timestampMs: 1786179814000,
      source: 'chainlink-twap',
    });
  });
});
