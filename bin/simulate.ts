import { buildApp } from '../bidder/index.ts';
import { loadConfig } from '../config/index.ts';
import { idGenerator, ManualClock, seededRng } from '../core/index.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import { simulateCommand } from '../optimizer/simulator/simulate-command.ts';
import { MemoryEventSink } from '../reporting/index.ts';

/**
 * `outbid simulate`: the composition root of the market simulator. Each run gets a real bidder
 * (`buildApp`: gates, strategies, notices) on a fresh embedded state store, sharing the simulated
 * clock; requests and notices go through fastify's `inject` (the full HTTP route, without a socket,
 * so hours of traffic take seconds). The bidder's background timers are off: the simulator runs
 * their work at fixed simulated times, so a run is reproducible per seed.
 */
export function simulate(argv: string[]): Promise<number> {
  return simulateCommand(argv, {
    stdout: (line) => {
      process.stdout.write(`${line}\n`);
    },
    stderr: process.stderr,
    async world() {
      const clock = new ManualClock(0);
      const store = new MemoryStateStore();
      await store.ready();
      const { app, gates, index } = await buildApp({
        config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.sim', SEED_DEMO: 'false' }),
        store,
        sink: new MemoryEventSink(1_000),
        clock,
        rng: seededRng(1),
        secret: 'simulated-secret-simulated-secret',
        nextId: idGenerator('s-'),
        gateTickMs: 2 ** 31 - 1,
      });
      return {
        store,
        clock,
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
          async notice(url) {
            const u = new URL(url);
            return (await app.inject({ method: 'GET', url: `${u.pathname}${u.search}` })).statusCode;
          },
          settle: () => gates.warm(),
          async serving(version) {
            for (let i = 0; i < 1000 && (index.current?.version ?? 0) < version; i++) {
              await new Promise((r) => setImmediate(r));
            }
          },
        },
        close: () => app.close(),
      };
    },
  });
}
