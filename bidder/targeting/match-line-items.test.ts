import { describe, expect, it } from 'vitest';
import { type CampaignData, type LineItem, seededRng, type Targeting } from '../../core/index.ts';
import { demoData } from '../../tests/support/test-app.ts';
import { compileSnapshot } from './compile-snapshot.ts';
import { LocalTimeCache } from './local-time.ts';
import { matchesRequest, matchLineItems } from './match-line-items.ts';
import type { RequestContext } from './request-context.ts';
import { requestContext } from './request-context.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');

function dataWith(targetings: Targeting[]): CampaignData {
  const demo = demoData();
  const base = demo.lineItems[0] as LineItem;
  return { ...demo, lineItems: targetings.map((targeting, i) => ({ ...base, id: `li-${i}`, targeting })) };
}

const ctx = (over: Partial<RequestContext>): RequestContext => ({
  country: undefined,
  region: undefined,
  deviceType: undefined,
  os: undefined,
  inventoryType: 'site',
  domains: [],
  bundle: undefined,
  categories: [],
  ...over,
});

describe('matchLineItems', () => {
  it('returns exactly the line items whose targeting accepts the request, among many that do not', () => {
    const countries = ['USA', 'DEU', 'FRA', 'GBR', 'JPN'];
    const targetings: Targeting[] = Array.from({ length: 1000 }, (_, i) => ({
      countries: [countries[i % 5]!],
    }));
    targetings.push({}, { countries: ['DEU'], deviceTypes: [2] }, { os: ['ios'] });
    const snap = compileSnapshot(dataWith(targetings), 1);
    const ids = matchLineItems(snap, ctx({ country: 'DEU', deviceType: 4, os: 'android' }), NOW).map(
      (m) => m.lineItem.id,
    );
    const expected = Array.from({ length: 200 }, (_, k) => `li-${k * 5 + 1}`);
    expect(ids.sort()).toEqual([...expected, 'li-1000'].sort());
  });

  it('matches allowed domains and their subdomains once, and honours block lists', () => {
    const snap = compileSnapshot(
      dataWith([
        { domains: { allow: ['example.com', 'news.example.com'] } },
        { domains: { block: ['example.com'] } },
        { domains: { allow: ['other.org'] } },
      ]),
      1,
    );
    const req = requestContext({
      id: 'r',
      imp: [{ id: '1' }],
      site: { page: 'https://a.news.example.com/x' },
    });
    expect(req.domains).toEqual(['a.news.example.com', 'news.example.com', 'example.com', 'com']);
    expect(matchLineItems(snap, req, NOW).map((m) => m.lineItem.id)).toEqual(['li-0']);
  });

  it('matches categories by parent and region as COUNTRY-REGION', () => {
    const snap = compileSnapshot(
      dataWith([
        { categories: { allow: ['IAB1'] }, regions: ['USA-CA'] },
        { categories: { block: ['IAB1'] } },
      ]),
      1,
    );
    const req = requestContext({
      id: 'r',
      imp: [{ id: '1' }],
      site: { cat: ['IAB1-2'] },
      device: { geo: { country: 'usa', region: 'ca' } },
    });
    expect(req.categories).toEqual(['IAB1-2', 'IAB1']);
    expect(req.region).toBe('USA-CA');
    expect(matchLineItems(snap, req, NOW).map((m) => m.lineItem.id)).toEqual(['li-0']);
  });

  it('skips line items outside their flight', () => {
    const snap = compileSnapshot(dataWith([{}]), 1);
    expect(matchLineItems(snap, ctx({}), Date.parse('2023-12-31T23:59:59Z'))).toEqual([]);
    expect(matchLineItems(snap, ctx({}), Date.parse('2100-01-01T00:00:00Z'))).toEqual([]);
    expect(matchLineItems(snap, ctx({}), Date.parse('2024-01-01T00:00:00Z'))).toHaveLength(1);
  });
});

describe('matchLineItems on random campaign sets', () => {
  it('returns exactly what checking every line item in full returns, on both index paths', () => {
    const rng = seededRng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
    const maybe = <T>(p: number, f: () => T): T | undefined => (rng.next() < p ? f() : undefined);
    const countries = ['USA', 'DEU', 'FRA'];
    const oses = ['ios', 'android', 'windows'];
    const domains = ['a.com', 'b.com', 'news.a.com'];
    for (let round = 0; round < 20; round++) {
      const size = round % 2 === 0 ? 12 : 400;
      const targetings: Targeting[] = Array.from({ length: size }, () => {
        const t: Targeting = {};
        const c = maybe(0.5, () => [pick(countries)]);
        if (c) t.countries = c;
        const d = maybe(0.4, () => [pick([1, 2, 4])]);
        if (d) t.deviceTypes = d;
        const o = maybe(0.3, () => [pick(oses)]);
        if (o) t.os = o;
        const inv = maybe(0.2, () => [pick(['site', 'app'] as const)]);
        if (inv) t.inventoryTypes = inv;
        const dom = maybe(0.2, () => ({ allow: [pick(domains)] }));
        if (dom) t.domains = dom;
        const b = maybe(0.1, () => ({ allow: ['com.game'] }));
        if (b) t.bundles = b;
        return t;
      });
      const snap = compileSnapshot(dataWith(targetings), 1);
      for (let q = 0; q < 30; q++) {
        const domain = maybe(0.7, () => pick(domains));
        const c = ctx({
          country: maybe(0.9, () => pick(countries)),
          deviceType: maybe(0.9, () => pick([1, 2, 4])),
          os: maybe(0.8, () => pick(oses)),
          inventoryType: pick(['site', 'app'] as const),
          domains: domain ? [domain, ...(domain === 'news.a.com' ? ['a.com'] : []), 'com'] : [],
          bundle: maybe(0.3, () => 'com.game'),
        });
        const expected = snap.lineItems.filter((li) => matchesRequest(li, c, snap, NOW)).map((li) => li.idx);
        expect(matchLineItems(snap, c, NOW).map((li) => li.idx)).toEqual(expected);
        expect(matchLineItems(snap, c, NOW, 'postings').map((li) => li.idx)).toEqual(expected);
        expect(matchLineItems(snap, c, NOW, 'bits').map((li) => li.idx)).toEqual(expected);
      }
    }
  });
});

describe('LocalTimeCache', () => {
  it('gives day of week and hour in the zone, across a DST change', () => {
    const t = new LocalTimeCache();
    // 2026-03-08 is the US spring-forward Sunday: 06:59Z is 01:59 EST, 07:00Z is 03:00 EDT.
    expect(t.at('America/New_York', Date.parse('2026-03-08T06:59:00Z'))).toEqual({ dow: 0, hour: 1 });
    expect(t.at('America/New_York', Date.parse('2026-03-08T07:00:00Z'))).toEqual({ dow: 0, hour: 3 });
    expect(t.at('Asia/Tokyo', Date.parse('2026-11-22T15:30:00Z'))).toEqual({ dow: 1, hour: 0 });
    expect(t.at('Asia/Kolkata', Date.parse('2026-11-22T18:29:00Z'))).toEqual({ dow: 0, hour: 23 });
    expect(t.at('Asia/Kolkata', Date.parse('2026-11-22T18:30:00Z'))).toEqual({ dow: 1, hour: 0 });
  });
});
