import type { Clock, OutbidError } from '../core/index.ts';
import { errorFrom } from '../core/index.ts';
import { type AttributionSettings, refreshAttribution } from './attribution/attribution.ts';
import type { ClickHouse } from './clickhouse/clickhouse.ts';
import { backfillRollups, refreshRollups } from './clickhouse/hourly-rollup.ts';
import { ReportingErrors } from './errors.ts';

const HOUR_MS = 3_600_000;

/** Settings of the in-process refresh of attribution and the exact rollups. */
export interface RefreshSchedulerOptions {
  ch: ClickHouse;
  clock: Clock;
  attribution: AttributionSettings;
  /** Period between the end of one refresh and the start of the next. */
  intervalMs: number;
  /** Hours back each refresh recomputes: conversions and late events land in them. */
  lookbackHours: number;
  /** A failed refresh (ClickHouse down): reported, retried at the next tick. */
  onError?: (err: OutbidError) => void;
}

/**
 * Runs, one at a time, attribution then the exact rollups (refreshRollups: events_hourly and
 * nobids_hourly, then events_daily and nobids_daily for the days those hours touch) over the last
 * `lookbackHours` (through the current hour), every `intervalMs`. Attribution goes first because
 * the rollup counts attributed conversions. All are idempotent, so a refresh that overlaps the
 * previous one's hours only rewrites them with a newer version. The first refresh of the process
 * also fills the rollups a migration added to existing data (backfillRollups).
 */
export class RefreshScheduler {
  readonly #o: RefreshSchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** backfillRollups ran (it is retried at each refresh until it succeeds). */
  #backfilled = false;
  /** Completed refreshes (tests, metrics). */
  runs = 0;

  constructor(options: RefreshSchedulerOptions) {
    this.#o = options;
  }

  /** Schedules the first refresh one interval from now. */
  start(): void {
    if (this.#o.intervalMs <= 0) return;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.runOnce().finally(() => this.#schedule());
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One refresh now (or joins the one in progress). Never throws: failures go to onError. */
  runOnce(): Promise<void> {
    this.#running ??= this.#refresh().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #refresh(): Promise<void> {
    const { ch, clock } = this.#o;
    const now = clock.now();
    const window = { fromMs: now - this.#o.lookbackHours * HOUR_MS, toMs: now + 1 };
    try {
      if (!this.#backfilled) {
        await backfillRollups(ch, clock);
        this.#backfilled = true;
      }
      await refreshAttribution(
        ch,
        { fromMs: window.fromMs, toMs: Math.ceil(window.toMs / HOUR_MS) * HOUR_MS },
        this.#o.attribution,
        clock,
      );
      await refreshRollups(ch, window, clock);
      this.runs++;
    } catch (err) {
      try {
        this.#o.onError?.(
          errorFrom(
            ReportingErrors.CH_QUERY,
            `attribution/rollup refresh failed: ${(err as Error).message}`,
            err,
          ),
        );
      } catch {
        // A throwing callback must not stop the scheduler.
      }
    }
  }

  /** Stops scheduling and waits for a refresh in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
