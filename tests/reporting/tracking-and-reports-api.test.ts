import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileKeyHash } from '../../core/index.ts';
import type { MemoryEventSink } from '../../reporting/index.ts';
import { testApp } from '../support/test-app.ts';

const ADMIN = 'b'.repeat(24);
const BANNER = {
  id: 'r-1',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  site: { domain: 'news.example.com', page: 'https://news.example.com/a' },
  device: { devicetype: 2, os: 'Windows', geo: { country: 'USA' } },
  user: { buyeruid: 'u-42' },
};
const VAST = {
  id: 'r-2',
  imp: [{ id: '1', video: { mimes: ['video/mp4'], minduration: 5, maxduration: 30, w: 640, h: 360 } }],
  site: { domain: 'news.example.com', page: 'https://news.example.com/a' },
  device: { devicetype: 2, os: 'Windows', geo: { country: 'USA' } },
};

type App = Awaited<ReturnType<typeof testApp>>;

function urlIn(adm: string, path: string): string {
  const m = new RegExp(`(https://bidder\\.test${path}\\?[^"\\]]+)`).exec(adm);
  if (!m) throw new Error(`no ${path} in ${adm}`);
  return m[1]!.replaceAll('&amp;', '&').replace('https://bidder.test', '');
}

describe('tracking endpoints (in-memory sink)', () => {
  let t: App;
  let adm = '';
  beforeAll(async () => {
    t = await testApp({ env: { OUTBID_ADMIN_KEY: ADMIN, CURRENCY_RATES: '{"EUR":1.25}' } });
    const res = await t.app.inject({ method: 'POST', url: '/openrtb2/bid', payload: BANNER });
    adm = res.json<{ seatbid: { bid: { adm: string }[] }[] }>().seatbid[0]!.bid[0]!.adm;
  });
  afterAll(() => t.app.close());
  const sink = () => t.sink as MemoryEventSink;

  it('a click URL with any signed part altered is a 400, never a redirect', async () => {
    const click = urlIn(adm, '/track/click');
    const tampered = [
      click.replace(/url=[^&]+/, `url=${encodeURIComponent('https://evil.example/')}`),
      click.replace(/bid=[^&]+/, 'bid=other'),
      click.replace(/cr=[^&]+/, 'cr=cr-other'),
      click.replace(/u=[^&]*/, 'u=someone'),
      click.replace(/&sig=[^&]+/, ''),
      // the pixel's landing digest does not stand for another URL
      click.replace(/url=[^&]+/, `ud=${/ud=([^&]+)/.exec(urlIn(adm, '/track/impression'))![1]}`),
    ];
    for (const url of tampered) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.json().error.code).toBe('TRACK_BAD_SIGNATURE');
    }
    expect(sink().ofType('click')).toHaveLength(0);
    const ok = await t.app.inject({ url: click });
    expect(ok.statusCode).toBe(302);
    const clickId = new URL(ok.headers.location as string).searchParams.get('click_id');
    expect(sink().ofType('click')).toMatchObject([
      { clickId, bidId: expect.any(String), creativeId: 'cr-banner-300x250', campaignId: 'cmp-display' },
    ]);
  });

  it('a tampered pixel is a 400; a pixel loaded twice records one impression', async () => {
    const px = urlIn(adm, '/track/impression');
    expect((await t.app.inject({ url: px.replace(/li=[^&]+/, 'li=x') })).json().error.code).toBe(
      'TRACK_BAD_SIGNATURE',
    );
    expect((await t.app.inject({ url: px })).statusCode).toBe(200);
    expect((await t.app.inject({ url: px })).statusCode).toBe(200);
    expect(sink().ofType('impression')).toHaveLength(1);
  });

  it('VAST markup gets the pixel as an <Impression> and the click URL raw inside CDATA', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/openrtb2/bid', payload: VAST });
    const vast = res.json<{ seatbid: { bid: { adm: string }[] }[] }>().seatbid[0]!.bid[0]!.adm;
    expect(vast).toMatch(/<InLine><Impression><!\[CDATA\[https:\/\/bidder\.test\/track\/impression\?bid=/);
    const click = /<ClickThrough><!\[CDATA\[([^\]]+)\]\]>/.exec(vast)![1]!;
    expect(click).not.toContain('&amp;');
    expect((await t.app.inject({ url: click.replace('https://bidder.test', '') })).statusCode).toBe(302);
  });

  it('refuses postbacks without a key, with a bad value, currency or over-long id (TRACK_BAD_CONVERSION)', async () => {
    for (const q of [
      'value=3',
      'click_id=k&value=-1',
      'click_id=k&value=1e3',
      'click_id=k&value=abc',
      'click_id=k&value=1&currency=JPY',
      'click_id=k&value=1&currency=eur',
      `click_id=${'k'.repeat(257)}`,
    ]) {
      const res = await t.app.inject({ url: `/track/conversion?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code, q).toBe('TRACK_BAD_CONVERSION');
    }
    expect(sink().ofType('conversion')).toHaveLength(0);
  });

  it('converts the value to account micros once, at the edge', async () => {
    const res = await t.app.inject({
      url: '/track/conversion?user_id=u-42&value=10.5&currency=EUR&order_id=A1',
    });
    expect(res.json()).toEqual({ status: 'recorded', conversion_id: 'A1' });
    expect(sink().ofType('conversion')).toMatchObject([
      {
        eventId: 'conversion:A1',
        valueMicros: 13_125_000,
        userKey: profileKeyHash('u-42', 'outbid-profile-salt'),
      },
    ]);
  });
});

describe('/api/v1/reports without ClickHouse: auth, validation, codes', () => {
  let t: App;
  beforeAll(async () => {
    t = await testApp({ env: { OUTBID_ADMIN_KEY: ADMIN } });
  });
  afterAll(() => t.app.close());
  const call = (url: string, key: string | null = ADMIN) =>
    t.app.inject({ url, headers: key === null ? {} : { authorization: `Bearer ${key}` } });

  it('needs the admin key', async () => {
    expect((await call('/api/v1/reports/funnel?from=2026-01-01&to=2026-01-02', null)).statusCode).toBe(401);
    expect(
      (await call('/api/v1/reports/funnel?from=2026-01-01&to=2026-01-02', 'x'.repeat(24))).statusCode,
    ).toBe(401);
  });

  it('an unknown report is a 404 REPORT_NOT_FOUND', async () => {
    const res = await call('/api/v1/reports/secrets?from=2026-01-01&to=2026-01-02');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('REPORT_NOT_FOUND');
  });

  it('bad parameters are a 400 REPORT_BAD_PARAMS naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['funnel?to=2026-01-02', /from and to are required/],
      ['funnel?from=2026-13-45&to=2026-01-02', /not a real date/],
      ['funnel?from=yesterday&to=2026-01-02', /^from: /],
      ['funnel?from=2026-01-02&to=2026-01-01', /to must be after from/],
      ['funnel?from=2020-01-01&to=2026-01-01', /400 days/],
      ['delivery?from=2026-01-01&to=2026-01-02&grain=week', /grain: must be one of hour, day/],
      ['performance?from=2026-01-01&to=2026-01-02&dimension=campaign_id', /dimension: must be one of/],
      ["funnel?from=2026-01-01&to=2026-01-02&campaign_id=x'&grain=hour", /unknown parameter grain/],
      [`funnel?from=2026-01-01&to=2026-01-02&campaign_id=${'c'.repeat(300)}`, /campaign_id/],
      ['funnel?from=2026-01-01&to=2026-01-02&format=xml', /format: must be one of json, csv/],
    ];
    for (const [url, message] of cases) {
      const res = await call(`/api/v1/reports/${url}`);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('REPORT_BAD_PARAMS');
      expect(res.json().error.message, url).toMatch(message);
    }
  });

  it('valid parameters without ClickHouse are a 503 REPORT_UNAVAILABLE', async () => {
    const res = await call('/api/v1/reports/funnel?from=2026-01-01&to=2026-01-02');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('REPORT_UNAVAILABLE');
  });

  it('lists the reports with their documented headers', async () => {
    const res = await call('/api/v1/reports');
    const names = res.json<{ reports: { name: string; doc: string }[] }>().reports.map((r) => r.name);
    expect(names).toEqual([
      'conversions',
      'creative_ab',
      'delivery',
      'funnel',
      'nobid_reasons',
      'optimizer_decisions',
      'performance',
    ]);
    for (const r of res.json<{ reports: { doc: string }[] }>().reports) {
      expect(r.doc).toMatch(/Purpose:[\s\S]*Parameters:[\s\S]*Grain:/);
    }
  });
});
