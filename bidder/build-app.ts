import { hostname } from 'node:os';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Config } from '../config/index.ts';
import type { CampaignData, Clock, ProfileStore, Rng, StateStore } from '../core/index.ts';
import { MemoryBudgetStore } from '../core/store/budget-memory-store.ts';
import type { BudgetStore } from '../core/store/budget-store.ts';
import { MemoryFrequencyStore } from '../core/store/frequency-memory-store.ts';
import type { FrequencyStore } from '../core/store/frequency-store.ts';
import type { ClickHouse, EventSink } from '../reporting/index.ts';
import { CampaignIndex } from './campaign-index.ts';
import { BidderErrors } from './errors.ts';
import { BidGates } from './gates/bid-gates.ts';
import { registerGateMetrics } from './gates/gate-metrics.ts';
import { type BidderMetrics, createMetrics } from './metrics.ts';
import { NoticeLedger } from './notices/billing-ledger.ts';
import { NoticeSigner } from './notices/notice-signer.ts';
import { bidRoutes } from './routes/bid.ts';
import { healthRoutes } from './routes/health.ts';
import { noticeRoutes } from './routes/notices.ts';
import { pacingApi } from './routes/pacing-api.ts';
import { profilesApi } from './routes/profiles-api.ts';
import { reportsApi } from './routes/reports-api.ts';
import { trackingRoutes } from './routes/tracking.ts';
import { BidWorkerPool } from './workers/bid-worker-pool.ts';

/** Everything the app is built from; the composition root (CLI) or a test supplies it. */
export interface AppDeps {
  config: Config;
  store: StateStore;
  sink: EventSink;
  /** The ClickHouse the sink writes to, for `/api/v1/reports`; absent: reports answer REPORT_UNAVAILABLE. */
  clickhouse?: ClickHouse;
  clock: Clock;
  rng: Rng;
  /** HMAC key for notice URLs. */
  secret: string;
  /** Makes unique bid ids. */
  nextId: () => string;
  /** A pino logger; none (silent) in tests. */
  logger?: FastifyBaseLogger;
  /** The profile store the main thread looks users up in (workers reach Redis themselves, see `workers.redis`). */
  profiles?: ProfileStore;
  /** Include Node process metrics in /metrics. */
  processMetrics?: boolean;
  /** Shared budget ledger (Redis with several instances); default: an embedded one, closed with the app. */
  budgetStore?: BudgetStore;
  /** Shared frequency counts (Redis with several instances); default: an embedded one, closed with the app. */
  frequencyStore?: FrequencyStore;
  /** This process's name in budget leases; default INSTANCE_ID, else host-pid-start. Unique per running app. */
  holder?: string;
  /** Period of the gates' background work (lease renewal, pacing's spend sync); default 1000 ms. */
  gateTickMs?: number;
  /** Scoring worker threads; absent or 0 threads: evaluate in the main thread. */
  workers?: {
    threads: number;
    taskTimeoutMs: number;
    seed: number;
    idPrefix: string;
    /** Worker module (tests swap in a faulty one). */
    filename?: string;
    /** Largest batch per task (1 = one hop per request, for the hop-design benchmark). */
    maxBatch?: number;
    /** Redis holding user profiles; each worker opens its own connection. Absent: workers score without profiles. */
    redis?: { url: string; prefix: string; cluster?: boolean };
  };
}

/** The app plus handles tests and the CLI use. */
export interface Bidder {
  app: FastifyInstance;
  /** The scoring worker pool, when threads are configured. */
  pool: BidWorkerPool | undefined;
  /** Budget, pacing and frequency gates. */
  gates: BidGates;
  index: CampaignIndex;
  metrics: BidderMetrics;
}

const BID_ROUTE = '/openrtb2/bid';

let appsBuilt = 0;

/**
 * Builds the bidder's fastify app without listening (tests use `app.inject`, `main` listens).
 * Loads the campaign snapshot before resolving, so a built app is ready to bid.
 */
