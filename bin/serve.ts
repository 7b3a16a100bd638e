import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../bidder/index.ts';
import { type Config, loadConfig } from '../config/index.ts';
import {
  type CampaignData,
  campaignDataProblems,
  idGenerator,
  type ProfileStore,
  type StateStore,
  seededRng,
  systemClock,
} from '../core/index.ts';
import { MemoryBudgetStore } from '../core/store/budget-memory-store.ts';
import { RedisBudgetStore } from '../core/store/budget-redis-store.ts';
import { MemoryFrequencyStore } from '../core/store/frequency-memory-store.ts';
import { RedisFrequencyStore } from '../core/store/frequency-redis-store.ts';
import { MemoryProfileStore } from '../core/store/memory-profile-store.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import { RedisProfileStore } from '../core/store/redis-profile-store.ts';
import { RedisStateStore } from '../core/store/redis-store.ts';
import type { OptimizerLoop } from '../optimizer/runtime/optimizer-loop.ts';
import {
  type ClickHouse,
  ClickHouseEventSink,
  type EventSink,
  MemoryEventSink,
  migrate,
  openClickHouse,
  RefreshScheduler,
  type ReportingEvent,
  reconnectingClickHouse,
} from '../reporting/index.ts';
import { optimizerLoop } from './optimizer-loop.ts';

/**
 * The event sink of `outbid serve`: ClickHouse (the server at CLICKHOUSE_URL, else the embedded
 * engine under DATA_DIR/clickhouse), migrated at start, with the durable spool under
 * DATA_DIR/spool and the attribution + exact rollup refresh; or memory with EVENT_SINK=memory.
 */
async function openSink(
  config: Config,
  log: pino.Logger,
): Promise<{
  sink: EventSink;
  ch?: ClickHouse;
  /** Records any reporting event (the optimizer's decision log); absent without ClickHouse. */
  record?: (event: ReportingEvent) => void;
  close: () => Promise<void>;
}> {
  if (config.eventSink === 'memory') {
    const sink = new MemoryEventSink();
    return { sink, close: () => sink.flush() };
  }
  const settings = {
    url: config.clickhouseUrl,
    user: config.clickhouseUser,
    password: config.clickhousePassword,
    database: config.clickhouseDatabase,
    dataDir: config.dataDir,
  };
  const migrated = async (ch: ClickHouse) => {
    const { applied } = await migrate(ch, { clock: systemClock });
    log.info(
      { driver: ch.driver, version: ch.version, database: ch.database, applied: applied.map((m) => m.name) },
      'ClickHouse ready',
    );
  };
  let ch: ClickHouse;
  if (config.clickhouseUrl === undefined) {
    // The embedded engine is part of this process: failing to open it (data directory locked by
    // another process) is a deployment error, reported at start.
    ch = await openClickHouse(settings);
    await migrated(ch);
  } else {
    // A server may be down when we start: bid and spool meanwhile, connect and migrate when it is up.
    ch = reconnectingClickHouse({
      connect: () => openClickHouse(settings),
      onConnect: migrated,
      database: config.clickhouseDatabase,
      onError: (err) => log.error({ err }, 'ClickHouse not reachable yet; events are spooled'),
    });
  }
  const sink = await ClickHouseEventSink.open({
    ch,
    dataDir: config.dataDir,
    onError: (err) => log.error({ err }, 'event sink'),
  });
  const scheduler = new RefreshScheduler({
    ch,
    clock: systemClock,
    attribution: config.attribution,
    intervalMs: config.rollupRefreshSec * 1000,
    lookbackHours: config.rollupLookbackHours,
    onError: (err) => log.error({ err }, 'attribution/rollup refresh'),
  });
  scheduler.start();
  return {
    sink,
    ch,
    record: (event) => sink.emit(event),
    close: async () => {
      await scheduler.stop();
      // Spools what is buffered and tries one delivery; the rest is replayed by the next start.
      await sink.close();
      await ch.close();
    },
  };
}

