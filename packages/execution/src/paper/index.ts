/**
 * `@polybot/execution/paper`: the paper venue (real market data over the official client,
 * simulated fills). The fill simulator itself is pure and exported from the package root.
 */
export { createPaperVenue, type MarketData, type PaperOptions } from './paperVenue.js';
export { clobMarketData, parseBook, parseWinner } from './clobMarketData.js';
