export { JumpDiffusionModel, probabilityUp, mertonProbAbove, YEAR_SECONDS, type JumpParams, type PriceInputs } from './jumpDiffusionModel.js';
export { normCdf } from './normal.js';
export { bestTakerBuy, kellyFraction, makerEdge, walkAsks, type Opportunity } from './evCalculator.js';
export { estimateJumpDiffusion, resample, DEFAULT_LIMITS } from './volatilityEstimator.js';
export { toxicityFlags, orderFlowImbalance, DEFAULT_TOXICITY, type ToxicityConfig, type TapeTrade } from './toxicityFilter.js';
export { ValueBettingStrategy, DEFAULT_STRATEGY, signalId, type StrategyConfig, type StrategyContext, type Evaluation } from './valueBettingStrategy.js';
export { benchPricing } from './bench.js';
export { leeMyklandFlags, logReturns, realisedAndBipower } from './leeMykland.js';
export { loadBars, minuteCloses, type Bar } from './data/priceHistory.js';
