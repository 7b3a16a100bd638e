import type { Advertiser, Campaign, CampaignData, DayPart, LineItem } from '../../core/index.ts';
import { type CompiledCreative, compileCreative } from '../../creative/index.ts';
import { LocalTimeCache } from './local-time.ts';

/** A line item joined with its campaign, advertiser and creatives, with targeting as sets. */
export interface CompiledLineItem {
  readonly idx: number;
  readonly lineItem: LineItem;
  readonly campaign: Campaign;
  readonly advertiser: Advertiser;
  readonly creatives: readonly CompiledCreative[];
  readonly startMs: number;
  readonly endMs: number;
  readonly countries: ReadonlySet<string> | undefined;
  readonly regions: ReadonlySet<string> | undefined;
  readonly deviceTypes: ReadonlySet<number> | undefined;
  readonly os: ReadonlySet<string> | undefined;
  readonly domainAllow: ReadonlySet<string> | undefined;
  readonly domainBlock: ReadonlySet<string> | undefined;
  readonly bundleAllow: ReadonlySet<string> | undefined;
  readonly bundleBlock: ReadonlySet<string> | undefined;
  readonly catAllow: ReadonlySet<string> | undefined;
  readonly catBlock: ReadonlySet<string> | undefined;
  readonly inventoryTypes: ReadonlySet<string> | undefined;
  readonly formats: ReadonlySet<string> | undefined;
  readonly sizes: ReadonlySet<string> | undefined;
  readonly dayParts: readonly DayPart[] | undefined;
  readonly deals: ReadonlySet<string> | undefined;
  readonly dealsOnly: boolean;
}

/** Posting lists for one targeting dimension: line-item indices per value, plus those that accept any value. */
export interface Posting<K> {
  readonly byValue: ReadonlyMap<K, readonly number[]>;
  readonly any: readonly number[];
}

/**
 * The immutable, pure-data view of the campaigns that the bid path evaluates: built once per
 * campaign change, never per request, so it can be handed to worker threads unchanged.
 */
export interface CompiledSnapshot {
  readonly version: number;
  readonly lineItems: readonly CompiledLineItem[];
  readonly byCountry: Posting<string>;
  readonly byDeviceType: Posting<number>;
  readonly byOs: Posting<string>;
  readonly byInventory: Posting<string>;
  readonly byDomain: Posting<string>;
  readonly byBundle: Posting<string>;
  readonly localTime: LocalTimeCache;
}

function lowerSet(list: readonly string[] | undefined): ReadonlySet<string> | undefined {
  return list && list.length > 0 ? new Set(list.map((s) => s.toLowerCase())) : undefined;
}
function upperSet(list: readonly string[] | undefined): ReadonlySet<string> | undefined {
  return list && list.length > 0 ? new Set(list.map((s) => s.toUpperCase())) : undefined;
}
function nonEmpty<T>(list: readonly T[] | undefined): ReadonlySet<T> | undefined {
  return list && list.length > 0 ? new Set(list) : undefined;
}

function buildPosting<K>(
  items: readonly CompiledLineItem[],
  values: (li: CompiledLineItem) => ReadonlySet<K> | undefined,
): Posting<K> {
  const byValue = new Map<K, number[]>();
  const any: number[] = [];
  for (const li of items) {
    const set = values(li);
    if (set === undefined) {
      any.push(li.idx);
      continue;
    }
    for (const v of set) {
      const list = byValue.get(v);
      if (list) list.push(li.idx);
      else byValue.set(v, [li.idx]);
    }
  }
  return { byValue, any };
}

/**
 * Joins and indexes the campaign data. Only active line items of active campaigns and advertisers
 * with at least one known creative are kept; flight dates are checked per request (they pass with time).
 */
export function compileSnapshot(data: CampaignData, version: number): CompiledSnapshot {
  const advertisers = new Map(data.advertisers.map((a) => [a.id, a]));
  const campaigns = new Map(data.campaigns.map((c) => [c.id, c]));
  const creatives = new Map(data.creatives.map((c) => [c.id, compileCreative(c)]));
  const lineItems: CompiledLineItem[] = [];
  for (const li of data.lineItems) {
    const campaign = campaigns.get(li.campaignId);
    const advertiser = campaign && advertisers.get(campaign.advertiserId);
    if (!campaign || !advertiser) continue;
    if (li.status !== 'active' || campaign.status !== 'active' || advertiser.status !== 'active') continue;
    const cr = li.creativeIds
      .map((id) => creatives.get(id))
      .filter((c): c is CompiledCreative => c !== undefined && c.creative.advertiserId === advertiser.id);
    if (cr.length === 0) continue;
    const t = li.targeting;
    lineItems.push({
      idx: lineItems.length,
      lineItem: li,
      campaign,
      advertiser,
      creatives: cr,
      startMs: Date.parse(campaign.startAt),
      endMs: Date.parse(campaign.endAt),
      countries: upperSet(t.countries),
      regions: upperSet(t.regions),
      deviceTypes: nonEmpty(t.deviceTypes),
      os: lowerSet(t.os),
      domainAllow: lowerSet(t.domains?.allow),
      domainBlock: lowerSet(t.domains?.block),
      bundleAllow: lowerSet(t.bundles?.allow),
      bundleBlock: lowerSet(t.bundles?.block),
      catAllow: upperSet(t.categories?.allow),
      catBlock: upperSet(t.categories?.block),
      inventoryTypes: nonEmpty(t.inventoryTypes),
      formats: nonEmpty(t.formats),
      sizes: nonEmpty(t.sizes),
      dayParts: t.dayParts && t.dayParts.length > 0 ? t.dayParts : undefined,
      deals: nonEmpty(t.deals),
      dealsOnly: t.dealsOnly === true,
    });
  }
  return {
    version,
    lineItems,
    byCountry: buildPosting(lineItems, (li) => li.countries),
    byDeviceType: buildPosting(lineItems, (li) => li.deviceTypes),
    byOs: buildPosting(lineItems, (li) => li.os),
    byInventory: buildPosting(lineItems, (li) => li.inventoryTypes),
    byDomain: buildPosting(lineItems, (li) => li.domainAllow),
    byBundle: buildPosting(lineItems, (li) => li.bundleAllow),
    localTime: new LocalTimeCache(),
  };
}
