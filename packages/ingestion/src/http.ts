/**
 * `@polybot/ingestion/http`. The HTTP layer lives in `@polybot/shared/http` (one layer for every
 * Polymarket call, used by every package); re-exported here so ingestion modules keep one local
 * import, with the CLOB book client built on it.
 */
export {
  createHttpClient,
  parseRetryAfter,
  retryDelayMs,
  matchRule,
  POLYMARKET_RATE_RULES,
  type HttpClient,
  type HttpOptions,
  type RateRule,
} from '@polybot/shared/http';
export { createBookClient, type BookClient } from './bookClient.js';
