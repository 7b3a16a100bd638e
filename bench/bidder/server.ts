/**
 * A server for the HTTP benchmark, run as a child process so autocannon and the server do not share
 * an event loop: `node --import tsx bench/bidder/server.ts <design>`. Listens on 127.0.0.1 port 0,
 * prints one JSON line `{"port":N,"metricsUrls":[…],"pids":[…]}` on stdout once ready, and exits on
 * SIGTERM or when its stdin closes (the bench process died).
 *
 * - `raw`: a bare `node:http` server that reads the whole body and answers 204 — the ceiling any
 *   Node HTTP app on this machine can reach.
 * - `fastify-parse`: bench-only, a bare fastify route that receives the body, parses it as JSON
 *   (fastify's own parser) and answers 204: what the framework costs before any bidding, so the
 *   app's distance from `raw` splits into framework and bidder.
 * - `app`: the real Outbid app (`buildApp`) with the demo campaigns in an in-memory store; parse,
 *   decide and serialise in the main thread.
 * - `app-caps`: `app` with a frequency cap (10⁶ a day: never reached) on every campaign, so every
 *   bid for a request with a user id pays the cap check and a bid-time hold (embedded stores).
 * - `app-redis`: `app-caps` with the budget ledger and the frequency counts on Redis
 *   (`BENCH_REDIS_URL`), as several instances would share them.
 * - (`app-base` is the `app` design of a baseline commit, started by http.bench.ts from a git
 *   worktree: the bid path before the budget, pacing and frequency gates.)
 * - `app-workers`: the same with 2 scoring worker threads, bodies of one event-loop turn batched
 *   into one task (the pool's default `maxBatch`).
 * - `app-hop`: 2 scoring worker threads, one task per request (`maxBatch: 1`), still raw bytes.
 * - `app-cluster`: `node:cluster`, 2 processes each running the `app` design on the same port
 *   (the primary holds the listening socket and hands connections out round-robin). Each process
 *   also serves its `/metrics` on a port of its own, so the bench can add them up.
 * - `clone-hop`: bench-only (not the app): a fastify server that parses and validates the body in
 *   the main thread and sends the parsed request object to a piscina worker per request
 *   (structured clone), which decides, builds the response object and sends it back (cloned again)
 *   for the main thread to serialise — the design ARCHITECTURE.md "Process model" warns against.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Piscina } from 'piscina';
import { ErrorBodySchema } from '../../bidder/errors.ts';
import { buildApp } from '../../bidder/index.ts';
import { loadConfig } from '../../config/index.ts';
import { type CampaignData, idGenerator, seededRng, systemClock } from '../../core/index.ts';
import { RedisBudgetStore } from '../../core/store/budget-redis-store.ts';
import { RedisFrequencyStore } from '../../core/store/frequency-redis-store.ts';
import { MemoryStateStore } from '../../core/store/memory-store.ts';
import { BidResponseSchema, parseBidRequest } from '../../openrtb/index.ts';
import { MemoryEventSink } from '../../reporting/index.ts';
import type { CloneTask, CloneWorkerInit, CloneWorkerResult } from './clone.worker.ts';
import { DESIGNS, type Design, type ReadyLine } from './designs.ts';

const HOST = '127.0.0.1';

interface Running {
  port: number;
  close: () => Promise<void>;
}

async function rawServer(): Promise<Running> {
  const server: Server = createServer((req, res) => {
    // Buffer the body like fastify does, so the ceiling pays the same read cost.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Buffer.concat(chunks);
      res.statusCode = 204;
      res.end();
    });
  });
  // Same keep-alive as the app, so neither side pays reconnects the other does not.
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function fastifyParseServer(): Promise<Running> {
  const app = Fastify({ logger: false, keepAliveTimeout: 75_000, bodyLimit: benchConfig().bodyLimitBytes });
  app.post('/openrtb2/bid', async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send();
    return reply.code(204).send();
  });
  await app.listen({ port: 0, host: HOST });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

function demoData(capped = false): CampaignData {
  const demo = readFileSync(join(import.meta.dirname, '..', '..', 'config', 'demo-data.json'), 'utf8');
  const data = JSON.parse(demo) as CampaignData;
  if (capped) for (const c of data.campaigns) c.frequencyCaps = [{ max: 1_000_000, windowSec: 86_400 }];
  return data;
}

function benchConfig() {
  return loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.bench' });
}

async function appServer(
  threads: number,
  maxBatch?: number,
  gates: 'default' | 'caps' | 'redis' = 'default',
): Promise<Running & { metrics: () => Promise<string> }> {
  const store = new MemoryStateStore();
  await store.ready();
  await store.replaceAll(demoData(gates !== 'default'));
  const redisUrl = process.env.BENCH_REDIS_URL;
  if (gates === 'redis' && redisUrl === undefined) throw new Error('app-redis needs BENCH_REDIS_URL');
  const shared =
    gates === 'redis'
      ? {
          budgetStore: new RedisBudgetStore({ url: redisUrl!, prefix: `bench:${process.pid}:` }),
          frequencyStore: new RedisFrequencyStore({ url: redisUrl!, prefix: `bench:${process.pid}:` }),
        }
      : {};
  const { app } = await buildApp({
    config: benchConfig(),
    store,
    // Bounded so a 5 s run at full speed does not grow the heap (and GC) without limit.
    sink: new MemoryEventSink(10_000),
    clock: systemClock,
    rng: seededRng(1),
    secret: 'x'.repeat(32),
    nextId: idGenerator('b-'),
    ...shared,
    ...(threads > 0 && {
      workers: {
        threads,
        taskTimeoutMs: 1000,
        seed: 1,
        idPrefix: 'w',
        ...(maxBatch !== undefined && { maxBatch }),
      },
    }),
  });
  await app.listen({ host: HOST, port: 0 });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: async () => {
      await app.close();
      await shared.budgetStore?.close();
      await shared.frequencyStore?.close();
    },
    metrics: async () => (await app.inject({ method: 'GET', url: '/metrics' })).body,
  };
}

/** The bench-only "parsed object per request" design (see the module comment). */
async function cloneHopServer(): Promise<Running> {
  const config = benchConfig();
  const sink = new MemoryEventSink(10_000);
  const init: CloneWorkerInit = { config, secret: 'x'.repeat(32), seed: 1, data: demoData() };
  // The same piscina settings as the app's pool (fixed threads, no idle teardown), so the only
  // difference from `app-hop` is what crosses the thread boundary: objects instead of bytes.
  const pool = new Piscina({
    filename: new URL('./clone.worker.ts', import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
    idleTimeout: Number.POSITIVE_INFINITY,
    atomics: 'async',
    execArgv: ['--import', 'tsx'],
    workerData: init,
  });
  // Wait until both threads have loaded their modules and compiled the snapshot.
  await Promise.all([pool.run({ warmup: true }), pool.run({ warmup: true })]);
  const app = Fastify({ logger: false, keepAliveTimeout: 75_000, bodyLimit: config.bodyLimitBytes });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post(
    '/openrtb2/bid',
    { schema: { response: { 200: BidResponseSchema, 204: {}, 400: ErrorBodySchema } } },
    async (request, reply) => {
      const receivedAt = systemClock.monotonic();
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const parsed = parseBidRequest(body, config.maxJsonDepth);
      if (!parsed.ok) return reply.code(400).send({ error: { code: parsed.code, message: parsed.message } });
      const task: CloneTask = { request: parsed.request, exchange: 'default', receivedAt };
      const r = (await pool.run(task)) as CloneWorkerResult;
      if (r.kind !== 'bid') return reply.code(204).send();
      for (const e of r.events) sink.emit(e);
      return reply.code(200).send(r.response);
    },
  );
  await app.listen({ host: HOST, port: 0 });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: async () => {
      await app.close();
      await pool.close();
    },
  };
}

