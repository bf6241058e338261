export { runBacktest, coresFor, benchBacktest, DEFAULT_BACKTEST, type BacktestConfig, type BacktestResult, type Trade, type Decision } from './engine.js';
export { makerBooks, DEFAULT_BOOK_MODEL, Rng, type BookModelConfig } from './bookModel.js';
export { htmlReport } from './report.js';
export { loadRecording, replayRecording, type RecordLine, type ReplayResult } from './replay.js';
export { loadHistory, ticksToBars } from './loaders.js';
