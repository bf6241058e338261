export { JumpDiffusionModel, probabilityUp, mertonProbAbove, YEAR_SECONDS, type JumpParams, type PriceInputs } from './jumpDiffusionModel.js';
export { normCdf } from './normal.js';
export { bestTakerBuy, kellyFraction, makerEdge, walkAsks, type Opportunity } from './evCalculator.js';
export { estimateJumpDiffusion, resample, DEFAULT_LIMITS } from './volatilityEstimator.js';
export { toxicityFlags, orderFlowImbalance, vpin, DEFAULT_TOXICITY, type ToxicityConfig, type TapeTrade } from './toxicityFilter.js';
export { ValueBettingStrategy, DEFAULT_STRATEGY, signalId, type StrategyConfig, type StrategyContext, type Evaluation } from './valueBettingStrategy.js';
export { benchPricing, benchStrategyPass } from './bench.js';
export { leeMyklandFlags, logReturns, realisedAndBipower } from './leeMykland.js';
export { loadBars, minuteCloses, plainName, readText, type Bar } from './data/priceHistory.js';
export { ArbitrageDetector, type BuyBothArb, type SellBothArb, type ArbLeg } from './arbitrageDetector.js';
export { loadBookTicker, ofiEvent, ofiRegression, type OfiRegression } from './toxicityStudy.js';
export {
  calibrateParams,
  spotBefore,
  twapAverageSoFar,
  CALIBRATION_EVERY_MS,
  CALIBRATION_LOOKBACK_MS,
  FALLBACK_PARAMS,
  RECENT_MS,
  type PricePoint,
} from './passInputs.js';
export {
  anchoredProbability,
  clampProbability,
  fitAnchor,
  logit,
  sigmoid,
  MARKET_ONLY,
  P_CLAMP,
  type AnchorFit,
  type AnchorSample,
  type AnchorWeights,
} from './marketAnchor.js';
export {
  PairAccumulator,
  DEFAULT_PAIR_ACCUMULATOR,
  EMPTY_INVENTORY,
  GTD_SECURITY_MARGIN_MS,
  accumulateSignalId,
  highestPairPrice,
  inventoryOf,
  type AccumulatorContext,
  type AccumulatorEvaluation,
  type Inventory,
  type PairAccumulatorConfig,
} from './pairAccumulator.js';
export { buildStrategies, ANCHOR_BTC_15M, VALUE_MODES, type LiveStrategies, type LiveStrategySettings, type ValueMode } from './liveStrategies.js';
