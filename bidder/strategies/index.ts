export { clampBid } from './clamp-bid.ts';
export { createStrategy, type StrategyDeps } from './create-strategy.ts';
export { type KaplanMeierBin, Landscape, type LandscapeOptions } from './landscape.ts';
export { MarketModel } from './market-model.ts';
export { type MaxClicksOptions, maxClicksStrategy } from './max-clicks.ts';
export { PctrStats } from './pctr-stats.ts';
export { shadeBid } from './shade-bid.ts';
export type {
  AuctionOutcome,
  PriceContext,
  PricingStrategy,
  RandomBidStrategy,
  StrategyConfig,
} from './strategy.ts';
export { type StrategyLineItem, StrategyRegistry } from './strategy-registry.ts';
export { logLogisticCurve, type WinCurve } from './win-curve.ts';