/** Serves `/metrics` of one cluster process on a port of its own (`exclusive`: not shared via the primary). */
async function metricsSideServer(metrics: () => Promise<string>): Promise<Running> {
  const server = createServer((_req, res) => {
    metrics().then(
      (text) => res.end(text),
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: HOST, exclusive: true }, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function ready(line: ReadyLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function exitOn(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  // The bench holds our stdin open; if it dies, so do we.
  process.stdin.on('end', stop).resume();
}

const CLUSTER_PROCESSES = 2;

async function clusterPrimary(): Promise<void> {
  const workers = Array.from({ length: CLUSTER_PROCESSES }, () => cluster.fork());
  const started = await Promise.all(
    workers.map(
      (w) =>
        new Promise<{ port: number; metricsPort: number }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('exit', (code) => reject(new Error(`cluster worker exited (${code}) before listening`)));
        }),
    ),
  );
  const ports = new Set(started.map((s) => s.port));
  if (ports.size !== 1)
    throw new Error(`cluster workers listen on different ports: ${[...ports].join(', ')}`);
  ready({
    port: started[0]!.port,
    metricsUrls: started.map((s) => `http://${HOST}:${s.metricsPort}/metrics`),
    pids: [process.pid, ...workers.map((w) => w.process.pid!)],
  });
  exitOn(async () => {
    await Promise.all(
      workers.map((w) => {
        if (w.isDead()) return undefined;
        const exited = new Promise((resolve) => w.once('exit', resolve));
        w.process.kill('SIGTERM');
        return exited;
      }),
    );
  });
}

async function clusterWorker(): Promise<void> {
  // listen(0) in a cluster worker is delegated to the primary: every worker gets the same port.
  const app = await appServer(0);
  const side = await metricsSideServer(app.metrics);
  process.send!({ port: app.port, metricsPort: side.port });
  process.once('SIGTERM', () => {
    Promise.all([app.close(), side.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

async function main(mode: Design): Promise<void> {
  if (mode === 'app-cluster') return cluster.isPrimary ? clusterPrimary() : clusterWorker();
  if (mode === 'app-base') throw new Error("app-base runs the baseline commit's server.ts (http.bench.ts)");
  const server =
    mode === 'raw'
      ? await rawServer()
      : mode === 'fastify-parse'
        ? await fastifyParseServer()
        : mode === 'clone-hop'
          ? await cloneHopServer()
          : await appServer(
              mode === 'app' || mode === 'app-caps' || mode === 'app-redis' ? 0 : 2,
              mode === 'app-hop' ? 1 : undefined,
              mode === 'app-caps' ? 'caps' : mode === 'app-redis' ? 'redis' : 'default',
            );
  const url = `http://${HOST}:${server.port}`;
  ready({
    port: server.port,
    metricsUrls: mode === 'raw' || mode === 'fastify-parse' || mode === 'clone-hop' ? [] : [`${url}/metrics`],
    pids: [process.pid],
  });
  exitOn(server.close);
}

const mode = process.argv[2];
if (!(DESIGNS as readonly string[]).includes(mode ?? '')) {
  console.error(`usage: server.ts ${DESIGNS.join('|')}`);
  process.exit(2);
}
await main(mode as Design);
