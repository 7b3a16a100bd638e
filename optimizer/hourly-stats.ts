import type { HourlyRow } from '../reporting/index.ts';
import type { ArmStats } from './arm-stats.ts';
import type { CampaignInput } from './optimize-campaign.ts';
import { type CampaignStats, type StatsReader, type StatsWindow, variantArmId } from './ports.ts';

const HOUR_MS = 3_600_000;

/** ClickHouse `DateTime` as the rollup returns it (`2026-11-22 13:00:00`, UTC), in epoch ms. */
function hourMs(hour: string): number {
  return Date.parse(`${hour.replace(' ', 'T')}Z`);
}

/**
 * Maps hourly rollup rows (reporting's `events_hourly`) to each campaign's arm statistics: budget
 * rows at the level the campaign's arms are defined (a segment arm gets its segment's rows, a
 * line-item arm every row of its line item), creative rows per `(line item, creative)` with the
 * line item as the creative group; an advertiser's split (`advertiserId`) gets each member
 * campaign's rows under that campaign's arm. Rows of other exchanges and segments are summed; rows of arms
 * or campaigns not asked for are dropped. UInt64 columns may arrive as strings (ClickHouse JSON).
 */
export function campaignStatsFromHourly(
  rows: readonly HourlyRow[],
  campaigns: readonly CampaignInput[],
): Map<string, CampaignStats> {
  const wanted = new Map<string, { segments: Set<string>; lineItems: Set<string>; groups: Set<string> }>();
  // Advertisers' splits: every row of a member campaign counts for that campaign's arm.
  const splitsOf = new Map<string, string[]>();
  for (const c of campaigns) {
    if (c.advertiserId === undefined) continue;
    for (const a of c.budgetArms) splitsOf.set(a.armId, [...(splitsOf.get(a.armId) ?? []), c.campaignId]);
  }
  for (const c of campaigns) {
    if (c.advertiserId !== undefined) continue;
    const w = { segments: new Set<string>(), lineItems: new Set<string>(), groups: new Set<string>() };
    for (const a of c.budgetArms) {
      if (a.segmentId !== undefined) w.segments.add(a.armId);
      else w.lineItems.add(a.lineItemId);
    }
    for (const g of c.creativeGroups) w.groups.add(g.groupId);
    wanted.set(c.campaignId, w);
  }
  const budget = new Map<string, Map<string, ArmStats>>();
  const creatives = new Map<string, Map<string, ArmStats>>();
  const add = (
    into: Map<string, Map<string, ArmStats>>,
    campaignId: string,
    armId: string,
    r: HourlyRow,
    start: number,
  ) => {
    let byKey = into.get(campaignId);
    if (byKey === undefined) {
      byKey = new Map();
      into.set(campaignId, byKey);
    }
    const key = `${armId}\u0000${start}`;
    let s = byKey.get(key);
    if (s === undefined) {
      s = {
        armId,
        periodStartMs: start,
        periodEndMs: start + HOUR_MS,
        impressions: 0,
        clicks: 0,
        conversions: 0,
        spendMicros: 0,
        valueMicros: 0,
      };
      byKey.set(key, s);
    }
    s.impressions += Number(r.impressions);
    s.clicks += Number(r.clicks);
    s.conversions += Number(r.conversions);
    s.spendMicros += Number(r.spend_micros);
    s.valueMicros += Number(r.value_micros);
  };
  for (const r of rows) {
    const splits = splitsOf.get(r.campaign_id);
    if (splits !== undefined) {
      for (const id of splits) add(budget, id, r.campaign_id, r, hourMs(r.hour));
    }
    const w = wanted.get(r.campaign_id);
    if (w === undefined) continue;
    const start = hourMs(r.hour);
    const segArm = `${r.line_item_id}:${r.segment}`;
    if (r.segment !== '' && w.segments.has(segArm)) add(budget, r.campaign_id, segArm, r, start);
    if (w.lineItems.has(r.line_item_id)) add(budget, r.campaign_id, r.line_item_id, r, start);
    if (r.creative_id !== '' && w.groups.has(r.line_item_id))
      add(creatives, r.campaign_id, variantArmId(r.line_item_id, r.creative_id), r, start);
  }
  const out = new Map<string, CampaignStats>();
  for (const c of campaigns) {
    const b = budget.get(c.campaignId);
    const v = creatives.get(c.campaignId);
    if (b === undefined && v === undefined) continue;
    out.set(c.campaignId, {
      budget: b === undefined ? [] : [...b.values()],
      creatives: v === undefined ? [] : [...v.values()],
    });
  }
  return out;
}

/**
 * A StatsReader over the hourly rollup: `readRows` is reporting's `readHourlyRollup` bound to a
 * ClickHouse driver (embedded chDB or server); its failure propagates, which is what makes the
 * cycle fall back with OPT_STATS_UNAVAILABLE.
 */
export function hourlyStatsReader(
  readRows: (window: { fromMs: number; toMs: number }) => Promise<HourlyRow[]>,
): StatsReader {
  return {
    async read(campaigns: readonly CampaignInput[], window: StatsWindow) {
      const rows = await readRows({ fromMs: window.sinceMs, toMs: window.untilMs });
      return campaignStatsFromHourly(rows, campaigns);
    },
  };
}
