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
