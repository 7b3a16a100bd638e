import type { CampaignData, Rng, StateStore } from '../core/index.ts';
import { ScoreTableCache } from './scoring/compile-score-table.ts';
import { StrategyRegistry } from './strategies/strategy-registry.ts';
import { type CompiledSnapshot, compileSnapshot } from './targeting/compile-snapshot.ts';

/**
 * Holds the compiled snapshot the bid route reads, and rebuilds it when the store says campaigns
 * changed. Rebuilds are coalesced (one in flight, at most one queued) and a failed rebuild keeps
 * the last good snapshot, so a bad write never stops bidding.
 */
export class CampaignIndex {
  #snapshot: CompiledSnapshot | undefined;
  /** This thread's bid strategies: what each line item learned about its market outlives snapshots. */
  readonly strategies: StrategyRegistry;
  readonly #scoreTables = new ScoreTableCache();
  #running: Promise<void> | undefined;
  #queued = false;
  #unsubscribe: (() => void) | undefined;
  readonly #store: StateStore;
  readonly #onError: (err: unknown) => void;
  readonly #onSwap: (snap: CompiledSnapshot, data: CampaignData) => void;

  constructor(
    store: StateStore,
    hooks: {
      onError: (err: unknown) => void;
      onSwap: (snap: CompiledSnapshot, data: CampaignData) => void;
      /** Seeds the random-bid baseline only. */
      rng: Rng;
    },
  ) {
    this.#store = store;
    this.#onError = hooks.onError;
    this.#onSwap = hooks.onSwap;
    this.strategies = new StrategyRegistry({ rng: hooks.rng });
  }

  /** The snapshot in use, or undefined before the first load. */
  get current(): CompiledSnapshot | undefined {
    return this.#snapshot;
  }

  /** Loads the first snapshot (throws if it cannot) and follows store changes afterwards. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#store.subscribe(() => {
      this.refresh().catch(this.#onError);
    });
    await this.#rebuild();
  }

  /** Rebuilds from the store; concurrent calls collapse into one extra rebuild. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#queued = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#queued = false;
          try {
            await this.#rebuild();
          } catch (err) {
            this.#onError(err);
          }
        } while (this.#queued);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #rebuild(): Promise<void> {
    const { version, data } = await this.#store.load();
    if (this.#snapshot && version <= this.#snapshot.version) return;
    const snap = compileSnapshot(data, version, {
      strategies: this.strategies,
      scoreTables: this.#scoreTables,
    });
    this.#snapshot = snap;
    this.#onSwap(snap, data);
  }

  /** Stops following the store. */
  stop(): void {
    this.#unsubscribe?.();
  }
}
