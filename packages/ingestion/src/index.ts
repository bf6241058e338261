export { createBookClient, type BookClient } from './bookClient.js';
export { createOracleStore, type OracleStore } from './oracleStore.js';
export { createTradeTape, type TradeTape, type TapeTrade } from './tradeTape.js';
export { MarketDiscovery, priceToBeatFromHistory } from './discovery.js';
export { normaliseGammaMarket, parseUpDownSlug, windowSlugs, GammaMarketSchema } from './polymarket/gamma.js';
export { normaliseBook, ClobBookSchema } from './polymarket/books.js';
export { createHttpClient, parseRetryAfter, retryDelayMs, type HttpClient } from './http.js';
export { parseRtdsChainlink } from './oracleFeed.js';
export { createBookCache, LiveBooks, type BookCache } from './bookCache.js';
