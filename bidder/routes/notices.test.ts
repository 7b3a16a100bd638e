import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from '../../tests/support/test-app.ts';

type App = Awaited<ReturnType<typeof testApp>>;
let app: App | undefined;
afterEach(async () => {
  await app?.app.close();
  app = undefined;
});

const BANNER = {
  id: 'req-1',
  imp: [{ id: 'imp-1', banner: { w: 300, h: 250 }, bidfloor: 1.2 }],
  site: { domain: 'news.example.com' },
  cur: ['USD'],
};

async function bidUrls(a: App, request: object = BANNER) {
  const res = await a.app.inject({ method: 'POST', url: '/openrtb2/bid', payload: request });
  expect(res.statusCode).toBe(200);
  const bid = res.json().seatbid[0].bid[0];
  const path = (u: string) => u.replace('https://bidder.test', '');
  return { bid, nurl: path(bid.nurl), burl: path(bid.burl), lurl: path(bid.lurl) };
}

const withPrice = (url: string, price: string) => url.replace('${AUCTION_PRICE}', price);

describe('notice routes', () => {
  it('records a billing notice once, at the clearing price, however often the exchange retries', async () => {
    app = await testApp();
    const { bid, burl } = await bidUrls(app);
    expect(bid.price).toBe(1.5);
    const url = withPrice(burl, '1.25');
    const first = await app.app.inject({ method: 'GET', url });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ status: 'recorded' });
    for (let i = 0; i < 3; i++) {
      const again = await app.app.inject({ method: 'GET', url });
      expect(again.json()).toEqual({ status: 'duplicate' });
    }
    const billing = app.sink.ofType('billing');
    expect(billing).toHaveLength(1);
    expect(billing[0]).toMatchObject({
      bidId: bid.id,
      impId: 'imp-1',
      lineItemId: 'li-display-open',
      campaignId: 'cmp-display',
      creativeId: 'cr-banner-300x250',
      clearingMicros: 1_250_000,
    });
    const metrics = await app.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('outbid_notices_total{kind="billing",result="ok"} 1');
    expect(metrics.body).toContain('outbid_notices_total{kind="billing",result="duplicate"} 3');
  });

  it('counts billing before win and win separately (out-of-order notices)', async () => {
    app = await testApp();
    const { burl, nurl } = await bidUrls(app);
    expect((await app.app.inject({ method: 'GET', url: withPrice(burl, '1.00') })).json().status).toBe(
      'recorded',
    );
    expect((await app.app.inject({ method: 'GET', url: withPrice(nurl, '1.00') })).json().status).toBe(
      'recorded',
    );
    expect(app.sink.ofType('billing')).toHaveLength(1);
    expect(app.sink.ofType('win')).toHaveLength(1);
  });

  it('rejects tampered ids and bid prices with 400 NOTICE_BAD_SIGNATURE', async () => {
    app = await testApp();
    const { burl } = await bidUrls(app);
    const tampered = [
      burl.replace('imp=imp-1', 'imp=imp-2'),
      burl.replace('li=li-display-open', 'li=li-video'),
      burl.replace('bp=1500000', 'bp=9000000'),
      burl.replace(/sig=[^&]+/, 'sig=AAAAAAAAAAAAAAAAAAAAAA'),
      burl.replace(/&sig=[^&]+/, ''),
    ];
    for (const url of tampered) {
      const res = await app.app.inject({ method: 'GET', url: withPrice(url, '1.00') });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code).toBe('NOTICE_BAD_SIGNATURE');
    }
    expect(app.sink.ofType('billing')).toHaveLength(0);
  });

  it('rejects clearing prices that are missing on billing, malformed, negative or above the bid', async () => {
    app = await testApp();
    const { burl } = await bidUrls(app);
    for (const price of ['${AUCTION_PRICE}', 'abc', '-1', '1.500001', '1e9']) {
      const res = await app.app.inject({ method: 'GET', url: withPrice(burl, encodeURIComponent(price)) });
      expect(res.statusCode, price).toBe(400);
      expect(res.json().error.code).toBe('NOTICE_BAD_PRICE');
    }
    const atBid = await app.app.inject({ method: 'GET', url: withPrice(burl, '1.5') });
    expect(atBid.json().status).toBe('recorded');
  });

  it('accepts a win without a substituted price and a loss with its loss code', async () => {
    app = await testApp();
    const { nurl, lurl } = await bidUrls(app);
    expect((await app.app.inject({ method: 'GET', url: nurl })).json().status).toBe('recorded');
    const loss = await app.app.inject({
      method: 'GET',
      url: withPrice(lurl, '').replace('${AUCTION_LOSS}', '102'),
    });
    expect(loss.json().status).toBe('recorded');
    expect(app.sink.ofType('win')[0]?.clearingMicros).toBeUndefined();
    expect(app.sink.ofType('loss')[0]?.lossCode).toBe(102);
  });

  it('converts a clearing price in the bid currency to account micros', async () => {
    app = await testApp({ env: { CURRENCY_RATES: '{"EUR":1.25}' } });
    const { bid, burl } = await bidUrls(app, {
      ...BANNER,
      cur: ['EUR'],
      imp: [{ id: 'imp-1', banner: { w: 300, h: 250 } }],
    });
    // 1.50 USD target CPM = 1.20 EUR at 1.25 USD per EUR.
    expect(bid.price).toBe(1.2);
    await app.app.inject({ method: 'GET', url: withPrice(burl, '0.80') });
    expect(app.sink.ofType('billing')[0]?.clearingMicros).toBe(1_000_000);
  });
});
