import { describe, expect, it } from 'vitest';
import type { HourlyRow } from '../reporting/index.ts';
import { campaignStatsFromHourly, hourlyStatsReader } from './hourly-stats.ts';
import type { CampaignInput } from './optimize-campaign.ts';

const row = (over: Partial<HourlyRow>): HourlyRow => ({
  hour: '2026-11-22 10:00:00',
  campaign_id: 'c',
  line_item_id: 'li',
  creative_id: 'cr1',
  segment: 's1',
  exchange: 'x',
  bids: 0,
  wins: 0,
  impressions: 100,
  billed: 0,
  clicks: 2,
  conversions: 1,
  spend_micros: 50_000,
  value_micros: 7_000_000,
  ...over,
});

const segCampaign: CampaignInput = {
  campaignId: 'c',
  dailyBudgetMicros: 1,
  bandit: 'thompson',
  goal: { kind: 'clicks', cvrBase: 'click' },
  budgetArms: [
    { armId: 'li:s1', lineItemId: 'li', segmentId: 's1', status: 'active' },
    { armId: 'li:s2', lineItemId: 'li', segmentId: 's2', status: 'active' },
  ],
  creativeGroups: [{ groupId: 'li', variants: [{ creativeId: 'cr1', status: 'active' }] }],
};

describe('campaignStatsFromHourly', () => {
  const rows = [
    row({}),
    row({ exchange: 'y', spend_micros: '10000' as unknown as number }),
    row({ segment: 's2', creative_id: 'cr2' }),
    row({ segment: 's3' }),
    row({ hour: '2026-11-22 11:00:00' }),
    row({ campaign_id: 'other' }),
  ];

  it('sums exchanges into one row per segment arm and hour, and keys creatives by group', () => {
    const s = campaignStatsFromHourly(rows, [segCampaign]).get('c')!;
    const s1 = s.budget.filter((r) => r.armId === 'li:s1');
    expect(s1.map((r) => [r.periodStartMs, r.impressions, r.spendMicros])).toEqual([
      [Date.UTC(2026, 10, 22, 10), 200, 60_000],
      [Date.UTC(2026, 10, 22, 11), 100, 50_000],
    ]);
    expect(s1[0]!.periodEndMs - s1[0]!.periodStartMs).toBe(3_600_000);
    expect(s.budget.filter((r) => r.armId === 'li:s2')).toHaveLength(1);
    expect(s.budget.some((r) => r.armId.endsWith('s3'))).toBe(false);
    const cr1 = s.creatives.filter((r) => r.armId === 'li|cr1');
    expect(cr1.map((r) => r.impressions)).toEqual([300, 100]);
  });

  it('aggregates every segment into a line-item arm', () => {
    const li: CampaignInput = {
      ...segCampaign,
      budgetArms: [{ armId: 'li', lineItemId: 'li', status: 'active' }],
    };
    const s = campaignStatsFromHourly(rows, [li]).get('c')!;
    expect(s.budget.map((r) => r.impressions)).toEqual([400, 100]);
  });

  it('is a StatsReader whose failure propagates', async () => {
    const reader = hourlyStatsReader(async () => {
      throw new Error('down');
    });
    await expect(reader.read([segCampaign], { sinceMs: 0, untilMs: 1 })).rejects.toThrow('down');
    const ok = hourlyStatsReader(async () => rows);
    expect((await ok.read([segCampaign], { sinceMs: 0, untilMs: 1 })).get('c')!.budget).toHaveLength(3);
  });
});

describe('campaignStatsFromHourly: an advertiser’s split', () => {
  it('sums each member campaign’s rows into that campaign’s arm, besides the campaign’s own statistics', () => {
    const split: CampaignInput = {
      campaignId: 'adv:a',
      advertiserId: 'a',
      dailyBudgetMicros: 1,
      bandit: 'thompson',
      goal: { kind: 'clicks', cvrBase: 'click' },
      budgetArms: ['c', 'd'].map((id) => ({ armId: id, lineItemId: id, status: 'active' as const })),
      creativeGroups: [],
    };
    const out = campaignStatsFromHourly(
      [row({}), row({ segment: 's2', line_item_id: 'li2' }), row({ campaign_id: 'd', clicks: 5 })],
      [split, segCampaign],
    );
    const arms = out.get('adv:a')!.budget.map((r) => [r.armId, r.impressions, r.clicks]);
    expect(arms.sort()).toEqual([
      ['c', 200, 4],
      ['d', 100, 5],
    ]);
    expect(out.get('c')!.budget.map((r) => r.armId)).toEqual(['li:s1']);
  });
});
