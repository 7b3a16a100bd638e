import Type, { type Static } from 'typebox';
import { AllocationSchema } from './allocation.ts';
import { type ScoreTable, ScoreTableSchema } from './scoring.ts';

/**
 * The campaign model: advertiser → campaign → line items → creatives.
 * These schemas are the contract for every store (embedded, Redis), the demo seed file and,
 * later, the buyer API. Money is integer micros of the account currency; CPMs are micros per
 * thousand impressions.
 */

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
const MicrosSchema = Type.Integer({ minimum: 0 });
const Status = Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('archived')]);

/** The optimizer's bandits a campaign or an advertiser's split can name (optimizer/bandits/registry.ts). */
export const BanditNameSchema = Type.Union([
  Type.Literal('thompson'),
  Type.Literal('ucb-tuned'),
  Type.Literal('epsilon-greedy'),
  Type.Literal('thompson-capped'),
]);

/** An advertiser: owns campaigns and creatives. */
export const AdvertiserSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  /** The advertiser's domain as exchanges know it (matched against `badv`). */
  domain: Type.String({ minLength: 1 }),
  status: Status,
  /** Optional cap on the daily spend of all the advertiser's campaigns together, in `timeZone`'s day. */
  dailyBudgetMicros: Type.Optional(MicrosSchema),
  /** Optional cap on the all-time spend of all the advertiser's campaigns together. */
  totalBudgetMicros: Type.Optional(MicrosSchema),
  /** IANA zone of the advertiser's daily cap (default `UTC`). */
  timeZone: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Let the optimizer split `dailyBudgetMicros` between the advertiser's live campaigns (each one a
   * budget arm) towards `goal`; a campaign then spends at most the lower of its own daily budget and
   * its share. Needs `dailyBudgetMicros`.
   */
  optimizer: Type.Optional(
    Type.Object({
      shareDailyBudget: Type.Literal(true),
      goal: Type.Union([Type.Literal('clicks'), Type.Literal('conversions'), Type.Literal('value')]),
      bandit: Type.Optional(BanditNameSchema),
    }),
  ),
});
/** An advertiser. */
export type Advertiser = Static<typeof AdvertiserSchema>;

/** A frequency-cap window: at most `max` impressions per user in `windowSec`. */
export const FrequencyCapSchema = Type.Object({
  max: Type.Integer({ minimum: 1 }),
  windowSec: Type.Integer({ minimum: 1 }),
});
/** A frequency-cap window. */
export type FrequencyCap = Static<typeof FrequencyCapSchema>;

/** A campaign: flight, budgets, goal and caps shared by its line items. */
export const CampaignSchema = Type.Object({
  id: Id,
  advertiserId: Id,
  name: Type.String({ minLength: 1 }),
  status: Status,
  /** Flight start and end, ISO-8601 instants. */
  startAt: Type.String({ format: 'date-time' }),
  endAt: Type.String({ format: 'date-time' }),
  /** IANA time zone for the daily budget and day-parting, e.g. `America/New_York`. */
  timeZone: Type.String({ minLength: 1 }),
  totalBudgetMicros: MicrosSchema,
  dailyBudgetMicros: MicrosSchema,
  pacing: Type.Union([Type.Literal('asap'), Type.Literal('even')]),
  goal: Type.Object({
    type: Type.Union([
      Type.Literal('none'),
      Type.Literal('clicks'),
      Type.Literal('conversions'),
      Type.Literal('value'),
    ]),
    /** Target cost per goal unit (CPC / CPA) or ROAS ×1e6, depending on `type`. */
    targetMicros: Type.Optional(MicrosSchema),
  }),
  frequencyCaps: Type.Array(FrequencyCapSchema),
  /** How the optimizer reallocates this campaign's budget and creative weights (default `thompson-capped`). */
  optimizer: Type.Optional(
    Type.Object({
      bandit: BanditNameSchema,
    }),
  ),
});
/** A campaign. */
export type Campaign = Static<typeof CampaignSchema>;

/** One day-part window: days of week (0 = Sunday) and hours [startHour, endHour) in the campaign's time zone. */
export const DayPartSchema = Type.Object({
  days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { minItems: 1 }),
  startHour: Type.Integer({ minimum: 0, maximum: 23 }),
  endHour: Type.Integer({ minimum: 1, maximum: 24 }),
});
/** A day-part window. */
export type DayPart = Static<typeof DayPartSchema>;

const AllowBlock = Type.Object({
  allow: Type.Optional(Type.Array(Type.String())),
  block: Type.Optional(Type.Array(Type.String())),
});

