import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bidder, buildApp } from '../../bidder/index.ts';
import { loadConfig } from '../../config/index.ts';
import { idGenerator, ManualClock, profileKeyHash, seededRng } from '../../core/index.ts';
import { MemoryProfileStore } from '../../core/store/memory-profile-store.ts';
import { MemoryStateStore } from '../../core/store/memory-store.ts';
import { type ClickHouse, ClickHouseEventSink, migrate, RefreshScheduler } from '../../reporting/index.ts';
import { fillNotice } from '../support/gate-data.ts';
import { demoData, TEST_SECRET } from '../support/test-app.ts';

const ADMIN = 'a'.repeat(24);
const T0 = Date.parse('2026-11-22T12:00:00Z');
const SALT = 'pipeline-test-salt-0123';
const auth = { authorization: `Bearer ${ADMIN}` };

function bidRequest(i: number, buyeruid: string) {
  return {
    id: `req-${i}`,
    imp: [{ id: '1', banner: { w: 300, h: 250 }, bidfloor: 0.5 }],
    site: { domain: 'news.example.com', page: 'https://news.example.com/a' },
    device: { devicetype: 2, os: 'Windows', geo: { country: 'USA' } },
    user: { buyeruid },
    cur: ['USD'],
    tmax: 500,
  };
}

interface Bid {
  id: string;
  price: number;
  adm: string;
  nurl: string;
  burl: string;
  crid: string;
  cid: string;
}

/** The URL of the tracking pixel / click in a bid's HTML markup, decoded as a browser would. */
function markupUrl(adm: string, path: '/track/impression' | '/track/click'): string {
  const m = new RegExp(`"(https://bidder\\.test${path}\\?[^"]+)"`).exec(adm);
  if (!m) throw new Error(`no ${path} URL in ${adm}`);
  return m[1]!.replaceAll('&amp;', '&');
}

const local = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/**
 * Bids, win and billing notices, impression pixel, click redirect and conversion postback, all
 * through the HTTP endpoints of a real app whose sink is the durable ClickHouse sink on `open`'s
 * engine; then exact counts and sums in ClickHouse and through /api/v1/reports.
 */
