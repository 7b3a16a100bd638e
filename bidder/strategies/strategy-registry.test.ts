import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.ts';
import type { StrategyLineItem } from './strategy-registry.ts';
import { StrategyRegistry } from './strategy-registry.ts';

const li = (over: Partial<StrategyLineItem> = {}): StrategyLineItem => ({
  id: 'li-1',
  bidStrategy: { type: 'targetCpc', cpcMicros: 400_000 },
  maxCpmMicros: 10_000_000,
  ...over,
});
const ctx = {
  floorMicros: 0,
  firstPrice: true,
  remainingBudgetMicros: 1e9,
  nowMs: 0,
  pctr: 1 / 256,
} as const;

function teach(reg: StrategyRegistry, id: string): void {
  for (let i = 1; i < 300; i++) {
    const u = ((i * 7919) % 300) / 300;
    reg.observe(id, { kind: 'market', marketPriceMicros: 1_000_000 * Math.sqrt(u / (1 - u)) });
  }
}

describe('StrategyRegistry', () => {
  it('returns the same strategy while the line item’s strategy and cap are unchanged', () => {
    const reg = new StrategyRegistry({ rng: seededRng(1) });
    const a = reg.strategyFor(li());
    expect(reg.strategyFor(li())).toBe(a);
    expect(reg.strategyFor(li({ maxCpmMicros: 9_000_000 }))).not.toBe(a);
  });

  it('keeps what a line item learned when its strategy changes, not across line items', () => {
    const reg = new StrategyRegistry({ rng: seededRng(1) });
    reg.strategyFor(li());
    teach(reg, 'li-1');
    const shaded = reg.strategyFor(li()).price(ctx)!;
    expect(shaded).toBeLessThan(1_562_500); // shaded below the value with the learned landscape
    const reconfigured = reg.strategyFor(li({ bidStrategy: { type: 'targetCpc', cpcMicros: 800_000 } }));
    expect(reconfigured.price(ctx)!).toBeLessThan(3_125_000);
    expect(reg.strategyFor(li({ id: 'li-2' })).price(ctx)).toBe(1_562_500); // nothing learned: the value
  });

  it('forgets retired line items and ignores their notices', () => {
    const reg = new StrategyRegistry({ rng: seededRng(1) });
    reg.strategyFor(li());
    teach(reg, 'li-1');
    reg.retain(new Set(['li-9']));
    teach(reg, 'li-1');
    expect(reg.strategyFor(li()).price(ctx)).toBe(1_562_500);
  });
});
