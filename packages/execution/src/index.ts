export { OrderManager, tradeStatusOf, type VenueView } from './orderManager.js';
export { canTransition, assertTransition, TRANSITIONS } from './orderStateMachine.js';
export { loadOrdersFile, writeOrdersFile, emptyOrdersFile, OrdersFileSchema, ORDERS_FILE_VERSION, type OrdersFile } from './orderStore.js';
export { ExecutionEngine, type EngineConfig } from './executionEngine.js';
export type { ClobPort, PostOutcome, VenueOrder, VenueTrade } from './venue/port.js';
export { createClobV2Port, orderHashV2 } from './venue/clobV2.js';
export { resolveSigningKey, LIVE_CONFIRMATION } from './keys.js';