export function pipelineContract(label: string, open: (dir: string) => Promise<ClickHouse>): void {
  describe(`event pipeline through HTTP into ClickHouse: ${label}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbid-pipeline-'));
    const clock = new ManualClock(T0);
    let ch: ClickHouse;
    let sink: ClickHouseEventSink;
    let bidder: Bidder;
    let bids: Bid[] = [];
    const clickIds: string[] = [];

    beforeAll(async () => {
      ch = await open(dir);
      await migrate(ch, { clock });
      sink = await ClickHouseEventSink.open({ ch, dataDir: dir, flushIntervalMs: 10, batchRows: 1000 });
      const store = new MemoryStateStore();
      await store.ready();
      await store.replaceAll(demoData());
      bidder = await buildApp({
        config: loadConfig({
          LOG_LEVEL: 'silent',
          PUBLIC_URL: 'https://bidder.test',
          OUTBID_ADMIN_KEY: ADMIN,
          PROFILE_SALT: SALT,
          CURRENCY_RATES: '{"EUR":1.25}',
        }),
        store,
        sink,
        clickhouse: ch,
        // As in `outbid serve`: with a profile store the bid path hashes the user's id, which the
        // tracking URLs carry for postbacks by user id.
        profiles: new MemoryProfileStore({ clock }),
        clock,
        rng: seededRng(7),
        secret: TEST_SECRET,
        nextId: idGenerator('p-'),
      });
      for (let i = 0; i < 6; i++) {
        const res = await bidder.app.inject({
          method: 'POST',
          url: '/openrtb2/bid',
          payload: bidRequest(i, `user-${i}`),
        });
        expect(res.statusCode).toBe(200);
        bids.push(res.json<{ seatbid: { bid: Bid[] }[] }>().seatbid[0]!.bid[0]!);
      }
    }, 60_000);

    afterAll(async () => {
      await bidder?.app.close();
      await sink?.close();
      await ch?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const get = (url: string) => bidder.app.inject({ method: 'GET', url });

    it('puts a signed impression pixel and click URL in the markup', () => {
      expect(bids).toHaveLength(6);
      for (const b of bids) {
        expect(markupUrl(b.adm, '/track/impression')).toContain(`bid=${b.id}`);
        expect(markupUrl(b.adm, '/track/click')).toContain(
          `url=${encodeURIComponent('https://acme-outdoor.example/spring?utm_source=outbid')}`,
        );
      }
    });

    it('records notices, pixels, clicks and postbacks; duplicates answer but do not count twice', async () => {
      bids = bids.slice(0, 6);
      // Wins and billing for bids 0–3 at 1.20 (billing retried once each), a loss-free world.
      for (const b of bids.slice(0, 4)) {
        expect((await get(local(fillNotice(b.nurl, 1.2)))).json()).toEqual({ status: 'recorded' });
        expect((await get(local(fillNotice(b.burl, 1.2)))).json()).toEqual({ status: 'recorded' });
        expect((await get(local(fillNotice(b.burl, 1.2)))).json()).toEqual({ status: 'duplicate' });
      }
      // Pixels for bids 0–3, each loaded twice: a GIF each time, one impression per bid.
      for (const b of bids.slice(0, 4)) {
        for (let k = 0; k < 2; k++) {
          const px = await get(local(markupUrl(b.adm, '/track/impression')));
          expect(px.statusCode).toBe(200);
          expect(px.headers['content-type']).toBe('image/gif');
          expect(px.rawPayload.subarray(0, 6).toString()).toBe('GIF89a');
        }
      }
      // Clicks on bids 0 and 1, 10 min after the impression: 302 to the landing page + click_id.
      clock.advance(10 * 60_000);
      for (const b of bids.slice(0, 2)) {
        const res = await get(local(markupUrl(b.adm, '/track/click')));
        expect(res.statusCode).toBe(302);
        const location = new URL(res.headers.location as string);
        expect(`${location.origin}${location.pathname}`).toBe('https://acme-outdoor.example/spring');
        expect(location.searchParams.get('utm_source')).toBe('outbid');
        clickIds.push(location.searchParams.get('click_id')!);
      }
      expect(new Set(clickIds).size).toBe(2);
      clock.advance(30 * 60_000);
      // Conversion 1: by click id, 40 EUR, posted twice (same order id) → one conversion of 50 USD.
      const c1 = `/track/conversion?click_id=${clickIds[0]}&value=40&currency=EUR&order_id=o-1`;
      expect((await get(c1)).json()).toEqual({ status: 'recorded', conversion_id: 'o-1' });
      expect((await get(c1)).json()).toEqual({ status: 'recorded', conversion_id: 'o-1' });
      // Conversion 2: POSTed form by user id (the bid's buyeruid) → bid 2's impression (view-through).
      const c2 = await bidder.app.inject({
        method: 'POST',
        url: '/track/conversion',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'user_id=user-2&value=12.5&conversion_id=o-2',
      });
      expect(c2.json()).toEqual({ status: 'recorded', conversion_id: 'o-2' });
      // Conversion 3: JSON by imp id (our bid id) of bid 1 → its click (last click over impression).
      const c3 = await bidder.app.inject({
        method: 'POST',
        url: '/track/conversion',
        payload: { imp_id: bids[1]!.id, value: '3', order_id: 'o-3' },
      });
      expect(c3.statusCode).toBe(200);
      // Conversion 4: a user we never saw: recorded, attributed to nothing.
      expect((await get('/track/conversion?user_id=stranger&order_id=o-4')).statusCode).toBe(200);

      await sink.whenDelivered();
      const counts = await ch.query<{ type: string; n: number; spend: number; value: number }>(
        `SELECT type, count() AS n, sum(spend) AS spend, sum(value) AS value
       FROM (SELECT event_id, argMin(type, ts_ms) AS type, argMin(spend_micros, ts_ms) AS spend,
                    argMin(value_micros, ts_ms) AS value FROM events GROUP BY event_id)
       GROUP BY type ORDER BY type`,
      );
      expect(counts).toEqual([
        { type: 'bid', n: 6, spend: 0, value: 0 },
        { type: 'billing', n: 4, spend: 4 * 1_200, value: 0 },
        { type: 'click', n: 2, spend: 0, value: 0 },
        { type: 'conversion', n: 4, spend: 0, value: 50_000_000 + 12_500_000 + 3_000_000 },
        { type: 'impression', n: 4, spend: 0, value: 0 },
        { type: 'win', n: 4, spend: 0, value: 0 },
      ]);
      // The pixel carried the hashed buyeruid, never the raw id.
      const [impUser] = await ch.query<{ user_key: string }>(
        'SELECT user_key FROM events WHERE event_id = {id:String} LIMIT 1',
        { id: `impression:${bids[2]!.id}` },
      );
      expect(impUser?.user_key).toBe(profileKeyHash('user-2', SALT));
    });

    it('attributes, rolls up and reports exact numbers through /api/v1/reports (JSON and CSV)', async () => {
      const scheduler = new RefreshScheduler({
        ch,
        clock,
        attribution: { defaults: { clickSec: 7 * 86_400, viewSec: 86_400 }, campaigns: {} },
        intervalMs: 0,
        lookbackHours: 3,
      });
      await scheduler.runOnce();
      expect(scheduler.runs).toBe(1);
      const q = 'from=2026-11-22&to=2026-11-23';
      const conv = await bidder.app.inject({ url: `/api/v1/reports/conversions?${q}`, headers: auth });
      expect(conv.statusCode).toBe(200);
      const rows = conv.json<{ rows: Record<string, unknown>[] }>().rows;
      expect(rows.map((r) => [r.conversion_id, r.touch_type, r.bid_id, r.value_micros])).toEqual([
        ['o-1', 'click', bids[0]!.id, 50_000_000],
        ['o-2', 'impression', bids[2]!.id, 12_500_000],
        ['o-3', 'click', bids[1]!.id, 3_000_000],
      ]);
      const perf = await bidder.app.inject({
        url: `/api/v1/reports/performance?${q}&dimension=campaign`,
        headers: auth,
      });
      expect(perf.statusCode, perf.body).toBe(200);
      expect(perf.json<{ rows: unknown[] }>().rows).toEqual([
        {
          key: 'cmp-display',
          impressions: 4,
          clicks: 2,
          conversions: 3,
          spend_micros: 4_800,
          value_micros: 65_500_000,
          ctr: 0.5,
          cvr: 1.5,
          cpa_micros: 1_600,
          roas: 65_500_000 / 4_800,
        },
      ]);
      const funnel = await bidder.app.inject({
        url: `/api/v1/reports/funnel?${q}&format=csv`,
        headers: auth,
      });
      expect(funnel.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(funnel.body).toBe(
        'campaign_id,impressions,clicks,conversions,click_rate,conversion_rate,value_micros\r\n' +
          'cmp-display,4,2,3,0.5,1.5,65500000\r\n',
      );
      const delivery = await bidder.app.inject({
        url: `/api/v1/reports/delivery?${q}&grain=day`,
        headers: { ...auth, accept: 'text/csv' },
      });
      expect(delivery.body.split('\r\n')[1]).toBe(
        '2026-11-22 00:00:00,cmp-display,6,4,4,4,2,4800,0.6666666666666666,4800',
      );
    });
  });
}
