import { afterEach, describe, expect, it } from 'vitest';
import { type Bidder, buildApp } from '../bidder/index.ts';
import { loadConfig } from '../config/index.ts';
import { type CampaignData, idGenerator, ManualClock, seededRng, systemClock } from '../core/index.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import { MemoryEventSink } from '../reporting/index.ts';
import { fillNotice, gateCampaign, gateData, gateLineItem } from './support/gate-data.ts';
import { testApp } from './support/test-app.ts';

/** The budget, pacing and frequency gates through the HTTP routes of one in-process app (embedded stores). */

const ADMIN = 'admin-key-admin-key-admin-key';
const open: Bidder[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.app.close();
});

async function app(data: CampaignData, env: Record<string, string> = {}, clock?: ManualClock) {
  const b = await testApp({ data, env: { OUTBID_ADMIN_KEY: ADMIN, ...env }, ...(clock && { clock }) });
  open.push(b);
  return b;
}

let seq = 0;
function body(domain: string, extra: Record<string, unknown> = {}, imps = 1) {
  seq += 1;
  return JSON.stringify({
    id: `g-${seq}`,
    imp: Array.from({ length: imps }, (_, i) => ({ id: String(i + 1), banner: { w: 300, h: 250 } })),
    site: { domain },
    tmax: 1000,
    ...extra,
  });
}

type Bid = {
  id: string;
  impid: string;
  burl: string;
  nurl: string;
  lurl: string;
  price: number;
  exp?: number;
};

async function bid(b: Bidder, payload: string) {
  const res = await b.app.inject({ method: 'POST', url: '/openrtb2/bid', payload });
  const bids: Bid[] = res.statusCode === 200 ? res.json().seatbid.flatMap((s: { bid: Bid[] }) => s.bid) : [];
  return { status: res.statusCode, bids };
}

async function notice(b: Bidder, url: string, price: number) {
  const u = new URL(fillNotice(url, price));
  const res = await b.app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
  return { status: res.statusCode, body: res.json() as { status?: string } };
}

