import { createStrategy } from './create-strategy.ts';
import { strategyContract } from './strategy.case.ts';
import type { StrategyConfig } from './strategy.ts';

const CONFIGS: StrategyConfig[] = [
  { type: 'fixed', cpmMicros: 2_000_000 },
  { type: 'max', targetCpmMicros: 1_500_000 },
  { type: 'random', minCpmMicros: 1, maxCpmMicros: 9_000_000 },
  { type: 'targetCpc', cpcMicros: 400_000 },
  { type: 'targetCpa', cpaMicros: 8_000_000 },
  { type: 'targetRoas', roasMicros: 3_000_000 },
  { type: 'linear', baseCpmMicros: 1_500_000 },
  { type: 'linear', baseCpmMicros: 1_500_000, avgPctr: 0.01 },
  { type: 'maxClicks' },
];

for (const config of CONFIGS) {
  strategyContract(JSON.stringify(config), (deps) => createStrategy(config, deps));
}
strategyContract('maxClicks without shading', (deps) =>
  createStrategy({ type: 'maxClicks' }, { ...deps, shading: false }),
);