export async function buildApp(deps: AppDeps): Promise<Bidder> {
  const { config, clock } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Request logs cost more than a bid on the hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    keepAliveTimeout: 75_000,
    // While draining, requests on open keep-alive connections are still answered normally: a 503
    // would be a 5xx to the exchange. Load balancers learn about the shutdown from /readyz.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  const metrics = createMetrics(deps.processMetrics ?? false);
  let closing = false;
  let pool: BidWorkerPool | undefined;
  let latestData: CampaignData | undefined;
  const index = new CampaignIndex(deps.store, {
    rng: deps.rng,
    onError: (err) => app.log.error({ err }, 'campaign snapshot rebuild failed; keeping the last good one'),
    onSwap: (snap, data) => {
      latestData = data;
      gates.sync(snap);
      void gates.warm();
      pool?.publish(snap.version, data, snap.sharedScoring);
      metrics.snapshotVersion.set(snap.version);
      metrics.activeLineItems.set(snap.lineItems.length);
      app.log.info({ version: snap.version, lineItems: snap.lineItems.length }, 'campaign snapshot loaded');
    },
  });
  const signer = new NoticeSigner(deps.secret);
  const budgetStore = deps.budgetStore ?? new MemoryBudgetStore({ clock });
  const frequencyStore = deps.frequencyStore ?? new MemoryFrequencyStore();
  appsBuilt += 1;
  const gates = new BidGates({
    budgetStore,
    frequencyStore,
    clock,
    rng: deps.rng,
    signer,
    holder:
      deps.holder ??
      config.instanceId ??
      `${hostname()
        .replace(/[^A-Za-z0-9_.:-]/g, '-')
        .slice(0, 40)}-${process.pid}-${clock.now()}-${appsBuilt}`,
    leaseTtlMs: config.budgetLeaseTtlMs,
    storeDeadlineMs: config.budgetStoreDeadlineMs,
    frequencyTimeoutMs: config.frequencyTimeoutMs,
    unknownUsers: config.frequencyUnknownUsers,
    pacingCurve: config.pacingCurve,
    ...(deps.gateTickMs !== undefined && { tickMs: deps.gateTickMs }),
    onError: (err) => app.log.error({ err }, 'budget/frequency gate'),
  });
  registerGateMetrics(metrics.registry, gates);
  const receivedAtKey = Symbol('receivedAt');
  app.addHook('onRequest', async (req) => {
    (req as unknown as Record<symbol, number>)[receivedAtKey] = clock.monotonic();
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A request that arrived before close() started lands on a keep-alive socket that Node only
  // reaps when idle at close() time; telling the client to close lets the drain finish promptly.
  // Callback style: an async hook costs a promise per request on the bid path.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', async () => {
    index.stop();
    await pool?.close();
    const { unsentSettlements } = await gates.close();
    if (unsentSettlements > 0) {
      app.log.error({ unsentSettlements }, 'billing settlements not sent to the budget store at shutdown');
    }
    if (deps.budgetStore === undefined) await budgetStore.close();
    if (deps.frequencyStore === undefined) await frequencyStore.close();
  });

  app.setNotFoundHandler((req, reply) => {
    const e = BidderErrors.HTTP_NOT_FOUND;
    void reply
      .code(e.statusCode)
      .send({ error: { code: e.code, message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? BidderErrors.BID_BODY_TOO_LARGE.code
          : err.code?.startsWith('BID_') || err.code?.startsWith('NOTICE_') || err.code?.startsWith('API_')
            ? err.code
            : BidderErrors.HTTP_BAD_REQUEST.code;
      if (req.routeOptions.url === BID_ROUTE) metrics.request('invalid', code, 0);
      // Oversize bodies are a client fault like any other: 400 with the reason (not 413), per the bid API contract.
      return reply
        .code(code === BidderErrors.BID_BODY_TOO_LARGE.code ? 400 : status)
        .send({ error: { code, message: err.message } });
    }
    if (req.routeOptions.url === BID_ROUTE) {
      // A fault of ours must not surface as a 5xx to an exchange: no-bid, logged and counted.
      req.log.error({ err }, 'bid route failed; answering no-bid');
      metrics.request('nobid', 'TECHNICAL_ERROR', 0);
      return reply.code(204).send();
    }
    req.log.error({ err }, 'request failed');
    const e = BidderErrors.INTERNAL;
    return reply.code(e.statusCode).send({ error: { code: e.code, message: 'internal error' } });
  });

  const isClosing = () => closing;
  await app.register(healthRoutes, { index, metrics, isClosing });
  await app.register(bidRoutes, {
    config,
    index,
    sink: deps.sink,
    metrics,
    signer,
    clock,
    rng: deps.rng,
    nextId: deps.nextId,
    pool: () => pool,
    gates,
    profiles: deps.profiles,
    receivedAt: (req) => (req as unknown as Record<symbol, number>)[receivedAtKey] ?? clock.monotonic(),
  });
  await app.register(profilesApi, { config, profiles: deps.profiles });
  await app.register(pacingApi, { config, gates });
  await app.register(noticeRoutes, {
    config,
    sink: deps.sink,
    metrics,
    signer,
    ledger: new NoticeLedger(config.noticeDedupTtlSec * 1000),
    gates,
    clock,
    learn: (lineItemId, outcome) => {
      index.strategies.observe(lineItemId, outcome);
      pool?.observe(lineItemId, outcome);
    },
  });
  await app.register(trackingRoutes, {
    config,
    sink: deps.sink,
    signer,
    ledger: new NoticeLedger(config.noticeDedupTtlSec * 1000),
    clock,
  });
  await app.register(reportsApi, { config, clickhouse: deps.clickhouse });
  await index.start();
  // The first bids must find budget leased, not a lease on its way.
  await gates.warm();
  gates.start();
  if (deps.workers && deps.workers.threads > 0) {
    // Started after the first snapshot so every thread begins with the campaigns, then awaited so a
    // built app never queues bids behind threads still loading.
    const snap = index.current!;
    pool = new BidWorkerPool(
      {
        threads: deps.workers.threads,
        config,
        secret: deps.secret,
        seed: deps.workers.seed,
        idPrefix: deps.workers.idPrefix,
        taskTimeoutMs: deps.workers.taskTimeoutMs,
        ...(deps.workers.filename !== undefined && { filename: deps.workers.filename }),
        ...(deps.workers.maxBatch !== undefined && { maxBatch: deps.workers.maxBatch }),
        ...(deps.workers.redis !== undefined && { redis: deps.workers.redis }),
      },
      { version: snap.version, data: latestData!, scoring: snap.sharedScoring },
    );
    await pool.ready();
  }
  return { app, index, metrics, pool, gates };
}
