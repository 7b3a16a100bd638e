import type { Clock, Rng, StateStore } from '../../core/index.ts';
import { type CycleOptions, optimizeAndWrite, type WrittenCycle } from '../optimize-cycle.ts';
import type { StatsReader } from '../ports.ts';
import { campaignInputs } from './campaign-inputs.ts';
import { currentAllocation, stateStoreAllocationWriter } from './state-store-writer.ts';

/** Options of `OptimizerLoop`. */
export interface OptimizerLoopOptions {
  /** Campaigns are read from it and allocations written to it (the `allocation` entity). */
  store: StateStore;
  /** Per-arm statistics (the ClickHouse hourly rollup in production). */
  reader: StatsReader;
  clock: Clock;
  rng: Rng;
  /** Time between cycles (default one hour). */
  intervalMs?: number;
  /** Tuning passed to every cycle. */
  cycle?: Omit<CycleOptions, 'clock' | 'rng'>;
  /** Every cycle's result: decisions, issues, whether it was written (the decision log goes here). */
  onCycle?: (result: WrittenCycle) => void;
  /** A cycle that failed outright (the state store could not be read). */
  onError?: (err: unknown) => void;
}

/**
 * The optimizer on a schedule: each cycle reads the campaigns from the state store, the previous
 * allocation (what bidders serve now), the statistics, and writes a new allocation version. Cycles
 * never overlap; one that fails is reported and the next one tries again. Runs inside `outbid
 * serve` (embedded) or as `outbid optimize` (its own process, once or looping).
 */
export class OptimizerLoop {
  readonly #o: OptimizerLoopOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<WrittenCycle | undefined> | undefined;

  constructor(options: OptimizerLoopOptions) {
    this.#o = options;
  }

  /** One cycle now (or the one already running). */
  runOnce(): Promise<WrittenCycle | undefined> {
    this.#running ??= this.#cycle().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #cycle(): Promise<WrittenCycle | undefined> {
    const o = this.#o;
    try {
      const { data } = await o.store.load();
      const inputs = campaignInputs(data, o.clock.now());
      const result = await optimizeAndWrite(
        inputs,
        o.reader,
        stateStoreAllocationWriter(o.store),
        currentAllocation(data),
        { ...o.cycle, clock: o.clock, rng: o.rng },
      );
      o.onCycle?.(result);
      return result;
    } catch (err) {
      o.onError?.(err);
      return undefined;
    }
  }

  /** Runs a cycle every `intervalMs` on a timer that does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.runOnce(), this.#o.intervalMs ?? 3_600_000);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a cycle in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
