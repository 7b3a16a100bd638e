import { afterEach, describe, expect, it } from 'vitest';
import type { Bidder } from '../bidder/index.ts';
import type { AllocationEntity, CampaignData } from '../core/index.ts';
import { fillNotice, gateCampaign, gateData, gateLineItem } from './support/gate-data.ts';
import { testApp } from './support/test-app.ts';

/** The optimizer's allocation (a state-store entity) as the bidder serves it: budget arms and creative weights. */

const open: Bidder[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.app.close();
});

function data(): CampaignData {
  const base = gateData(
    [gateCampaign('c1', 1_000_000)],
    [gateLineItem('l-a', 'c1', 'a.example', 2_000_000), gateLineItem('l-b', 'c1', 'b.example', 2_000_000)],
  );
  const second = { ...base.creatives[0]!, id: 'cr-2', name: 'banner 2' };
  return {
    ...base,
    creatives: [...base.creatives, second],
    lineItems: base.lineItems.map((li) => ({ ...li, creativeIds: ['cr-1', 'cr-2'] })),
  };
}

function allocation(version: number, aDaily: number, weights: [number, number]): AllocationEntity {
  return {
    id: 'current',
    version,
    createdAtMs: 0,
    campaigns: {
      c1: {
        campaignId: 'c1',
        dailyBudgetMicros: 1_000_000,
        reason: 'normal',
        note: 'test',
        budgetArms: [
          { armId: 'l-a', lineItemId: 'l-a', share: aDaily / 1_000_000, dailyBudgetMicros: aDaily },
          {
            armId: 'l-b',
            lineItemId: 'l-b',
            share: 1 - aDaily / 1_000_000,
            dailyBudgetMicros: 1_000_000 - aDaily,
          },
        ],
        creativeGroups: [
          {
            groupId: 'l-a',
            variants: [
              { creativeId: 'cr-1', weight: weights[0] },
              { creativeId: 'cr-2', weight: weights[1] },
            ],
          },
        ],
      },
    },
  };
}

let seq = 0;
async function bid(b: Bidder, domain: string) {
  seq += 1;
  const res = await b.app.inject({
    method: 'POST',
    url: '/openrtb2/bid',
    payload: { id: `a-${seq}`, imp: [{ id: '1', banner: { w: 300, h: 250 } }], site: { domain }, tmax: 1000 },
  });
  return res.statusCode === 200
    ? (res.json().seatbid[0].bid[0] as { crid: string; burl: string })
    : undefined;
}