/** Where and to whom a line item may bid. An absent field means "any". */
export const TargetingSchema = Type.Object({
  /** ISO-3166-1 alpha-3 country codes as OpenRTB sends them (`USA`, `DEU`). */
  countries: Type.Optional(Type.Array(Type.String({ minLength: 2, maxLength: 3 }))),
  /** Regions as `COUNTRY-REGION` (`USA-CA`). */
  regions: Type.Optional(Type.Array(Type.String())),
  /** OpenRTB device types (AdCOM list: 1 mobile/tablet, 2 PC, 3 CTV, 4 phone, 5 tablet, 6 connected device, 7 set-top box, 8 OOH). */
  deviceTypes: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
  /** Operating systems, compared case-insensitively (`ios`, `android`, `windows`). */
  os: Type.Optional(Type.Array(Type.String())),
  /** Site domains (a listed domain also matches its subdomains). */
  domains: Type.Optional(AllowBlock),
  /** App bundles / store ids. */
  bundles: Type.Optional(AllowBlock),
  /** IAB content categories of the page or app (`IAB1`, `IAB1-2`; a parent matches its children). */
  categories: Type.Optional(AllowBlock),
  inventoryTypes: Type.Optional(
    Type.Array(Type.Union([Type.Literal('site'), Type.Literal('app'), Type.Literal('dooh')])),
  ),
  formats: Type.Optional(
    Type.Array(
      Type.Union([
        Type.Literal('banner'),
        Type.Literal('video'),
        Type.Literal('native'),
        Type.Literal('audio'),
      ]),
    ),
  ),
  /** Banner/video sizes as `WxH`. */
  sizes: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]+x[0-9]+$' }))),
  dayParts: Type.Optional(Type.Array(DayPartSchema)),
  /**
   * Audience segments, ids as score tables use them (`<user.data[].id>:<segment.id>` from the
   * request, `eid:<source>`, or a stored profile's segment ids): the line item
   * bids only for users in at least one; a bid is for the first listed segment the user is in. With
   * two or more, each segment is a budget arm of the optimizer (`${lineItemId}:${segmentId}`).
   * Opted-out users (dnt, lmt, coppa) carry no segments, so they never match.
   */
  segments: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1 })),
  /** Deal ids this line item bids on. */
  deals: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** When true, bid only through the listed deals, never in the open auction. */
  dealsOnly: Type.Optional(Type.Boolean()),
});
/** Line-item targeting. */
export type Targeting = Static<typeof TargetingSchema>;

/**
 * Value-based bid strategies (bidder/strategies), priced from the line item's score table. Goals
 * are integer micros of the account currency.
 */
export const ValueBidStrategySchema = Type.Union([
  /** Bid pCTR × CPC goal (per mille); shaded in first-price auctions. */
  Type.Object({ type: Type.Literal('targetCpc'), cpcMicros: Type.Integer({ minimum: 1 }) }),
  /** Bid pCTR × pCVR × CPA goal (per mille); shaded in first-price auctions. */
  Type.Object({ type: Type.Literal('targetCpa'), cpaMicros: Type.Integer({ minimum: 1 }) }),
  /** Bid expected revenue (pCTR × pCVR × conversion value) ÷ target ROAS; `roasMicros` is ROAS × 1e6. */
  Type.Object({ type: Type.Literal('targetRoas'), roasMicros: Type.Integer({ minimum: 1 }) }),
  /** Bid `baseCpmMicros` × pCTR ÷ average pCTR (`avgPctr`, or the running mean when absent). */
  Type.Object({
    type: Type.Literal('linear'),
    baseCpmMicros: Type.Integer({ minimum: 1 }),
    avgPctr: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  }),
  /** Most clicks for the remaining budget and time, from the learned bid landscape. */
  Type.Object({ type: Type.Literal('maxClicks') }),
]);
/** A value-based bid strategy. */
export type ValueBidStrategy = Static<typeof ValueBidStrategySchema>;

/** How a line item prices a bid: fixed or max CPM, or one of the value-based strategies. */
export const BidStrategySchema = Type.Union([
  /** Always bid this CPM; no bid when the floor is higher. */
  Type.Object({ type: Type.Literal('fixed'), cpmMicros: Type.Integer({ minimum: 1 }) }),
  /** Bid `targetCpmMicros`, raised to meet the floor up to the line item's `maxCpmMicros`. */
  Type.Object({ type: Type.Literal('max'), targetCpmMicros: Type.Integer({ minimum: 1 }) }),
  ...ValueBidStrategySchema.anyOf,
]);
/** A bid strategy. */
export type BidStrategy = Static<typeof BidStrategySchema>;

