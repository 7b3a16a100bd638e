import { afterEach, describe, expect, it } from 'vitest';
import type { Bidder } from '../bidder/index.ts';
import { buildApp } from '../bidder/index.ts';
import { loadConfig } from '../config/index.ts';
import {
  type CampaignData,
  idGenerator,
  ManualClock,
  profileKeyHash,
  type ScoreTable,
  seededRng,
  systemClock,
} from '../core/index.ts';
import { MemoryProfileStore } from '../core/store/memory-profile-store.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import { MemoryEventSink } from '../reporting/index.ts';
import { demoData } from './support/test-app.ts';

/**
 * Segment scores through the whole bid path: a target-CPC line item with a score table. With
 * cpc = 0.01 USD the value is pCTR × 10,000 micros × 1000 per mille: bias −1 alone gives
 * sigmoid(−1) = 0.2689414213699951 → 2,689,414 CPM micros (rounded down); the segment weight +1
 * brings the logit to 0 → pCTR 0.5 → 5,000,000 (5.00 CPM).
 */
const CONTEXTUAL = 2.689414;
const WITH_SEGMENT = 5;
const SALT = 'value-bidding-test-salt';
const ADMIN_KEY = 'admin-key-admin-key-admin-key';

const TABLE: ScoreTable = {
  id: 'st-cpc',
  lineItemId: 'li-cpc',
  version: 1,
  ctr: { bias: -1, segments: { 'dp:auto': 1 } },
};

function data(table: ScoreTable = TABLE): CampaignData {
  const demo = demoData();
  return {
    ...demo,
    lineItems: [
      {
        id: 'li-cpc',
        campaignId: 'cmp-display',
        name: 'CPC line item',
        status: 'active',
        targeting: { formats: ['banner'] },
        bidStrategy: { type: 'targetCpc', cpcMicros: 10_000 },
        maxCpmMicros: 50_000_000,
        creativeIds: ['cr-banner-300x250'],
      },
    ],
    scoreTables: [table],
  };
}

const request = (extra: Record<string, unknown> = {}) => ({
  id: 'r',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  site: { domain: 'example.com' },
  tmax: 1000,
  ...extra,
});
const withSegment = { user: { data: [{ id: 'dp', segment: [{ id: 'auto' }] }] } };

const apps: Bidder[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.app.close();
});

async function app(opts: { workers?: boolean } = {}) {
  const store = new MemoryStateStore();
  await store.ready();
  await store.replaceAll(data());
  const clock = opts.workers ? systemClock : new ManualClock(Date.parse('2026-11-22T12:00:00Z'));
  const profiles = new MemoryProfileStore({ clock });
  const sink = new MemoryEventSink();
  const bidder = await buildApp({
    config: loadConfig({
      LOG_LEVEL: 'silent',
      PUBLIC_URL: 'https://bidder.test',
      PROFILE_SALT: SALT,
      OUTBID_ADMIN_KEY: ADMIN_KEY,
    }),
    store,
    sink,
    clock,
    rng: seededRng(1),
    secret: 'value-bidding-secret-value-bidding',
    nextId: idGenerator('v-'),
    profiles,
    ...(opts.workers && { workers: { threads: 2, taskTimeoutMs: 5000, seed: 1, idPrefix: 'w' } }),
  });
  apps.push(bidder);
  return { ...bidder, store, profiles, sink };
}

async function price(a: Bidder, body: unknown): Promise<number | undefined> {
  const res = await a.app.inject({ method: 'POST', url: '/openrtb2/bid', payload: body as object });
  if (res.statusCode === 204) return undefined;
  expect(res.statusCode, res.body).toBe(200);
  return res.json().seatbid[0].bid[0].price as number;
}

