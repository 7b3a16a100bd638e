import { describe, expect, it } from 'vitest';
import { gateCampaign, gateData, gateLineItem } from '../../tests/support/gate-data.ts';
import { campaignInputs } from './campaign-inputs.ts';

describe('campaignInputs: budget arms', () => {
  const now = Date.UTC(2026, 10, 22, 12);
  const data = (segmentsOfA: string[] | undefined) => {
    const base = gateData([{ ...gateCampaign('c1', 1_000_000), goal: { type: 'clicks' } }] as never, [
      gateLineItem('l-a', 'c1', 'a.example', 2_000_000),
      gateLineItem('l-b', 'c1', 'b.example', 2_000_000),
    ]);
    return {
      ...base,
      campaigns: base.campaigns.map((c) => ({ ...c, goal: { type: 'clicks' as const } })),
      lineItems: base.lineItems.map((li) =>
        li.id === 'l-a' && segmentsOfA !== undefined
          ? { ...li, targeting: { ...li.targeting, segments: segmentsOfA } }
          : li,
      ),
    };
  };

  it('makes a line item targeting two or more segments one arm per segment', () => {
    const [input] = campaignInputs(data(['s1', 's2', 's1']), now);
    expect(input!.budgetArms).toEqual([
      { armId: 'l-a:s1', lineItemId: 'l-a', segmentId: 's1', status: 'active' },
      { armId: 'l-a:s2', lineItemId: 'l-a', segmentId: 's2', status: 'active' },
      { armId: 'l-b', lineItemId: 'l-b', status: 'active' },
    ]);
  });

  it('keeps a line item with one segment, or none, as one arm', () => {
    for (const segments of [undefined, ['s1']]) {
      const [input] = campaignInputs(data(segments), now);
      expect(input!.budgetArms.map((a) => a.armId)).toEqual(['l-a', 'l-b']);
    }
  });
});

describe('campaignInputs: advertisers sharing their daily budget', () => {
  const now = Date.UTC(2026, 10, 22, 12);
  const shared = (optimizer: boolean, campaigns = ['c1', 'c2']) => {
    const base = gateData(
      campaigns.map((id) => gateCampaign(id, 1_000_000)),
      campaigns.flatMap((id) => [
        gateLineItem(`${id}-a`, id, 'a.example', 2_000_000),
        gateLineItem(`${id}-b`, id, 'b.example', 2_000_000),
      ]),
      { dailyBudgetMicros: 1_500_000 },
    );
    return {
      ...base,
      advertisers: base.advertisers.map((a) =>
        optimizer ? { ...a, optimizer: { shareDailyBudget: true as const, goal: 'clicks' as const } } : a,
      ),
      campaigns: base.campaigns.map((c) => ({ ...c, goal: { type: 'clicks' as const } })),
    };
  };

  it('adds one split per advertiser, first, with its campaigns as arms, and marks the campaigns', () => {
    const inputs = campaignInputs(shared(true), now);
    expect(inputs.map((i) => [i.campaignId, i.sharedBy])).toEqual([
      ['adv:adv-1', undefined],
      ['c1', 'adv-1'],
      ['c2', 'adv-1'],
    ]);
    expect(inputs[0]).toMatchObject({
      advertiserId: 'adv-1',
      dailyBudgetMicros: 1_500_000,
      goal: { kind: 'clicks' },
      budgetArms: [
        { armId: 'c1', lineItemId: 'c1', status: 'active' },
        { armId: 'c2', lineItemId: 'c2', status: 'active' },
      ],
    });
  });

  it('adds none without the option, or with one live campaign', () => {
    expect(campaignInputs(shared(false), now).map((i) => i.campaignId)).toEqual(['c1', 'c2']);
    expect(campaignInputs(shared(true, ['c1']), now).map((i) => [i.campaignId, i.sharedBy])).toEqual([
      ['c1', undefined],
    ]);
  });
});
