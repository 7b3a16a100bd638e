export {
  type AuctionLog,
  formatIpinyouLog,
  LOG_FORMATS,
  parseIpinyouLog,
  readAuctionLog,
} from './auction-log.ts';
export { BACKTEST_USAGE, backtestCommand, type CommandIo } from './backtest-command.ts';
export {
  type BaselineInputs,
  STRATEGY_NAMES,
  type StrategyName,
  strategyConfigFor,
  tuneOnTrain,
  tuningGrid,
} from './baselines.ts';
export { BacktestErrors } from './errors.ts';
export { DEFAULT_TRUTH, generateSyntheticLog, type SyntheticTruth } from './generate-log.ts';
export {
  AUCTION_INTERVAL_MS,
  type BacktestOptions,
  type BacktestResult,
  type BacktestSummary,
  episodeBudgetFor,
  MICROS_PER_LOG_UNIT,
  meanMarketPrice,
  runBacktest,
  summaryOf,
} from './run-backtest.ts';
