// The pure core of ingestion: venue payloads → domain facts, discovery and oracle logic over an
// injected HTTP client. Adapters live behind subpaths: `@polybot/ingestion/stores` (Redis) and
// `@polybot/ingestion/http` (the HTTP layer and the CLOB book client).
export { MarketDiscovery, priceToBeatFromHistory } from './discovery.js';
export { normaliseGammaMarket, parseUpDownSlug, windowSlugs, GammaMarketSchema } from './polymarket/gamma.js';
export { normaliseBook, ClobBookSchema } from './polymarket/books.js';
export { parseRtdsChainlink } from './oracleFeed.js';
