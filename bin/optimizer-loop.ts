import { randomBytes } from 'node:crypto';
import type { pino } from 'pino';
import type { Config } from '../config/index.ts';
import { type StateStore, seededRng, systemClock } from '../core/index.ts';
import { hourlyStatsReader } from '../optimizer/index.ts';
import type { WrittenCycle } from '../optimizer/optimize-cycle.ts';
import { decisionEvents } from '../optimizer/runtime/decision-events.ts';
import { OptimizerLoop } from '../optimizer/runtime/optimizer-loop.ts';
import { type ClickHouse, type ReportingEvent, readHourlyRollup } from '../reporting/index.ts';

/**
 * The optimizer loop as `outbid serve` and `outbid optimize` run it: statistics from the exact
 * hourly rollup in ClickHouse, allocations into the state store, every decision recorded as an
 * `optimizer_decision` event and logged; `afterCycle` sees each result.
 */
export function optimizerLoop(
  config: Config,
  store: StateStore,
  ch: ClickHouse,
  record: (event: ReportingEvent) => void,
  log: pino.Logger,
  afterCycle?: (result: WrittenCycle) => void,
): OptimizerLoop {
  return new OptimizerLoop({
    store,
    reader: hourlyStatsReader((window) => readHourlyRollup(ch, window)),
    clock: systemClock,
    rng: seededRng(randomBytes(4).readUInt32LE(0)),
    intervalMs: config.optimizerIntervalSec * 1000,
    cycle: { optimizer: { halfLifeMs: config.optimizerHalfLifeHours * 3_600_000 } },
    onCycle: (result) => {
      for (const e of decisionEvents(result, systemClock.now())) record(e);
      log.info(
        {
          version: result.allocation.version,
          written: result.written,
          campaigns: result.decisions.length,
          issues: result.issues.map((i) => `${i.campaignId}:${i.code}`),
        },
        'optimizer cycle',
      );
      afterCycle?.(result);
    },
    onError: (err) => log.error({ err }, 'optimizer cycle failed; the next one tries again'),
  });
}
