import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CampaignData } from './campaign.ts';
import type { ScoreTable } from './scoring.ts';
import { campaignDataProblems, entityProblems } from './validate-campaign-data.ts';

/** The demo data set as shipped: it has no `scoreTables` list. */
const demo = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'config', 'demo-data.json'), 'utf8'),
) as CampaignData;

const table = (id: string, lineItemId: string, over: Partial<ScoreTable> = {}): ScoreTable => ({
  id,
  lineItemId,
  version: 1,
  ctr: {
    bias: -4,
    segments: { 'dp1:auto': 0.8, 'eid:liveramp.com': 0.1 },
    context: { deviceType: { '4': 0.2 }, inventoryType: { site: 0.1 }, hour: { '0': -0.2, '23': 0.1 } },
  },
  cvr: { bias: -2.5, segments: { 'crm:income': 0.001 }, segmentValues: 'numeric' },
  ...over,
});

describe('score tables in campaign data', () => {
  it('a data set without scoreTables (as written before they existed) is valid, and so is one with valid tables', () => {
    const { scoreTables: _, ...withoutTables } = demo;
    expect(campaignDataProblems(withoutTables)).toEqual([]);
    expect(campaignDataProblems(demo)).toEqual([]);
    expect(campaignDataProblems({ ...demo, scoreTables: [table('st-1', 'li-native')] })).toEqual([]);
  });

  it('reports a table of an unknown line item and a second table for one line item', () => {
    const problems = campaignDataProblems({
      ...demo,
      scoreTables: [table('st-1', 'li-native'), table('st-2', 'li-gone'), table('st-3', 'li-native')],
    });
    expect(problems).toEqual([
      'scoreTable st-2: unknown line item li-gone',
      'scoreTable st-3: line item li-native already has st-1',
    ]);
  });

  it('reports each weight that is not a finite number, by its path', () => {
    const bad = table('st-1', 'li-native', {
      ctr: { bias: Number.NaN, segments: { 'dp1:auto': Number.POSITIVE_INFINITY } },
    });
    const problems = campaignDataProblems({ ...demo, scoreTables: [bad] });
    expect(problems).toContain('[0] scoreTable st-1: ctr.bias is NaN, not a finite number');
    expect(problems).toContain('[0] scoreTable st-1: ctr.segments.dp1:auto is Infinity, not a finite number');
  });

  it.each([
    ['version 0', { version: 0 }, '/version'],
    [
      'an hour of 24',
      { ctr: { bias: 0, segments: {}, context: { hour: { '24': 1 } } } },
      '/ctr/context/hour',
    ],
    [
      'an unknown inventory type',
      { ctr: { bias: 0, segments: {}, context: { inventoryType: { ctv: 1 } } } },
      '/ctr/context/inventoryType',
    ],
    [
      'a device type that is not a number',
      { ctr: { bias: 0, segments: {}, context: { deviceType: { phone: 1 } } } },
      '/ctr/context/deviceType',
    ],
    ['a weight above 1e6', { ctr: { bias: 2e6, segments: {} } }, '/ctr/bias'],
    ['an empty segment id', { ctr: { bias: 0, segments: { '': 1 } } }, '/ctr/segments'],
    ['an unknown value mode', { ctr: { bias: 0, segments: {}, segmentValues: 'log' } }, '/ctr/segmentValues'],
  ])('rejects a table with %s', (_, over, path) => {
    const problems = entityProblems('scoreTable', table('st-1', 'li-native', over as Partial<ScoreTable>));
    expect(problems.length).toBeGreaterThan(0);
    expect(
      problems.some((p) => p.startsWith(`scoreTable${path}`)),
      problems.join('\n'),
    ).toBe(true);
  });
});

describe('advertisers sharing their daily budget', () => {
  it('accepts the option with a daily budget and reports it without one', () => {
    const share = { shareDailyBudget: true as const, goal: 'clicks' as const };
    const withOption = (dailyBudgetMicros: number | undefined) => ({
      ...demo,
      advertisers: demo.advertisers.map((a, i) => {
        const { dailyBudgetMicros: _d, ...rest } = a;
        return i === 0
          ? { ...rest, optimizer: share, ...(dailyBudgetMicros === undefined ? {} : { dailyBudgetMicros }) }
          : a;
      }),
    });
    expect(campaignDataProblems(withOption(5_000_000))).toEqual([]);
    expect(campaignDataProblems(withOption(undefined))).toEqual([
      `advertiser ${demo.advertisers[0]!.id}: optimizer.shareDailyBudget needs a dailyBudgetMicros to share`,
    ]);
    expect(
      entityProblems('advertiser', { ...demo.advertisers[0], optimizer: { shareDailyBudget: false } }),
    ).not.toEqual([]);
  });
});
