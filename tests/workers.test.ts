import { afterEach, describe, expect, it } from 'vitest';
import { type Bidder, buildApp } from '../bidder/index.ts';
import { loadConfig } from '../config/index.ts';
import { idGenerator, seededRng, systemClock } from '../core/index.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import { MemoryEventSink } from '../reporting/index.ts';
import { prebidServerRequests } from './support/corpus.ts';
import { demoData, testApp } from './support/test-app.ts';

const RATES = '{"EUR":1.08,"GBP":1.27,"JPY":0.0067}';
const BANNER = {
  id: 'w-1',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  site: { domain: 'example.com' },
  tmax: 1000,
};

const open: Bidder[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.app.close();
});

async function workerApp(opts: { filename?: string; taskTimeoutMs?: number } = {}) {
  const store = new MemoryStateStore();
  await store.ready();
  await store.replaceAll(demoData());
  const sink = new MemoryEventSink();
  const bidder = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.test', CURRENCY_RATES: RATES }),
    store,
    sink,
    clock: systemClock,
    rng: seededRng(1),
    secret: 'test-secret-test-secret-test-secret',
    nextId: idGenerator('m-'),
    workers: {
      threads: 2,
      taskTimeoutMs: opts.taskTimeoutMs ?? 5000,
      seed: 1,
      idPrefix: 'w',
      ...(opts.filename !== undefined && { filename: opts.filename }),
    },
  });
  open.push(bidder);
  return { ...bidder, store, sink };
}

const post = (b: Bidder, payload: unknown) =>
  b.app.inject({
    method: 'POST',
    url: '/openrtb2/bid',
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

/** A bid without what legitimately differs between runs (ids, signatures, the random creative pick). */
function comparable(body: string) {
  const json = JSON.parse(body) as { cur: string; seatbid: { bid: Record<string, unknown>[] }[] };
  return {
    cur: json.cur,
    bids: json.seatbid.flatMap((s) =>
      s.bid.map((b) => ({ impid: b.impid, price: b.price, cid: b.cid, mtype: b.mtype, dealid: b.dealid })),
    ),
  };
}

describe('scoring worker threads', () => {
  it('answer the corpus exactly as the main thread does', async () => {
    const workers = await workerApp();
    const inline = await testApp({ env: { CURRENCY_RATES: RATES } });
    open.push(inline);
    const bodies = prebidServerRequests().filter((b) => b.role === 'outgoing_to_bidder');
    let bids = 0;
    for (const b of bodies) {
      // tmax large enough that a cold worker never turns a bid into DEADLINE.
      const body = b.body.replace(/^\{/, '{"tmax":5000,');
      const [w, m] = await Promise.all([post(workers, body), post(inline, body)]);
      expect(w.statusCode, b.source).toBe(m.statusCode);
      if (m.statusCode === 200) {
        expect(comparable(w.body), b.source).toEqual(comparable(m.body));
        bids++;
      } else if (m.statusCode === 400) expect(w.json().error.code).toBe(m.json().error.code);
    }
    expect(bids).toBeGreaterThan(300);
    expect(workers.sink.ofType('bid').length).toBeGreaterThanOrEqual(bids);
  });

  it('batch concurrent requests and give every bid a unique id', async () => {
    const w = await workerApp();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(w, { ...BANNER, id: `c-${i}` })),
    );
    const ids = results.map((r) => {
      expect(r.statusCode).toBe(200);
      return r.json().seatbid[0].bid[0].id as string;
    });
    expect(new Set(ids).size).toBe(200);
    expect(results.map((r) => r.json().id)).toEqual(Array.from({ length: 200 }, (_, i) => `c-${i}`));
  });

  it('pick up campaign changes without a restart', async () => {
    const w = await workerApp();
    expect((await post(w, BANNER)).statusCode).toBe(200);
    const campaign = (await w.store.get('campaign', 'cmp-display'))!;
    await w.store.put('campaign', { ...campaign, status: 'paused' });
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await post(w, BANNER)).statusCode;
    }
    expect(status).toBe(204);
  });

  it.each([
    ['throws', 'FAULT_THROW', 5000],
    ['crashes', 'FAULT_CRASH', 5000],
    ['hangs', 'FAULT_HANG', 300],
  ])('turn a worker that %s into a counted no-bid, and recover', async (_name, marker, taskTimeoutMs) => {
    const w = await workerApp({
      filename: new URL('./support/faulty-bid.worker.ts', import.meta.url).href,
      taskTimeoutMs,
    });
    const bad = await post(w, { ...BANNER, id: marker });
    expect(bad.statusCode).toBe(204);
    const metrics = (await w.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('outbid_worker_failures_total 1');
    expect(metrics).toContain('outbid_bid_requests_total{outcome="nobid",reason="WORKER_FAILED"} 1');
    for (let i = 0; i < 4; i++) expect((await post(w, BANNER)).statusCode).toBe(200);
    expect(w.pool?.threads).toBe(2);
  });
});