describe('allocation served by the bidder', () => {
  it('serves creatives by the allocation weights and caps a line item at its arm budget; a new version swaps in', async () => {
    const b = await testApp({ data: { ...data(), allocations: [allocation(1, 20_000, [0.8, 0.2])] } });
    open.push(b);
    const served: Record<string, number> = { 'cr-1': 0, 'cr-2': 0 };
    let wins = 0;
    for (let i = 0; i < 20; i++) {
      const x = await bid(b, 'a.example');
      if (x === undefined) continue;
      wins += 1;
      served[x.crid]! += 1;
      const u = new URL(fillNotice(x.burl, 2));
      await b.app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
    }
    // The arm's 20,000 micros pay ten 2,000-micro impressions; the campaign has plenty more.
    expect(wins).toBe(10);
    expect(b.gates.balances()['li:l-a']).toBeDefined();
    // Uniform weights for the other line item (no group): both creatives.
    const other = new Set<string>();
    for (let i = 0; i < 40; i++) other.add((await bid(b, 'b.example'))!.crid);
    expect([...other].sort()).toEqual(['cr-1', 'cr-2']);
    // Each bid event carries the probability its creative was drawn with.
    const propensities = new Set(
      b.sink.ofType('bid').map((e) => `${e.lineItemId}:${e.creativeId}:${e.propensity}`),
    );
    expect([...propensities].sort()).toEqual([
      'l-a:cr-1:0.8',
      'l-a:cr-2:0.2',
      'l-b:cr-1:0.5',
      'l-b:cr-2:0.5',
    ]);

    // Version 2: all weight on cr-2, more budget for l-a.
    await b.store.put('allocation', allocation(2, 500_000, [0, 1]));
    for (let i = 0; i < 50 && b.index.current!.version < (await b.store.version()); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const after = new Set<string>();
    for (let i = 0; i < 20; i++) after.add((await bid(b, 'a.example'))!.crid);
    expect([...after]).toEqual(['cr-2']);
    expect(served['cr-1']).toBeGreaterThan(served['cr-2']!);
  });
});

describe('segment arms served by the bidder', () => {
  /** l-a targets two segments (one budget arm each); l-b none. */
  function segmentData(): CampaignData {
    const base = data();
    return {
      ...base,
      lineItems: base.lineItems.map((li) =>
        li.id === 'l-a' ? { ...li, targeting: { ...li.targeting, segments: ['s1', 's2'] } } : li,
      ),
    };
  }

  function segmentAllocation(s1Daily: number, s2Daily: number): AllocationEntity {
    const arm = (segmentId: string, dailyBudgetMicros: number) => ({
      armId: `l-a:${segmentId}`,
      lineItemId: 'l-a',
      segmentId,
      share: dailyBudgetMicros / 1_000_000,
      dailyBudgetMicros,
    });
    const rest = 1_000_000 - s1Daily - s2Daily;
    return {
      id: 'current',
      version: 1,
      createdAtMs: 0,
      campaigns: {
        c1: {
          campaignId: 'c1',
          dailyBudgetMicros: 1_000_000,
          reason: 'normal',
          note: 'test',
          budgetArms: [
            arm('s1', s1Daily),
            arm('s2', s2Daily),
            { armId: 'l-b', lineItemId: 'l-b', share: rest / 1_000_000, dailyBudgetMicros: rest },
          ],
          creativeGroups: [],
        },
      },
    };
  }

  async function bidFor(b: Bidder, segments: string[]) {
    seq += 1;
    const res = await b.app.inject({
      method: 'POST',
      url: '/openrtb2/bid',
      payload: {
        id: `s-${seq}`,
        imp: [{ id: '1', banner: { w: 300, h: 250 } }],
        site: { domain: 'a.example' },
        // No data.id: segment ids are `<data.id>:<segment.id>` when the provider is named.
        user: { id: `u-${seq}`, data: [{ segment: segments.map((id) => ({ id })) }] },
        tmax: 1000,
      },
    });
    return res.statusCode === 200
      ? (res.json().seatbid[0].bid[0] as { burl: string; adm: string })
      : undefined;
  }

  it('bids only for users in a targeted segment, for the first listed one, each segment capped at its arm budget', async () => {
    const b = await testApp({ data: { ...segmentData(), allocations: [segmentAllocation(10_000, 4_000)] } });
    open.push(b);
    expect(await bidFor(b, [])).toBeUndefined();
    expect(await bidFor(b, ['other'])).toBeUndefined();

    const won: Record<string, number> = { s1: 0, s2: 0 };
    for (const [segments, label] of [
      [['s2', 's1'], 's1'], // listed order decides: s1 before s2
      [['s2'], 's2'],
    ] as const) {
      for (let i = 0; i < 12; i++) {
        const x = await bidFor(b, [...segments]);
        if (x === undefined) continue;
        won[label]! += 1;
        const burl = new URL(fillNotice(x.burl, 2));
        expect(burl.searchParams.get('sg')).toBe(label);
        await b.app.inject({ method: 'GET', url: `${burl.pathname}${burl.search}` });
        const pixel = /src="([^"]+\/track\/impression[^"]+)"/.exec(x.adm)?.[1];
        if (pixel !== undefined) {
          const p = new URL(pixel.replaceAll('&amp;', '&'));
          expect((await b.app.inject({ method: 'GET', url: `${p.pathname}${p.search}` })).statusCode).toBe(
            200,
          );
        }
      }
    }
    // 2,000-micro impressions: the s1 arm's 10,000 pay five, the s2 arm's 4,000 pay two.
    expect(won).toEqual({ s1: 5, s2: 2 });
    expect(b.gates.balances()['li:l-a:s1']).toBeDefined();
    // The segment rides on every event the rollup groups by, so the optimizer sees each arm.
    const segmentsOf = (type: 'bid' | 'billing' | 'impression') =>
      [...new Set(b.sink.ofType(type).map((e) => (e as { segment?: string }).segment))].sort();
    expect(segmentsOf('bid')).toEqual(['s1', 's2']);
    expect(segmentsOf('billing')).toEqual(['s1', 's2']);
    expect(segmentsOf('impression')).toEqual(['s1', 's2']);
    expect(b.sink.ofType('billing')).toHaveLength(7);
  });
});

describe('an advertiser’s shared budget served by the bidder', () => {
  it('caps each campaign at the lower of its own daily budget and its share of the advertiser’s', async () => {
    const base = gateData(
      [gateCampaign('c1', 1_000_000), gateCampaign('c2', 1_000_000)],
      [gateLineItem('l-1', 'c1', 'a.example', 2_000_000), gateLineItem('l-2', 'c2', 'b.example', 2_000_000)],
      { dailyBudgetMicros: 1_010_000 },
    );
    const allocation: AllocationEntity = {
      id: 'current',
      version: 1,
      createdAtMs: 0,
      campaigns: {},
      advertisers: {
        'adv-1': {
          advertiserId: 'adv-1',
          dailyBudgetMicros: 1_010_000,
          reason: 'normal',
          note: 'test',
          campaigns: [
            { campaignId: 'c1', share: 6_000 / 1_010_000, dailyBudgetMicros: 6_000 },
            { campaignId: 'c2', share: 1_004_000 / 1_010_000, dailyBudgetMicros: 1_004_000 },
          ],
        },
      },
    };
    const b = await testApp({ data: { ...base, allocations: [allocation] } });
    open.push(b);
    const wins = async (domain: string) => {
      let n = 0;
      for (let i = 0; i < 8; i++) {
        const x = await bid(b, domain);
        if (x === undefined) continue;
        n += 1;
        const u = new URL(fillNotice(x.burl, 2));
        await b.app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
      }
      return n;
    };
    // c1's share pays three 2,000-micro impressions; c2 keeps its own 1,000,000 (below its share).
    expect(await wins('a.example')).toBe(3);
    expect(await wins('b.example')).toBe(8);
  });
});