/** A line item: targeting, bid strategy, price cap and the creatives it may serve. */
export const LineItemSchema = Type.Object({
  id: Id,
  campaignId: Id,
  name: Type.String({ minLength: 1 }),
  status: Status,
  targeting: TargetingSchema,
  bidStrategy: BidStrategySchema,
  /** Hard cap on any bid from this line item, CPM micros. */
  maxCpmMicros: Type.Integer({ minimum: 1 }),
  creativeIds: Type.Array(Id, { minItems: 1 }),
  /** Frequency caps of this line item alone, on top of its campaign's (default none). */
  frequencyCaps: Type.Optional(Type.Array(FrequencyCapSchema)),
  /**
   * Share of the campaign's daily and total budgets this line item may spend at most (0–1]; absent:
   * it draws on the campaign budget with the others, uncapped. The optimizer sets these.
   */
  budgetShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
});
/** A line item. */
export type LineItem = Static<typeof LineItemSchema>;

const ImageSchema = Type.Object({
  url: Type.String({ format: 'uri' }),
  w: Type.Integer({ minimum: 1 }),
  h: Type.Integer({ minimum: 1 }),
});

/** The assets of a native creative. */
export const NativeAssetsSchema = Type.Object({
  title: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  sponsoredBy: Type.Optional(Type.String()),
  cta: Type.Optional(Type.String()),
  image: Type.Optional(ImageSchema),
  icon: Type.Optional(ImageSchema),
});
/** Native creative assets. */
export type NativeAssets = Static<typeof NativeAssetsSchema>;

/** An ad creative: markup plus what exchanges need to police it. */
export const CreativeSchema = Type.Object({
  id: Id,
  advertiserId: Id,
  name: Type.String({ minLength: 1 }),
  format: Type.Union([
    Type.Literal('banner'),
    Type.Literal('video'),
    Type.Literal('native'),
    Type.Literal('audio'),
  ]),
  w: Type.Optional(Type.Integer({ minimum: 1 })),
  h: Type.Optional(Type.Integer({ minimum: 1 })),
  /** HTML for banners, VAST XML for video/audio (required for those formats). `{{CLICK_URL}}` is replaced with the landing URL. */
  markup: Type.Optional(Type.String({ minLength: 1 })),
  /** Native assets (required for native creatives); assembled into a Native 1.2 response per request. */
  native: Type.Optional(NativeAssetsSchema),
  /** Advertiser domains declared in the bid (`adomain`). */
  adomain: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  /** IAB content categories of the ad (`cat`). */
  categories: Type.Array(Type.String()),
  /** AdCOM creative attributes (`attr`). */
  attributes: Type.Array(Type.Integer({ minimum: 1 })),
  landingUrl: Type.String({ format: 'uri' }),
  /** App bundle the ad promotes (app-install ads), declared as `bundle` and checked against `bapp`. */
  bundle: Type.Optional(Type.String({ minLength: 1 })),
  /** ISO-639-1 language of the creative (checked against `wlang`). */
  language: Type.Optional(Type.String({ minLength: 2, maxLength: 3 })),
  /** MIME type of a video/audio asset (checked against `imp.video.mimes`). */
  mime: Type.Optional(Type.String()),
  /** Duration in seconds of a video/audio asset. */
  durationSec: Type.Optional(Type.Integer({ minimum: 1 })),
});
/** A creative. */
export type Creative = Static<typeof CreativeSchema>;

/** Everything the bidder needs about campaigns, as one immutable value. */
export interface CampaignData {
  readonly advertisers: readonly Advertiser[];
  readonly campaigns: readonly Campaign[];
  readonly lineItems: readonly LineItem[];
  readonly creatives: readonly Creative[];
  /**
   * Segment score tables, at most one per line item. Optional so that data sets written before
   * score tables existed (snapshots, demo JSON, fixtures) still load; stores always return it.
   */
  readonly scoreTables?: readonly ScoreTable[];
  /** The optimizer's allocation (one, id `current`; bidders use the highest `version`); optional like `scoreTables`. */
  readonly allocations?: readonly AllocationEntity[];
}

/**
 * The optimizer's allocation (core/allocation.ts) as a state-store entity, id `current`, replaced
 * whole by each new version — one write, so every bidder swaps to it at once.
 */
export const AllocationEntitySchema = Type.Object({ id: Id, ...AllocationSchema.properties });
/** The allocation entity. */
export type AllocationEntity = Static<typeof AllocationEntitySchema>;

/** The entity kinds a state store holds, with their schemas. */
export const ENTITY_SCHEMAS = {
  advertiser: AdvertiserSchema,
  campaign: CampaignSchema,
  lineItem: LineItemSchema,
  creative: CreativeSchema,
  scoreTable: ScoreTableSchema,
  allocation: AllocationEntitySchema,
} as const;

/** Name of an entity kind. */
export type EntityKind = keyof typeof ENTITY_SCHEMAS;

/** The entity type for a kind. */
export interface EntityByKind {
  advertiser: Advertiser;
  campaign: Campaign;
  lineItem: LineItem;
  creative: Creative;
  scoreTable: ScoreTable;
  allocation: AllocationEntity;
}
