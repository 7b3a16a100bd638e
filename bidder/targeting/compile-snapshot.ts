import {
  type Advertiser,
  type AllocationEntity,
  type Campaign,
  type CampaignData,
  type DayPart,
  type LineItem,
  seededRng,
} from '../../core/index.ts';
import { type CompiledCreative, compileCreative } from '../../creative/index.ts';
import type { CompiledScoreTable, CompiledScoreTables } from '../scoring/compile-score-table.ts';
import { compileScoreTables, type ScoreTableCache } from '../scoring/compile-score-table.ts';
import { createEncodedFeatures, type EncodedFeatures } from '../scoring/score.ts';
import {
  attachScoreTables,
  type SharedScoreTables,
  shareScoreTables,
} from '../scoring/shared-score-tables.ts';
import type { PricingStrategy } from '../strategies/strategy.ts';
import { StrategyRegistry } from '../strategies/strategy-registry.ts';
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
  /** Audience segments the user must be in (one at least), in priority order; undefined: anyone. */
  readonly segments: readonly string[] | undefined;
  /** The line item's segment score table, if it has one. */
  readonly scoreTable: CompiledScoreTable | undefined;
  /** How it prices; from the thread's StrategyRegistry, so what it learned survives snapshot swaps. */
  readonly strategy: PricingStrategy;
  /** Serving weight per creative id from the optimizer's allocation (group = this line item); undefined: uniform. */
  readonly creativeWeights: ReadonlyMap<string, number> | undefined;
  /** This line item's daily budget from the optimizer's allocation (its budget arm), when it has one. */
  readonly allocatedDailyMicros: number | undefined;
  /** Daily budget per segment from the allocation's segment arms (`${lineItemId}:${segmentId}`), when it has them. */
  readonly segmentDailyMicros: ReadonlyMap<string, number> | undefined;
}

/**
 * One targeting dimension as bitsets over line-item indices: a bit per line item that accepts any
 * value (`any`), and per value the line items that list it. Dense dimensions (country, device
 * type, OS, inventory type) keep a bitset per value; sparse ones (domains, bundles: many values,
 * few line items each) keep index lists and are turned into bits per request.
 */
export interface BitDimension<K> {
  readonly any: Uint32Array;
  /** The line items in `any`, as a list (for the posting-list path of `matchLineItems`). */
  readonly anyList: readonly number[];
  /** Per value, the line items that list it. */
  readonly lists: ReadonlyMap<K, readonly number[]>;
  /** Dense dimensions only: `lists` as bitsets. */
  readonly dense: ReadonlyMap<K, Uint32Array> | undefined;
}

/**
 * The immutable, pure-data view of the campaigns that the bid path evaluates: built once per
 * campaign change, never per request, so it can be handed to worker threads unchanged.
 */