/** Reads OUTBID_SECRET, or the per-DATA_DIR secret file, creating it (0600) on first start. */
async function resolveSecret(config: Config, log: pino.Logger): Promise<string> {
  if (config.secret !== undefined) return config.secret;
  const file = join(config.dataDir, 'secret');
  try {
    const s = (await readFile(file, 'utf8')).trim();
    if (s.length >= 32) return s;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  log.warn(
    { file },
    'OUTBID_SECRET not set: generated one for this DATA_DIR; set OUTBID_SECRET when running several instances',
  );
  return secret;
}

/** Loads the demo campaigns into an empty store, refusing a file that does not validate. */
async function seedDemo(store: StateStore, config: Config, log: pino.Logger): Promise<void> {
  if (!config.seedDemo || (await store.version()) > 0) return;
  const path = resolve(config.demoDataPath);
  const data = JSON.parse(await readFile(path, 'utf8')) as CampaignData;
  const problems = campaignDataProblems(data);
  if (problems.length > 0) throw new Error(`demo data ${path} is invalid:\n  - ${problems.join('\n  - ')}`);
  await store.replaceAll(data);
  log.info({ path, lineItems: data.lineItems.length }, 'seeded demo campaigns into the empty store');
}

/** `outbid serve`: the composition root. Builds everything from the environment, listens, and shuts down gracefully on SIGTERM/SIGINT. */
export async function serve(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel, base: { service: 'outbid' } });
  await mkdir(config.dataDir, { recursive: true });
  const store: StateStore = config.redisUrl
    ? new RedisStateStore({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        cluster: config.redisCluster,
        onError: (err) => log.error({ err }, 'state store'),
      })
    : new MemoryStateStore({
        snapshotPath: join(config.dataDir, 'state.json'),
        onError: (err) => log.error({ err }, 'state store'),
      });
  await store.ready();
  await seedDemo(store, config, log);
  const secret = await resolveSecret(config, log);
  const profiles: ProfileStore = config.redisUrl
    ? new RedisProfileStore({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        cluster: config.redisCluster,
        onError: (err) => log.error({ err }, 'profile store'),
      })
    : new MemoryProfileStore({ clock: systemClock });
  await profiles.ready();
  if (config.workers > 0 && !config.redisUrl) {
    log.warn(
      'WORKERS > 0 without REDIS_URL: scoring workers use request segments only (the embedded profile store lives in the main thread)',
    );
  }
  // With Redis, budgets and caps are shared by every instance; without it they live in this
  // process, the spend journaled under DATA_DIR so a restart or crash loses none of it.
  const shared = config.redisUrl
    ? {
        budgetStore: new RedisBudgetStore({
          url: config.redisUrl,
          prefix: config.redisPrefix,
          cluster: config.redisCluster,
          onError: (err) => log.error({ err }, 'budget store'),
        }),
        frequencyStore: new RedisFrequencyStore({
          url: config.redisUrl,
          prefix: config.redisPrefix,
          cluster: config.redisCluster,
          onError: (err) => log.error({ err }, 'frequency store'),
        }),
      }
    : {
        budgetStore: new MemoryBudgetStore({
          clock: systemClock,
          journalPath: join(config.dataDir, 'budget-journal.jsonl'),
        }),
        frequencyStore: new MemoryFrequencyStore(),
      };
  await Promise.all([shared.budgetStore.ready(), shared.frequencyStore.ready()]);
  const events = await openSink(config, log);
  const sink = events.sink;
  const idPrefix = `${randomBytes(6).toString('base64url')}-`;
  const { app } = await buildApp({
    config,
    store,
    sink,
    ...(events.ch !== undefined && { clickhouse: events.ch }),
    clock: systemClock,
    rng: seededRng(randomBytes(4).readUInt32LE(0)),
    secret,
    nextId: idGenerator(idPrefix),
    logger: log,
    processMetrics: true,
    profiles,
    ...shared,
    workers: {
      threads: config.workers,
      taskTimeoutMs: config.workerTaskTimeoutMs,
      seed: randomBytes(4).readUInt32LE(0),
      idPrefix: `${idPrefix}w`,
      ...(config.redisUrl !== undefined && {
        redis: { url: config.redisUrl, prefix: config.redisPrefix, cluster: config.redisCluster },
      }),
    },
  });
  await app.listen({ host: config.host, port: config.port });
  const optimizer = startOptimizer(config, store, events, log);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await optimizer?.stop();
      await app.close();
      await events.close();
      await store.close();
      await profiles.close();
      await shared.budgetStore.close();
      await shared.frequencyStore.close();
      log.info('stopped');
      process.exitCode = 0;
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/**
 * The optimizer on a schedule inside serve (OPTIMIZER_INTERVAL_SEC; 0 turns it off): statistics
 * from the exact hourly rollup in ClickHouse, allocations into the state store (bidders swap to
 * them), every decision into the event log. Without ClickHouse there are no statistics to learn from.
 */
function startOptimizer(
  config: Config,
  store: StateStore,
  events: { ch?: ClickHouse; record?: (event: ReportingEvent) => void },
  log: pino.Logger,
): OptimizerLoop | undefined {
  const { ch, record } = events;
  if (config.optimizerIntervalSec === 0 || ch === undefined || record === undefined) return undefined;
  if (config.redisUrl !== undefined) {
    // Several instances share Redis: one optimizer process (`outbid optimize`) writes allocations.
    log.info('REDIS_URL set: the optimizer runs as its own process (outbid optimize), not in serve');
    return undefined;
  }
  const loop = optimizerLoop(config, store, ch, record, log);
  loop.start();
  return loop;
}
