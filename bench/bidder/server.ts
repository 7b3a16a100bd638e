/**
 * A server for the HTTP benchmark, run as a child process so autocannon and the server do not share
 * an event loop: `node --import tsx bench/bidder/server.ts raw|app|app-workers`. Listens on 127.0.0.1 port 0,
 * prints `{"port":N}` on stdout once ready, and exits on SIGTERM.
 *
 * - `raw`: a bare `node:http` server that reads the whole body and answers 204 — the ceiling any
 *   Node HTTP app on this machine can reach.
 * - `app`: the real Outbid app (`buildApp`) with the demo campaigns in an in-memory store.
 * - `app-workers`: the same with 2 scoring worker threads (WORKERS=2).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildApp } from '../../bidder/index.ts';
import { loadConfig } from '../../config/index.ts';
import { type CampaignData, idGenerator, seededRng, systemClock } from '../../core/index.ts';
import { MemoryStateStore } from '../../core/store/memory-store.ts';
import { MemoryEventSink } from '../../reporting/index.ts';

const HOST = '127.0.0.1';

async function rawServer(): Promise<{ port: number; close: () => Promise<void> }> {
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

async function appServer(threads: number): Promise<{ port: number; close: () => Promise<void> }> {
  const store = new MemoryStateStore();
  await store.ready();
  const demo = readFileSync(join(import.meta.dirname, '..', '..', 'config', 'demo-data.json'), 'utf8');
  await store.replaceAll(JSON.parse(demo) as CampaignData);
  const { app } = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.bench' }),
    store,
    // Bounded so a 5 s run at full speed does not grow the heap (and GC) without limit.
    sink: new MemoryEventSink(10_000),
    clock: systemClock,
    rng: seededRng(1),
    secret: 'x'.repeat(32),
    nextId: idGenerator('b-'),
    workers: { threads, taskTimeoutMs: 1000, seed: 1, idPrefix: 'w' },
  });
  await app.listen({ host: HOST, port: 0 });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

const mode = process.argv[2];
if (mode !== 'raw' && mode !== 'app' && mode !== 'app-workers') {
  console.error('usage: server.ts raw|app|app-workers');
  process.exit(2);
}
const server = mode === 'raw' ? await rawServer() : await appServer(mode === 'app-workers' ? 2 : 0);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