describe('value-based bidding from segment scores', () => {
  it('prices target CPC from pCTR: contextual, then with a request segment', async () => {
    const a = await app();
    expect(await price(a, request())).toBe(CONTEXTUAL);
    expect(await price(a, request(withSegment))).toBe(WITH_SEGMENT);
    const bid = a.sink.ofType('bid').at(-1);
    expect(bid?.pctr).toBe(0.5);
  });

  it.each([
    ['device.dnt=1', { device: { dnt: 1 } }],
    ['device.lmt=1', { device: { lmt: 1 } }],
    ['regs.coppa=1', { regs: { coppa: 1 } }],
  ])('scores contextually only under %s', async (_name, optOut) => {
    const a = await app();
    expect(await price(a, request({ ...withSegment, ...optOut }))).toBe(CONTEXTUAL);
  });

  it('uses the stored profile of the user, unless the user opted out', async () => {
    const a = await app();
    await a.profiles.put(profileKeyHash('buyer-42', SALT), [{ id: 'dp:auto' }], 3600);
    expect(await price(a, request({ user: { buyeruid: 'buyer-42' } }))).toBe(WITH_SEGMENT);
    expect(await price(a, request({ user: { buyeruid: 'someone-else' } }))).toBe(CONTEXTUAL);
    expect(await price(a, request({ user: { buyeruid: 'buyer-42' }, device: { lmt: 1 } }))).toBe(CONTEXTUAL);
    const metrics = (await a.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('outbid_profile_lookups_total{result="hit"} 1');
    expect(metrics).toContain('outbid_profile_lookups_total{result="miss"} 1');
  });

  it('imports profiles through the admin API, reports bad lines, and refuses without the key', async () => {
    const a = await app();
    const body = [
      JSON.stringify({ key: 'ifa-7', segments: [{ id: 'dp:auto' }], ttlSec: 600 }),
      '{not json',
      JSON.stringify({ key: '', segments: [] }),
      '',
    ].join('\n');
    const post = (headers: Record<string, string>) =>
      a.app.inject({
        method: 'POST',
        url: '/api/v1/profiles',
        payload: body,
        headers: { 'content-type': 'application/x-ndjson', ...headers },
      });
    expect((await post({})).json().error.code).toBe('API_UNAUTHORIZED');
    expect((await post({ authorization: 'Bearer wrong-key-wrong-key-wrong-key' })).statusCode).toBe(401);
    const ok = await post({ authorization: `Bearer ${ADMIN_KEY}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ imported: 1, skipped: 2 });
    expect(ok.json().problems.map((p: { line: number }) => p.line)).toEqual([2, 3]);
    expect(await price(a, request({ device: { ifa: 'ifa-7' } }))).toBe(WITH_SEGMENT);
  });

  it('hot-swaps a new table version without a restart', async () => {
    const a = await app();
    expect(await price(a, request())).toBe(CONTEXTUAL);
    await a.store.put('scoreTable', { ...TABLE, version: 2, ctr: { bias: 0, segments: {} } });
    let p = await price(a, request());
    for (let i = 0; i < 50 && p !== WITH_SEGMENT; i++) {
      await new Promise((r) => setTimeout(r, 10));
      p = await price(a, request());
    }
    expect(p).toBe(WITH_SEGMENT);
  });

  it('gives workers the same scores, from tables in shared memory, and swaps them too', async () => {
    const a = await app({ workers: true });
    expect(await price(a, request())).toBe(CONTEXTUAL);
    expect(await price(a, request(withSegment))).toBe(WITH_SEGMENT);
    expect(await price(a, request({ ...withSegment, device: { dnt: 1 } }))).toBe(CONTEXTUAL);
    await a.store.put('scoreTable', { ...TABLE, version: 2, ctr: { bias: 0, segments: {} } });
    let p = await price(a, request());
    for (let i = 0; i < 100 && p !== WITH_SEGMENT; i++) {
      await new Promise((r) => setTimeout(r, 20));
      p = await price(a, request());
    }
    expect(p).toBe(WITH_SEGMENT);
  });

  it('shades first-price bids once notices have taught the landscape, and never below the floor', async () => {
    const a = await app();
    // 60 second-price auctions at value 5.00: market prices spread over 0.50..6.40; we win the
    // ones at or below our bid and pay the market price; the rest are losses to a higher bid.
    for (let i = 0; i < 60; i++) {
      const res = await a.app.inject({ method: 'POST', url: '/openrtb2/bid', payload: request(withSegment) });
      const bid = res.json().seatbid[0].bid[0] as { nurl: string; lurl: string };
      const market = 0.5 + (i % 60) * 0.1;
      const url = market <= WITH_SEGMENT ? bid.nurl : bid.lurl;
      const path = url
        .replace('https://bidder.test', '')
        .replace('${AUCTION_PRICE}', market <= WITH_SEGMENT ? market.toFixed(2) : '')
        .replace('${AUCTION_LOSS}', '102');
      expect((await a.app.inject({ method: 'GET', url: path })).statusCode).toBe(200);
    }
    const secondPrice = await price(a, request(withSegment));
    const firstPrice = await price(a, request({ ...withSegment, at: 1 }));
    expect(secondPrice).toBe(WITH_SEGMENT);
    expect(firstPrice).toBeDefined();
    expect(firstPrice!).toBeLessThan(WITH_SEGMENT);
    expect(firstPrice!).toBeGreaterThan(0.5);
    const floored = await price(
      a,
      request({ ...withSegment, at: 1, imp: [{ id: '1', banner: { w: 300, h: 250 }, bidfloor: 4.9 }] }),
    );
    expect(floored).toBeGreaterThanOrEqual(4.9);
  });
});