export interface CompiledSnapshot {
  readonly version: number;
  readonly lineItems: readonly CompiledLineItem[];
  /** Length of every bitset: ceil(line items / 32). */
  readonly words: number;
  readonly byCountry: BitDimension<string>;
  readonly byDeviceType: BitDimension<number>;
  readonly byOs: BitDimension<string>;
  readonly byInventory: BitDimension<string>;
  readonly byDomain: BitDimension<string>;
  readonly byBundle: BitDimension<string>;
  readonly localTime: LocalTimeCache;
  /** Score tables, their weights in shared memory. */
  readonly scoring: CompiledScoreTables;
  /** The same tables as posted to scoring workers (shared memory, not copied). */
  readonly sharedScoring: SharedScoreTables;
  /** Per-thread scratch for a request's encoded features (the bid path is synchronous). */
  readonly encoded: EncodedFeatures;
  /** Some line item has frequency caps (its own or its campaign's): requests need a user key. */
  readonly frequencyCapped: boolean;
  /** Per-thread scratch bitsets for `matchLineItems` (the bid path is synchronous, so one set per snapshot suffices). */
  readonly scratch: {
    readonly acc: Uint32Array;
    readonly domain: Uint32Array;
    readonly bundle: Uint32Array;
    readonly zeros: Uint32Array;
  };
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

function buildDimension<K>(
  items: readonly CompiledLineItem[],
  words: number,
  sparse: boolean,
  values: (li: CompiledLineItem) => ReadonlySet<K> | undefined,
): BitDimension<K> {
  const any = new Uint32Array(words);
  const anyList: number[] = [];
  const lists = new Map<K, number[]>();
  for (const li of items) {
    const set = values(li);
    if (set === undefined) {
      any[li.idx >>> 5]! |= 1 << (li.idx & 31);
      anyList.push(li.idx);
      continue;
    }
    for (const v of set) {
      const list = lists.get(v);
      if (list) list.push(li.idx);
      else lists.set(v, [li.idx]);
    }
  }
  if (sparse) return { any, anyList, lists, dense: undefined };
  const dense = new Map<K, Uint32Array>();
  for (const [v, list] of lists) {
    const bits = new Uint32Array(words);
    for (const idx of list) bits[idx >>> 5]! |= 1 << (idx & 31);
    dense.set(v, bits);
  }
  return { any, anyList, lists, dense };
}

/**
 * Joins and indexes the campaign data. Only active line items of active campaigns and advertisers
 * with at least one known creative are kept; flight dates are checked per request (they pass with time).
 */
export function compileSnapshot(
  data: CampaignData,
  version: number,
  opts: {
    /** Score tables already in shared memory (workers receive them from the main thread). */
    shared?: SharedScoreTables;
    /** The thread's strategies; a fresh registry (nothing learned) when absent. */
    strategies?: StrategyRegistry;
    /** Reuses score tables compiled for the previous snapshot when they did not change. */
    scoreTables?: ScoreTableCache;
  } = {},
): CompiledSnapshot {
  const { shared } = opts;
  const strategies = opts.strategies ?? new StrategyRegistry({ rng: seededRng(version) });
  const sharedScoring = shared ?? shareScoreTables(compileScoreTables(data.scoreTables, opts.scoreTables));
  const scoring = attachScoreTables(sharedScoring);
  const advertisers = new Map(data.advertisers.map((a) => [a.id, a]));
  const allocation = latestAllocation(data);
  const campaigns = new Map(data.campaigns.map((c) => [c.id, withSharedBudget(c, allocation)]));
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
      segments: t.segments && t.segments.length > 0 ? t.segments : undefined,
      scoreTable: scoring.byLineItem.get(li.id),
      strategy: strategies.strategyFor(li),
      ...allocatedTo(allocation, campaign.id, li.id),
    });
  }
  strategies.retain(new Set(lineItems.map((li) => li.lineItem.id)));
  const words = Math.max(1, Math.ceil(lineItems.length / 32));
  return {
    version,
    lineItems,
    words,
    byCountry: buildDimension(lineItems, words, false, (li) => li.countries),
    byDeviceType: buildDimension(lineItems, words, false, (li) => li.deviceTypes),
    byOs: buildDimension(lineItems, words, false, (li) => li.os),
    byInventory: buildDimension(lineItems, words, false, (li) => li.inventoryTypes),
    byDomain: buildDimension(lineItems, words, true, (li) => li.domainAllow),
    byBundle: buildDimension(lineItems, words, true, (li) => li.bundleAllow),
    localTime: new LocalTimeCache(),
    scoring,
    sharedScoring,
    encoded: createEncodedFeatures(scoring.vocabulary),
    frequencyCapped: lineItems.some(
      (li) => li.campaign.frequencyCaps.length > 0 || (li.lineItem.frequencyCaps?.length ?? 0) > 0,
    ),
    scratch: {
      acc: new Uint32Array(words),
      domain: new Uint32Array(words),
      bundle: new Uint32Array(words),
      zeros: new Uint32Array(words),
    },
  };
}

/**
 * A campaign whose advertiser shares its daily budget (`allocation.advertisers`): its daily budget
 * is the lower of its own and the share the optimizer gave it, for every consumer (the budget
 * gate, pacing, the strategies' remaining budget). Otherwise the campaign as it is.
 */
function withSharedBudget(campaign: Campaign, allocation: AllocationEntity | undefined): Campaign {
  const share = allocation?.advertisers?.[campaign.advertiserId]?.campaigns.find(
    (s) => s.campaignId === campaign.id,
  );
  if (share === undefined || share.dailyBudgetMicros >= campaign.dailyBudgetMicros) return campaign;
  return { ...campaign, dailyBudgetMicros: share.dailyBudgetMicros };
}

/** The allocation with the highest version, if the optimizer wrote one. */
function latestAllocation(data: CampaignData): AllocationEntity | undefined {
  let best: AllocationEntity | undefined;
  for (const a of data.allocations ?? []) if (best === undefined || a.version > best.version) best = a;
  return best;
}

/**
 * What the allocation gives one line item: its budget arm's daily budget (a line-item arm), or one
 * per segment (segment arms), and its creative group's weights.
 */
function allocatedTo(
  allocation: AllocationEntity | undefined,
  campaignId: string,
  lineItemId: string,
): Pick<CompiledLineItem, 'creativeWeights' | 'allocatedDailyMicros' | 'segmentDailyMicros'> {
  const c = allocation?.campaigns[campaignId];
  let line: number | undefined;
  let segments: Map<string, number> | undefined;
  for (const a of c?.budgetArms ?? []) {
    if (a.lineItemId !== lineItemId) continue;
    if (a.segmentId === undefined) {
      if (a.armId === lineItemId) line = a.dailyBudgetMicros;
    } else {
      segments ??= new Map();
      segments.set(a.segmentId, a.dailyBudgetMicros);
    }
  }
  const group = c?.creativeGroups.find((g) => g.groupId === lineItemId);
  return {
    allocatedDailyMicros: line,
    segmentDailyMicros: segments,
    creativeWeights: group ? new Map(group.variants.map((v) => [v.creativeId, v.weight])) : undefined,
  };
}
