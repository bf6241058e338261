// The pure core of risk. The Redis-backed breaker control is the adapter `@polybot/risk/breaker`.
export { NoTradeGate, DEFAULT_GATE, type GateConfig, type GateReason, type GateResult } from './noTradeGate.js';
export { KellySizer, DEFAULT_SIZER, type SizerConfig, type SafeSize, type Exposure } from './kellySizer.js';
export { applyEvent, bankrollOf, dayOf, exposureOf, newLedger, LedgerSchema, type Ledger } from './ledger.js';
export { drawdownRule } from './rules/drawdown.js';
export { consecutiveLossesRule } from './rules/consecutiveLosses.js';
export { errorRateRule } from './rules/errorRate.js';
export { decideSignal, decidePair, type DecideCores, type DecideInputs, type RiskDecision, type PairDecision } from './decide.js';
