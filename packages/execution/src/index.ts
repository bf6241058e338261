// The pure core of execution: order state, placement/reconciliation logic over a venue port, pair
// handling, the fill simulator. Adapters live behind subpaths: `./venue` (CLOB V2 client, keys),
// `./paper` (paper venue), `./store` (the order store on disk), `./lease` (Redis lease).
export { OrderManager, tradeStatusOf, type VenueView } from './orderManager.js';
export { canApply, canTransition, nextState, transitionOn, ORDER_EVENTS, TRANSITIONS, type OrderEvent } from './orderStateMachine.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { ExecutionEngine, gridProblem, type BookReader, type EngineConfig } from './executionEngine.js';
export { loneLegChoice, type LoneLegChoice, type LoneLegInput } from './pairs.js';
export { chunk, MAX_BATCH } from './rateLimiter.js';
export type { ClobPort, Collateral, PostOutcome, VenueOrder, VenueTrade } from './venue/port.js';
export { walkBook, fillResting, type SimulatedFill, type TakerInput, type TakerResult, type RestingInput } from './paper/fillSimulator.js';
