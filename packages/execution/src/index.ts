// The pure core of execution: order state, placement/reconciliation logic over a venue port, pair
// handling, the fill simulator. Adapters live behind subpaths: `./venue` (CLOB V2 client, keys),
// `./paper` (paper venue), `./store` (the order store on disk), `./lease` (Redis lease).
export { OrderManager, tradeStatusOf, type VenueView } from './orderManager.js';
export { canApply, canTransition, nextState, transitionOn, ORDER_EVENTS, TRANSITIONS, type OrderEvent } from './orderStateMachine.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { ExecutionEngine, gridProblem, type BookReader, type EngineConfig } from './executionEngine.js';
export { DEFAULT_HARD_LIMITS, type HardLimits } from './hardLimits.js';
export { applyTickSizeMessage } from './tickSizes.js';
export { loneLegChoice, type LoneLegChoice, type LoneLegInput } from './pairs.js';
export { chunk, MAX_BATCH } from './rateLimiter.js';
export type { ClobPort, Collateral, PostOutcome, VenueOrder, VenueTrade } from './venue/port.js';
export { walkBook, fillResting, type SimulatedFill, type TakerInput, type TakerResult, type RestingInput } from './paper/fillSimulator.js';
export { Treasury, type BalanceReader, type MarketPosition, type MergedTotals, type TreasuryConfig } from './money/treasury.js';
export { MoneyStore, loadMoneyFile, type ChainAction, type MoneyFile } from './money/store.js';
export { venueAccount, type AccountInputs } from './money/account.js';
export { checkAllowances, describeMissing, type AllowanceReport } from './money/allowances.js';
export { readApprovals, approveMissing, checkTradingAllowances, type AllowanceCheck, type ApproveResult } from './money/approve.js';
export { POLYGON_CONTRACTS, REQUIRED_APPROVALS, redeemCall, mergeCall, approvalCalls, type RequiredApproval, type WalletCall } from './money/calls.js';
