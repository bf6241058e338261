// Core-safe surface: domain schemas, money arithmetic, errors and key names.
// Nothing here imports Redis, BullMQ or HTTP code; those live behind subpath imports
// (`@polybot/shared/queues`, `/redis`, `/logger`, `/config`, `/http`).
export * from './domain/primitives.js';
export * from './domain/market.js';
export * from './domain/orderBook.js';
export * from './domain/oracle.js';
export * from './domain/signal.js';
export * from './domain/order.js';
export * from './domain/executionEvent.js';
export * from './domain/pair.js';
export * from './domain/tripKind.js';
export * from './domain/account.js';
export * from './money.js';
export * from './errors.js';
export * from './keys.js';
export * from './rateLimit.js';
export * from './redisUrl.js';