async function nobidReasons(b: Bidder): Promise<Record<string, number>> {
  const text = (await b.app.inject({ method: 'GET', url: '/metrics' })).body;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/outbid_bid_requests_total\{outcome="nobid",reason="([A-Z_]+)"\} (\d+)/g)) {
    if (Number(m[2]) > 0) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('budget gate on the bid path', () => {
  it('signs the reservation into the notice URLs, settles at billing and gives it back on loss', async () => {
    const b = await app(
      gateData([gateCampaign('c1', 1_000_000)], [gateLineItem('l1', 'c1', 'a.example', 2_000_000)]),
    );
    const first = await bid(b, body('a.example'));
    expect(first.status).toBe(200);
    const x = first.bids[0]!;
    expect(x.burl).toMatch(/&r=c1~\d+~\d{4}-\d{2}-\d{2}~[^&]+&u=&gs=[\w-]+&price=/);
    expect(x.exp).toBe(60);
    const held = () => b.gates.balances().c1!;
    expect(held().reservedMicros).toBe(2_000);
    expect((await notice(b, x.burl, 1.2)).body).toEqual({ status: 'recorded' });
    expect(held().reservedMicros).toBe(0);
    expect((await notice(b, x.burl, 1.2)).body).toEqual({ status: 'duplicate' });

    const second = (await bid(b, body('a.example'))).bids[0]!;
    const available = held().availableMicros;
    expect(held().reservedMicros).toBe(2_000);
    expect((await notice(b, second.lurl, 0)).status).toBe(200);
    expect(held()).toMatchObject({ reservedMicros: 0, availableMicros: available + 2_000 });
    expect(b.gates.budgetCounters().settled.recorded).toBe(1);
  });

  it('stops at the daily budget: billed spend never exceeds it, then BUDGET_EXHAUSTED', async () => {
    // 10 impressions at 2,000 micros; clearing at the bid price.
    const b = await app(
      gateData([gateCampaign('c1', 20_000)], [gateLineItem('l1', 'c1', 'a.example', 2_000_000)]),
    );
    let billed = 0;
    for (let i = 0; i < 15; i++) {
      const r = await bid(b, body('a.example'));
      for (const x of r.bids) {
        await notice(b, x.burl, 2);
        billed += 2_000;
      }
    }
    expect(billed).toBe(20_000);
    expect(await nobidReasons(b)).toEqual({ BUDGET_EXHAUSTED: 5 });
  });

  it('caps a line item at its budget share and the advertiser at its daily cap', async () => {
    const data = gateData(
      [gateCampaign('c1', 20_000), gateCampaign('c2', 100_000)],
      [
        gateLineItem('l-half', 'c1', 'a.example', 2_000_000, { budgetShare: 0.5 }),
        gateLineItem('l-other', 'c2', 'b.example', 2_000_000),
      ],
      { dailyBudgetMicros: 16_000 },
    );
    const b = await app(data);
    let halfWins = 0;
    for (let i = 0; i < 8; i++) {
      for (const x of (await bid(b, body('a.example'))).bids) {
        halfWins += 1;
        await notice(b, x.burl, 2);
      }
    }
    expect(halfWins).toBe(5); // 50 % of 20,000 = 10,000 = 5 impressions
    let otherWins = 0;
    for (let i = 0; i < 8; i++) {
      for (const x of (await bid(b, body('b.example'))).bids) {
        otherWins += 1;
        await notice(b, x.burl, 2);
      }
    }
    expect(otherWins).toBe(3); // the advertiser's 16,000 minus the 10,000 already spent
    expect(Object.keys(b.gates.balances()).sort()).toEqual(['adv:adv-1', 'c1', 'c2', 'li:l-half']);
  });

  it('lets the next-best line item bid when the best one has no budget left', async () => {
    const data = gateData(
      [gateCampaign('rich', 1_000_000), gateCampaign('poor', 4_000)],
      [
        gateLineItem('l-poor', 'poor', 'a.example', 4_000_000),
        gateLineItem('l-rich', 'rich', 'a.example', 1_000_000),
      ],
    );
    const b = await app(data);
    const prices: number[] = [];
    for (let i = 0; i < 3; i++) {
      const x = (await bid(b, body('a.example'))).bids[0]!;
      prices.push(x.price);
      await notice(b, x.burl, x.price);
    }
    expect(prices).toEqual([4, 1, 1]);
  });

  it('reserves for each imp and drops the bids the budget cannot cover (worker threads, serialised response)', async () => {
    // 100,000 of budget: the first lease is a 10 % slice, five 2,000 impressions.
    const data = gateData([gateCampaign('c1', 100_000)], [gateLineItem('l1', 'c1', 'a.example', 2_000_000)]);
    const store = new MemoryStateStore();
    await store.ready();
    await store.replaceAll(data);
    const w = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.test' }),
      store,
      sink: new MemoryEventSink(),
      clock: systemClock,
      rng: seededRng(1),
      secret: 'test-secret-test-secret-test-secret',
      nextId: idGenerator('w-'),
      workers: { threads: 1, taskTimeoutMs: 5000, seed: 1, idPrefix: 'w' },
    });
    open.push(w);
    // Of eight imps the lease covers five: three bids are dropped, the JSON is re-serialised.
    const r = await bid(w, body('a.example', {}, 8));
    expect(r.status).toBe(200);
    expect(r.bids.map((x) => x.impid)).toEqual(['1', '2', '3', '4', '5']);
    for (const x of r.bids) expect(x.burl).toMatch(/&r=c1~[^&]+&u=&gs=[\w-]+&price=/);
    expect(w.gates.balances().c1!.reservedMicros).toBe(10_000);
    expect(w.gates.budgetCounters().denied.pending).toBe(3);
  });
});

