import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BidRequest } from '../../openrtb/index.ts';
import { userFeatures } from './user-features.ts';

const SALT = 'test-salt-0123456789';
const opts = { profileSalt: SALT };
/** HMAC-SHA256 hex computed here, so the test pins the hashing scheme the importer relies on. */
const hash = (id: string) => createHmac('sha256', SALT).update(id).digest('hex');

const base: BidRequest = {
  id: 'r1',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  app: { bundle: 'com.example.app' },
  device: { devicetype: 4, ifa: 'AAAA-IFA', os: 'android' },
  user: {
    id: 'exchange-user-1',
    buyeruid: 'our-cookie-9',
    data: [
      { id: 'dp1', segment: [{ id: 'auto' }, { id: 'income', value: '0.7' }, {}] },
      { segment: [{ id: 'bare' }] },
      { id: 'dp2', segment: null },
    ],
    eids: [{ source: 'LiveRamp.com', uids: [{ id: 'x' }] }, { uids: [] }, { source: 42 }],
  },
} as BidRequest;

describe('userFeatures', () => {
  it('extracts namespaced segments, eid presence, context, and hashed profile keys in priority order', () => {
    expect(userFeatures(base, opts)).toEqual({
      contextualOnly: false,
      segments: [
        { id: 'dp1:auto' },
        { id: 'dp1:income', value: '0.7' },
        { id: 'bare' },
        { id: 'eid:liveramp.com' },
      ],
      profileKeys: [hash('our-cookie-9'), hash('exchange-user-1'), hash('AAAA-IFA')],
      deviceType: 4,
      inventoryType: 'app',
    });
  });

  it('never puts a raw id into a key, and the keys depend on the salt', () => {
    const f = userFeatures(base, opts);
    expect(f.profileKeys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(f.profileKeys.join()).not.toContain('our-cookie-9');
    expect(userFeatures(base, { profileSalt: 'another-salt-0123456' }).profileKeys[0]).not.toBe(
      f.profileKeys[0],
    );
  });

  it.each([
    ['device.dnt = 1', { device: { ...base.device, dnt: 1 } }],
    ['device.lmt = 1', { device: { ...base.device, lmt: 1 } }],
    ['regs.coppa = 1', { regs: { coppa: 1 } }],
  ])('is contextual only for %s: no segments, no profile lookup', (_, change) => {
    expect(userFeatures({ ...base, ...change } as BidRequest, opts)).toEqual({
      contextualOnly: true,
      segments: [],
      profileKeys: [],
      deviceType: 4,
      inventoryType: 'app',
    });
  });

  it('uses the user when the opt-out flags are 0', () => {
    const req = { ...base, device: { ...base.device, dnt: 0, lmt: 0 }, regs: { coppa: 0 } } as BidRequest;
    expect(userFeatures(req, opts).contextualOnly).toBe(false);
    expect(userFeatures(req, opts).profileKeys).toHaveLength(3);
  });

  it('skips zeroed IFAs, empty ids and repeats of an id already listed', () => {
    const req = {
      ...base,
      device: { ifa: '00000000-0000-0000-0000-000000000000' },
      user: { id: 'same', buyeruid: 'same' },
    } as BidRequest;
    expect(userFeatures(req, opts).profileKeys).toEqual([hash('same')]);
    const empty = { ...base, device: { ifa: '' }, user: { id: '', buyeruid: '' } } as BidRequest;
    expect(userFeatures(empty, opts).profileKeys).toEqual([]);
    const onlyIfa = { ...base, user: null } as BidRequest;
    expect(userFeatures(onlyIfa, opts).profileKeys).toEqual([hash('AAAA-IFA')]);
  });

  it('handles a request without user or device, and names the inventory type (dooh over app over site)', () => {
    const req: BidRequest = { id: 'r2', imp: [{ id: '1' }], site: { domain: 'news.example' } } as BidRequest;
    expect(userFeatures(req, opts)).toEqual({
      contextualOnly: false,
      segments: [],
      profileKeys: [],
      deviceType: undefined,
      inventoryType: 'site',
    });
    const dooh = { ...req, dooh: { id: 'screen-1' } } as BidRequest;
    expect(userFeatures(dooh, opts).inventoryType).toBe('dooh');
  });
});
