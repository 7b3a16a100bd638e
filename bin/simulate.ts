import { buildApp } from '../bidder/index.ts';
import { loadConfig } from '../config/index.ts';
import { idGenerator, ManualClock, seededRng } from '../core/index.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import type { SimulationEnv } from '../optimizer/simulator/run-simulation.ts';
import { simulateCommand } from '../optimizer/simulator/simulate-command.ts';
import { type RunReporting, SimulatedClickHouse } from '../optimizer/simulator/simulated-clickhouse.ts';

/** One simulated world and what closes it; `reporting.ch` lets a test read the run's ClickHouse. */
export type SimulationWorld = SimulationEnv & {
  reporting: RunReporting;
  close(): Promise<void>;
};

/**
 * A fresh world per run: a real bidder (`buildApp`: gates, strategies, notices, tracking) on a
 * fresh embedded state store, its events in a `ClickHouseEventSink` on a freshly migrated database
 * of the process's one embedded ClickHouse, everything on one simulated clock. Requests, notices
 * and tracking go through fastify's `inject` (the full HTTP route, without a socket, so hours of
 * traffic take seconds). The bidder's background timers are off: the simulator runs their work at
 * fixed simulated times, so a run is reproducible per seed.
 */
export async function simulationWorld(clickhouse: SimulatedClickHouse): Promise<SimulationWorld> {
  const config = loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.sim', SEED_DEMO: 'false' });
  const clock = new ManualClock(0);
  const store = new MemoryStateStore();
  await store.ready();
  const reporting = await clickhouse.run(clock, {
    attribution: config.attribution,
    lookbackHours: config.rollupLookbackHours,
  });
  const { app, gates, index } = await buildApp({
    config,
    store,
    sink: reporting.sink,
    clock,
    rng: seededRng(1),
    secret: 'simulated-secret-simulated-secret',
    nextId: idGenerator('s-'),
    gateTickMs: 2 ** 31 - 1,
  });
  return {
    store,
    clock,
    reporting,
    advance: (ms) => clock.advance(ms),
    bidder: {
      async bid(body) {
        const res = await app.inject({
          method: 'POST',
          url: '/openrtb2/bid',
          payload: body,
          headers: { 'content-type': 'application/json' },
        });
        return res.statusCode === 200 ? { status: 200, json: res.json() } : { status: res.statusCode };
      },
      async get(url) {
        const u = new URL(url);
        const res = await app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
        const location = res.headers.location;
        return typeof location === 'string'
          ? { status: res.statusCode, location }
          : { status: res.statusCode };
      },
      settle: () => gates.warm(),
      async serving(version) {
        for (let i = 0; i < 1000 && (index.current?.version ?? 0) < version; i++) {
          await new Promise((r) => setImmediate(r));
        }
      },
    },
    async close() {
      await app.close();
      await reporting.close();
    },
  };
}

/**
 * `outbid simulate`: the composition root of the market simulator. The embedded ClickHouse opens
 * on the first run (not for `--help` or a bad scenario) and is removed at the end.
 */
export async function simulate(argv: string[]): Promise<number> {
  let clickhouse: SimulatedClickHouse | undefined;
  try {
    return await simulateCommand(argv, {
      stdout: (line) => {
        process.stdout.write(`${line}\n`);
      },
      stderr: process.stderr,
      async world() {
        clickhouse ??= await SimulatedClickHouse.open();
        return simulationWorld(clickhouse);
      },
    });
  } finally {
    await clickhouse?.close();
  }
}
