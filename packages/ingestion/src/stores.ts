/**
 * `@polybot/ingestion/stores`: the Redis-backed stores ingestion writes and analysis reads (books,
 * oracle prices, the trade tape). Adapters: they hold a Redis connection, so they stay out of the
 * package's pure root.
 */
export { createBookCache, LiveBooks, DEFAULT_BOOK_CACHE, type BookCache } from './bookCache.js';
export { createOracleStore, type OracleStore } from './oracleStore.js';
export { createTradeTape, type TradeTape, type TapeTrade } from './tradeTape.js';
