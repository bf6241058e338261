import type { Logger } from 'pino';
import { z } from 'zod';
import type { Asset, OraclePrice } from '@polybot/shared';
import type { HttpClient } from './http.js';

/** The sim venue's stand-in for Chainlink: `GET /oracle/{asset}`. */
export const SimOracleSchema = z.object({
  symbol: z.string(),
  value: z.number().positive().finite(),
  timestamp: z.number().int().positive(),
  twap: z.object({ value: z.number().positive(), timestamp: z.number().int(), window_s: z.number().int() }).optional(),
});

export async function pollSimOracle(http: HttpClient, asset: Asset): Promise<OraclePrice> {
  const r = await http.get(`/oracle/${asset.toLowerCase()}`, SimOracleSchema);
  return { asset, price: r.value, timestampMs: r.timestamp, source: 'sim' };
}

/** RTDS messages (`crypto_prices_chainlink`): `{topic, type, timestamp, payload: {symbol, timestamp, value}}`. */
export const RtdsUpdateSchema = z
  .object({
    topic: z.string(),
    type: z.string(),
    payload: z.object({ symbol: z.string(), timestamp: z.number().int().positive(), value: z.number().positive().finite() }).passthrough(),
  })
  .passthrough();

const SYMBOLS: Record<string, Asset> = { 'btc/usd': 'BTC', 'eth/usd': 'ETH', 'sol/usd': 'SOL', 'xrp/usd': 'XRP' };

/** A Chainlink price (or its 60-second TWAP, source `chainlink-twap`) from an RTDS message; null for anything else. */
export function parseRtdsChainlink(raw: string, logger?: Logger): OraclePrice | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = RtdsUpdateSchema.safeParse(json);
  const topic = parsed.success ? parsed.data.topic : '';
  if (!parsed.success || (topic !== 'crypto_prices_chainlink' && topic !== 'crypto_prices_twap_sixty')) return null;
  const asset = SYMBOLS[parsed.data.payload.symbol.toLowerCase()];
  if (!asset) {
    logger?.debug({ symbol: parsed.data.payload.symbol }, 'rtds symbol ignored');
    return null;
  }
  return {
    asset,
    price: parsed.data.payload.value,
    timestampMs: parsed.data.payload.timestamp,
    source: topic === 'crypto_prices_twap_sixty' ? 'chainlink-twap' : 'chainlink',
  };
}

/** A major spot exchange's ticker (Binance `GET /api/v3/ticker/price`), labelled as a fallback. */
const ExchangeTickerSchema = z.object({
  symbol: z.string(),
  price: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
});

export async function pollExchangePrice(http: HttpClient, asset: Asset, nowMs: number): Promise<OraclePrice> {
  const r = await http.get('/api/v3/ticker/price', ExchangeTickerSchema, { symbol: `${asset}USDT` });
  if (!(r.price > 0)) throw new Error(`exchange price for ${asset} is not positive`);
  return { asset, price: r.price, timestampMs: nowMs, source: 'exchange-fallback' };
}

/** Relative gap between the settlement feed and the exchange; logged as a cross-check. */
export function divergence(settlement: number, exchange: number): number {
  return Math.abs(exchange / settlement - 1);
}
