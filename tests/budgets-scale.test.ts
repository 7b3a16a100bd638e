import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.ts';
import { budgetDayKey } from '../core/store/budget-day-key.ts';
import { RedisBudgetStore } from '../core/store/budget-redis-store.ts';
import { fillNotice, gateCampaign, gateData, gateLineItem } from './support/gate-data.ts';
import { startPersistentRedis } from './support/persistent-redis.ts';
import { type Running, ServeProcesses } from './support/serve-process.ts';

/**
 * Issue 4's acceptance on real processes: four `outbid serve` instances behind a round-robin
 * "load balancer" (this test), one Redis with an fsync-always append-only file (what a budget
 * Redis must run with), billing notices for every win sent to another instance than the one
 * that bid.
 */

const INSTANCES = 4;
const LEASE_TTL_MS = 3_000;
const SECRET = 'x'.repeat(40);
const PREFIX = 'scale:';
/** Fixed 2.00 CPM: every impression costs 2,000 micros, the most any bid can cost. */
const CPM_MICROS = 2_000_000;
const IMP_COST = 2_000;
const DAILY = 2_000_000; // 1,000 impressions

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => systemClock.monotonic();

const DATA = gateData(
  [
    gateCampaign('cmp-budget', DAILY),
    gateCampaign('cmp-caps', 1_000_000_000, { frequencyCaps: [{ max: 3, windowSec: 3600 }] }),
    gateCampaign('cmp-notices', 1_000_000_000),
    gateCampaign('cmp-outage', 1_000_000_000),
  ],
  [
    gateLineItem('li-budget', 'cmp-budget', 'budget.example', CPM_MICROS),
    gateLineItem('li-caps', 'cmp-caps', 'caps.example', CPM_MICROS),
    gateLineItem('li-notices', 'cmp-notices', 'notices.example', CPM_MICROS),
    gateLineItem('li-outage', 'cmp-outage', 'outage.example', CPM_MICROS),
  ],
);

let seq = 0;
function request(domain: string, userId?: string): string {
  seq += 1;
  return JSON.stringify({
    id: `r-${seq}`,
    imp: [{ id: '1', banner: { w: 300, h: 250 } }],
    site: { domain, page: `https://${domain}/p` },
    ...(userId !== undefined && { user: { id: userId } }),
    tmax: 1000,
  });
}

interface Bid {
  id: string;
  burl: string;
  nurl: string;
  lurl: string;
  price: number;
}