describe('frequency caps on the bid path', () => {
  const capped = () =>
    gateData(
      [
        gateCampaign('c1', 1_000_000, { frequencyCaps: [{ max: 2, windowSec: 3600 }] }),
        gateCampaign('c2', 1_000_000),
      ],
      [
        gateLineItem('l-capped', 'c1', 'a.example', 3_000_000),
        gateLineItem('l-backup', 'c2', 'a.example', 1_000_000, {
          frequencyCaps: [{ max: 1, windowSec: 60 }],
        }),
      ],
    );

  it('counts billed impressions per user and hands the imp to the next line item once capped', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T12:00:00Z'));
    const b = await app(capped(), {}, clock);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await bid(b, body('a.example', { user: { id: 'alice' } }));
      seen.push(r.bids[0]?.price ?? 0);
      for (const x of r.bids) {
        expect(x.burl).toMatch(/&u=[\w-]+&gs=/);
        await notice(b, x.burl, x.price);
      }
    }
    // Two at 3.00 (cap 2/hour), one at 1.00 from the backup (cap 1/minute), then nothing.
    expect(seen).toEqual([3, 3, 1, 0, 0]);
    expect(await nobidReasons(b)).toEqual({ FREQUENCY_CAPPED: 2 });
    // Another user is not affected; a minute later the backup may serve alice again.
    expect((await bid(b, body('a.example', { user: { id: 'bob' } }))).bids[0]?.price).toBe(3);
    clock.advance(60_000);
    await b.gates.warm();
    expect((await bid(b, body('a.example', { user: { id: 'alice' } }))).bids[0]?.price).toBe(1);
  });

  it('holds a slot per bid so concurrent requests cannot pass the last one together; a loss frees it', async () => {
    const b = await app(capped());
    const user = { user: { buyeruid: 'carol' } };
    const rs = await Promise.all(Array.from({ length: 20 }, () => bid(b, body('a.example', user))));
    const bids = rs.flatMap((r) => r.bids);
    expect(bids.filter((x) => x.price === 3)).toHaveLength(2);
    expect(bids.filter((x) => x.price === 1)).toHaveLength(1);
    // Losing one 3.00 bid frees its hold: the next request gets it.
    const lost = bids.find((x) => x.price === 3)!;
    await notice(b, lost.lurl, 0);
    expect((await bid(b, body('a.example', user))).bids[0]?.price).toBe(3);
  });

  it('keeps capped line items out for requests without a user id unless FREQUENCY_UNKNOWN_USERS=allow', async () => {
    const strict = await app(capped());
    expect((await bid(strict, body('a.example'))).status).toBe(204);
    expect(await nobidReasons(strict)).toEqual({ FREQUENCY_UNAVAILABLE: 1 });
    const lax = await app(capped(), { FREQUENCY_UNKNOWN_USERS: 'allow' });
    const r = await bid(lax, body('a.example'));
    expect(r.bids[0]?.price).toBe(3);
    expect(r.bids[0]?.burl).toMatch(/&u=&gs=/);
  });
});

describe('pacing on the bid path', () => {
  it('throttles an even-paced campaign that runs ahead of its curve and exposes the state', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T00:30:00Z'));
    const data = gateData(
      [gateCampaign('c1', 2_400_000, { pacing: 'even' })],
      [gateLineItem('l1', 'c1', 'a.example', 2_000_000)],
    );
    const b = await app(data, {}, clock);
    // 100,000 per hour is the target; spend 200,000 in the first half hour.
    for (let i = 0; i < 100; i++) {
      for (const x of (await bid(b, body('a.example'))).bids) await notice(b, x.burl, 2);
    }
    // The pacer reads the shared spend (all instances' billing) on the gates' 1 s tick; its controller
    // steps once a minute of the campaign clock, so the spend shows in the step after the read.
    await new Promise((r) => setTimeout(r, 1_200));
    clock.advance(120_000);
    await b.gates.warm();
    let throttled = 0;
    for (let i = 0; i < 200; i++) if ((await bid(b, body('a.example'))).status === 204) throttled += 1;
    expect(throttled).toBeGreaterThan(150);
    expect(Object.keys(await nobidReasons(b))).toEqual(['PACING_THROTTLED']);
    const res = await b.app.inject({
      method: 'GET',
      url: '/api/v1/pacing',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.statusCode).toBe(200);
    const state = res.json().campaigns.c1;
    expect(state).toMatchObject({ mode: 'even', budgetMicros: 2_400_000, spentMicros: 200_000 });
    expect(state.throttleRate).toBeLessThan(0.25);
    expect(state.hours).toHaveLength(24);
    const metrics = (await b.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/outbid_pacing_throttle_rate\{campaign="c1"\} 0\.\d+/);
    expect(metrics).toContain('outbid_pacing_spent_micros{campaign="c1"} 200000');
    expect((await b.app.inject({ method: 'GET', url: '/api/v1/pacing' })).statusCode).toBe(401);
  });
});
