import { describe, expect, it } from 'vitest';
import type { CampaignData, LineItem, Targeting } from '../../core/index.ts';
import { demoData } from '../../tests/support/test-app.ts';
import { compileSnapshot } from './compile-snapshot.ts';
import { LocalTimeCache } from './local-time.ts';
import { matchLineItems } from './match-line-items.ts';
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