describe('budgets and caps across 4 bidder processes on one Redis', () => {
  const processes = new ServeProcesses();
  let redis: Awaited<ReturnType<typeof startPersistentRedis>>;
  let ledger: RedisBudgetStore;
  let bidders: Running[] = [];
  let next = 0;

  const base = (i: number) => `http://127.0.0.1:${bidders[i % INSTANCES]!.port}`;

  /** Posts a bid request round-robin; answers the bid (200) or undefined (204). */
  async function bid(body: string): Promise<{ bid: Bid | undefined; instance: number; status: number }> {
    const instance = next++ % INSTANCES;
    const res = await fetch(`${base(instance)}/openrtb2/bid`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    if (res.status === 204) return { bid: undefined, instance, status: 204 };
    const json = (await res.json()) as { seatbid: { bid: Bid[] }[] };
    return { bid: json.seatbid[0]!.bid[0], instance, status: res.status };
  }

  /** Sends a notice URL to an instance (its host replaced: any instance may receive any notice). */
  async function notice(url: string, instance: number): Promise<{ status: number; body: string }> {
    const u = new URL(url);
    const res = await fetch(`${base(instance)}${u.pathname}${u.search}`);
    return { status: res.status, body: await res.text() };
  }

  const spentToday = async (campaignId: string) =>
    (await ledger.spend(campaignId, budgetDayKey('UTC', systemClock.now()))).dayMicros;

  beforeAll(async () => {
    redis = await startPersistentRedis();
    ledger = new RedisBudgetStore({ url: redis.url, prefix: PREFIX, onError: () => undefined });
    const dir = processes.dataDir();
    const dataFile = join(dir, 'campaigns.json');
    writeFileSync(dataFile, JSON.stringify(DATA));
    for (let i = 0; i < INSTANCES; i++) {
      // One at a time: the first seeds the empty Redis store, the others find the campaigns there.
      bidders.push(
        await processes.start({
          DATA_DIR: processes.dataDir(),
          REDIS_URL: redis.url,
          REDIS_PREFIX: PREFIX,
          OUTBID_SECRET: SECRET,
          DEMO_DATA: dataFile,
          INSTANCE_ID: `bidder-${i}`,
          BUDGET_LEASE_TTL_MS: String(LEASE_TTL_MS),
          // Four processes and the load share two cores: give the stores room before failing closed.
          BUDGET_STORE_DEADLINE_MS: '500',
          FREQUENCY_TIMEOUT_MS: '500',
          LOG_LEVEL: 'info',
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    processes.cleanup();
    bidders = [];
    await ledger?.close();
    await redis?.stop();
  });

  it('spends at least 98 % of a daily budget and never more than one max bid per instance above it', {
    timeout: 120_000,
  }, async () => {
    let billedMicros = 0;
    let wins = 0;
    let denied = 0;
    let lastWinAt = now();
    const worker = async () => {
      // Traffic goes on until no bid has been won for 3 s (two lease renewals: every instance has
      // learnt what the others settled for it), so "sufficient traffic" is what ends it.
      while (now() - lastWinAt < 3_000) {
        const r = await bid(request('budget.example'));
        if (r.bid === undefined) {
          denied += 1;
          await sleep(2);
          continue;
        }
        wins += 1;
        lastWinAt = now();
        // Second price: the clearing price is below our bid; billed on another instance.
        const clearing = 1.5;
        const res = await notice(fillNotice(r.bid.burl, clearing), r.instance + 1);
        expect(res.status).toBe(200);
        billedMicros += Math.round((clearing * 1_000_000) / 1000);
      }
    };
    await Promise.all(Array.from({ length: 32 }, () => worker()));
    const spent = await spentToday('cmp-budget');
    expect(spent).toBe(billedMicros);
    expect(spent).toBeLessThanOrEqual(DAILY + INSTANCES * IMP_COST);
    expect(spent).toBeGreaterThanOrEqual(0.98 * DAILY);
    expect(denied).toBeGreaterThan(0); // the budget, not the traffic, ended it
    expect(wins).toBe(billedMicros / 1500);
    for (const b of bidders) expect(b.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${base(0)}/metrics`)).text();
    expect(metrics).toMatch(/outbid_bid_requests_total\{outcome="nobid",reason="BUDGET_EXHAUSTED"\} [1-9]/);
  });

  it('holds a frequency cap exactly under concurrent requests spread over the instances', {
    timeout: 60_000,
  }, async () => {
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    const served = new Map<string, number>(users.map((u) => [u, 0]));
    // Three waves of 6 concurrent requests per user, each to the next instance round-robin.
    for (let wave = 0; wave < 3; wave++) {
      await Promise.all(
        users.flatMap((u) =>
          Array.from({ length: 6 }, async () => {
            const r = await bid(request('caps.example', u));
            if (r.bid === undefined) return;
            served.set(u, served.get(u)! + 1);
            const res = await notice(fillNotice(r.bid.burl, 2), r.instance + 2);
            expect(res.status).toBe(200);
          }),
        ),
      );
    }
    expect([...served.values()]).toEqual(users.map(() => 3));
    const metrics = await (await fetch(`${base(1)}/metrics`)).text();
    expect(metrics).toMatch(/outbid_bid_requests_total\{outcome="nobid",reason="FREQUENCY_CAPPED"\} [1-9]/);
  });

  it('counts duplicate and out-of-order notices once, whichever instance receives them', async () => {
    const before = await spentToday('cmp-notices');
    const r = await bid(request('notices.example'));
    expect(r.bid).toBeDefined();
    const b = r.bid!;
    // Billing first, on another instance; then the win; then the billing retried on two others.
    const first = await notice(fillNotice(b.burl, 1.25), r.instance + 1);
    expect(JSON.parse(first.body)).toEqual({ status: 'recorded' });
    expect((await notice(fillNotice(b.nurl, 1.25), r.instance + 2)).status).toBe(200);
    for (const k of [2, 3, 1]) {
      const again = await notice(fillNotice(b.burl, 1.25), r.instance + k);
      expect(JSON.parse(again.body)).toEqual({ status: 'duplicate' });
    }
    expect((await spentToday('cmp-notices')) - before).toBe(1250);
    // A forged reservation is refused: the gate parameters are signed.
    const forged = fillNotice(b.burl, 1.25).replace(/&r=[^&]*/, '&r=cmp-notices~1~2026-01-01~x.1');
    expect((await notice(forged, r.instance)).status).toBe(400);
  });

  it('stops bidding while Redis is down, keeps serving, resumes after restart, and reconciles spend exactly', {
    timeout: 120_000,
  }, async () => {
    const before = await spentToday('cmp-outage');
    let billedMicros = 0;
    const bidTimes: number[] = [];
    const statuses = new Set<number>();
    let stop = false;
    const worker = async () => {
      while (!stop) {
        let r: Awaited<ReturnType<typeof bid>>;
        try {
          r = await bid(request('outage.example'));
        } catch (err) {
          throw new Error(`a bidder stopped answering: ${(err as Error).message}`);
        }
        statuses.add(r.status);
        if (r.bid === undefined) {
          await sleep(5);
          continue;
        }
        bidTimes.push(now());
        const res = await notice(fillNotice(r.bid.burl, 2), r.instance + 1);
        expect(res.status).toBe(200);
        billedMicros += 2000;
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, () => worker()));
    await sleep(1_500);
    await redis.kill();
    const killedAt = now();
    await sleep(LEASE_TTL_MS + 2_000);
    await redis.restart();
    const restartedAt = now();
    await sleep(4_000);
    stop = true;
    await load;

    for (const b of bidders) expect(b.child.exitCode).toBeNull();
    expect([...statuses].sort()).toEqual([200, 204]);
    expect(bidTimes.filter((t) => t < killedAt).length).toBeGreaterThan(0);
    // A lease is usable until its TTL (minus a margin) after the last lease call: none after that.
    expect(bidTimes.filter((t) => t > killedAt + LEASE_TTL_MS && t < restartedAt)).toEqual([]);
    expect(bidTimes.filter((t) => t > restartedAt).length).toBeGreaterThan(0);
    // Settlements queued during the outage are retried by each instance's gate tick.
    let spent = 0;
    for (let i = 0; i < 40; i++) {
      spent = (await spentToday('cmp-outage')) - before;
      if (spent === billedMicros) break;
      await sleep(250);
    }
    expect(spent).toBe(billedMicros);
    const metrics = await (await fetch(`${base(0)}/metrics`)).text();
    expect(metrics).toMatch(/outbid_bid_requests_total\{outcome="nobid",reason="BUDGET_UNAVAILABLE"\} [1-9]/);
  });
});
