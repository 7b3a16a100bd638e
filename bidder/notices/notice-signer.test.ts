import { describe, expect, it } from 'vitest';
import { NoticeSigner } from './notice-signer.ts';
import { type TrackingFields, trackingQueries, verifyTracking } from './tracking-signer.ts';

const signer = new NoticeSigner('s'.repeat(32));
const bid = { bid: 'b1', imp: '1', li: 'li', c: 'c', cr: 'cr', bp: 1_500_000, cur: 'USD', ts: 1, at: 2 };

const parse = (q: string) => Object.fromEntries(new URLSearchParams(q));

describe('NoticeSigner: the segment of a bid', () => {
  it('signs the segment when the bid has one, and verifies URLs without one as before', () => {
    const withSegment = parse(signer.query({ ...bid, sg: 'sports fans' }));
    expect(withSegment.sg).toBe('sports fans');
    expect(signer.verify(withSegment)).toMatchObject({ sg: 'sports fans', li: 'li' });
    const without = parse(signer.query({ ...bid, sg: '' }));
    expect(without).not.toHaveProperty('sg');
    expect(signer.verify(without)).toMatchObject({ sg: '' });
  });

  it('rejects a segment added, removed or changed after signing', () => {
    const signed = parse(signer.query({ ...bid, sg: 'a' }));
    expect(signer.verify({ ...signed, sg: 'b' })).toBeUndefined();
    const { sg: _dropped, ...removed } = signed;
    expect(signer.verify(removed)).toBeUndefined();
    expect(signer.verify({ ...parse(signer.query({ ...bid, sg: '' })), sg: 'a' })).toBeUndefined();
    expect(signer.verify({ ...signed, sg: ['a', 'a'] })).toBeUndefined();
  });
});

describe('tracking URLs: the segment of a bid', () => {
  const fields: TrackingFields = {
    bid: 'b1',
    imp: '1',
    li: 'li',
    c: 'c',
    cr: 'cr',
    x: 'ex',
    ts: 1,
    u: '',
    sg: 'seg-1',
  };
  const landing = 'https://advertiser.example/landing';

  it('carries the segment in the pixel and the click under the one signature', () => {
    const q = trackingQueries(signer, fields, landing);
    expect(verifyTracking(signer, 'imp', parse(q.impression))?.fields.sg).toBe('seg-1');
    expect(verifyTracking(signer, 'click', parse(q.click))).toMatchObject({
      fields: { sg: 'seg-1' },
      url: landing,
    });
    const none = trackingQueries(signer, { ...fields, sg: '' }, landing);
    expect(parse(none.impression)).not.toHaveProperty('sg');
    expect(verifyTracking(signer, 'imp', parse(none.impression))?.fields.sg).toBe('');
  });

  it('rejects a changed or removed segment', () => {
    const q = parse(trackingQueries(signer, fields, landing).impression);
    expect(verifyTracking(signer, 'imp', { ...q, sg: 'seg-2' })).toBeUndefined();
    const { sg: _dropped, ...removed } = q;
    expect(verifyTracking(signer, 'imp', removed)).toBeUndefined();
  });
});
