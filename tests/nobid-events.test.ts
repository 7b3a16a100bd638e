import { afterEach, describe, expect, it } from 'vitest';
import type { Bidder } from '../bidder/index.ts';
import { testApp } from './support/test-app.ts';

/** Sampled no-bid events: what the `nobid_reasons` report counts. */

const open: Bidder[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.app.close();
});

const UNBIDDABLE = { id: 'nb', imp: [{ id: '1', banner: { w: 1, h: 1 } }], site: { domain: 'a.example' } };

describe('no-bid events', () => {
  it('records every NOBID_SAMPLE_RATE-th no-bid with its reason, exchange and a unique id', async () => {
    const b = await testApp({ env: { NOBID_SAMPLE_RATE: '0.25' } });
    open.push(b);
    for (let i = 0; i < 8; i++) {
      const res = await b.app.inject({
        method: 'POST',
        url: '/openrtb2/bid?exchange=ssp-a',
        payload: { ...UNBIDDABLE, id: `nb-${i}` },
      });
      expect(res.statusCode).toBe(204);
    }
    const events = b.sink.ofType('nobid');
    expect(events.map((e) => [e.requestId, e.reason, e.exchange])).toEqual([
      ['nb-3', 'NO_FITTING_CREATIVE', 'ssp-a'],
      ['nb-7', 'NO_FITTING_CREATIVE', 'ssp-a'],
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
  });

  it('records none with NOBID_SAMPLE_RATE=0', async () => {
    const b = await testApp({ env: { NOBID_SAMPLE_RATE: '0' } });
    open.push(b);
    await b.app.inject({ method: 'POST', url: '/openrtb2/bid', payload: UNBIDDABLE });
    expect(b.sink.ofType('nobid')).toEqual([]);
  });
});
