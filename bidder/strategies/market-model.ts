import { Landscape, type LandscapeOptions } from './landscape.ts';
import { PctrStats } from './pctr-stats.ts';
import type { AuctionOutcome } from './strategy.ts';

/**
 * What one line item has learned about its market: the censored bid landscape and the pCTR
 * distribution of its opportunities. It outlives strategy reconfigurations (see StrategyRegistry).
 */
export class MarketModel {
  /** Market-price distribution learned from wins and censored losses. */
  readonly landscape: Landscape;
  /** pCTR of the opportunities seen (priced, or read from a training log). */
  readonly pctr = new PctrStats();

  constructor(opts: LandscapeOptions = {}) {
    this.landscape = new Landscape(opts);
  }

  /** Learns from an outcome: O(1). */
  observe(o: AuctionOutcome): void {
    this.landscape.observe(o);
    if (o.kind === 'market' && o.pctr !== undefined) this.pctr.add(o.pctr);
  }
}
