import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, errorFrom, type OutbidError } from '../../core/index.ts';
import {
  type AttributionSettings,
  type ClickHouse,
  ClickHouseEventSink,
  migrate,
  openEmbeddedClickHouse,
  RefreshScheduler,
  ReportingErrors,
  readHourlyRollup,
} from '../../reporting/index.ts';
import { hourlyStatsReader } from '../hourly-stats.ts';
import type { SimulatedReporting } from './run-simulation.ts';

/** What production's refresh runs with (config ATTRIBUTION_*, ROLLUP_LOOKBACK_HOURS). */
export interface RefreshSettings {
  attribution: AttributionSettings;
  lookbackHours: number;
}

/** One run's reporting: the bidder's sink and what the simulator drives. */
export interface RunReporting extends SimulatedReporting {
  /** The durable sink the bidder of this run emits into. */
  sink: ClickHouseEventSink;
  /** The run's database, through the outage switch (tests read `events_hourly` from it). */
  ch: ClickHouse;
  /** Delivers what is left, closes the sink. */
  close(): Promise<void>;
}

/**
 * A handle that fails every call with CH_CONNECT while `up()` is false, as a server that is down
 * would. A Proxy rather than a wrapper listing the methods, so a method added to the driver
 * interface is switched off too.
 */
function switchable(ch: ClickHouse, up: () => boolean): ClickHouse {
  return new Proxy(ch, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) =>
        up()
          ? (value as (...a: unknown[]) => unknown).apply(target, args)
          : Promise.reject(
              errorFrom(ReportingErrors.CH_CONNECT, 'ClickHouse unavailable (simulated outage)'),
            );
    },
  });
}

/**
 * The embedded ClickHouse of `outbid simulate`: one chDB handle for the whole process (libchdb
 * holds one data directory per process; a second open would close the first), in a temporary
 * directory removed at close. Each run gets the database dropped, created and migrated again, and
 * its own spool, so the policies never see each other's events.
 */
export class SimulatedClickHouse {
  readonly #dir: string;
  readonly #ch: ClickHouse;
  #runs = 0;

  private constructor(dir: string, ch: ClickHouse) {
    this.#dir = dir;
    this.#ch = ch;
  }

  /** Opens chDB in a fresh temporary directory. */
  static async open(): Promise<SimulatedClickHouse> {
    const dir = await mkdtemp(join(tmpdir(), 'outbid-simulate-'));
    try {
      return new SimulatedClickHouse(dir, await openEmbeddedClickHouse({ dataDir: join(dir, 'clickhouse') }));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * A fresh migrated database, a ClickHouseEventSink on it, and the production refresh (attribution,
   * then the exact hourly rollup, over `lookbackHours`) on the simulated clock.
   */
  async run(clock: Clock, settings: RefreshSettings): Promise<RunReporting> {
    const db = this.#ch.database;
    await this.#ch.exec(`DROP DATABASE IF EXISTS ${db} SYNC`);
    await this.#ch.exec(`CREATE DATABASE ${db}`);
    await this.#ch.exec(`USE ${db}`);
    await migrate(this.#ch, { clock });
    let up = true;
    const ch = switchable(this.#ch, () => up);
    const sink = await ClickHouseEventSink.open({
      ch,
      dataDir: join(this.#dir, `run-${++this.#runs}`),
      // Simulated hours pass in milliseconds: a retry after an outage must not wait real seconds.
      retry: { initialMs: 1, maxMs: 20 },
    });
    let refreshError: OutbidError | undefined;
    const scheduler = new RefreshScheduler({
      ch,
      clock,
      attribution: settings.attribution,
      intervalMs: 0,
      lookbackHours: settings.lookbackHours,
      onError: (err) => {
        refreshError = err;
      },
    });
    return {
      sink,
      ch,
      reader: hourlyStatsReader((window) => readHourlyRollup(ch, window)),
      setAvailable(available) {
        up = available;
      },
      async refresh() {
        // While ClickHouse is down the events wait in the spool (delivered once it is back).
        if (up) await sink.whenDelivered();
        else await sink.flush();
        refreshError = undefined;
        await scheduler.runOnce();
        return refreshError;
      },
      async close() {
        up = true;
        await sink.close();
      },
    };
  }

  /** Closes chDB and removes the directory. */
  async close(): Promise<void> {
    await this.#ch.close();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
