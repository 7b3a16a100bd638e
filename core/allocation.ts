import Type, { type Static } from 'typebox';

/**
 * The versioned allocation document: the contract between the optimizer (which writes it) and the
 * bidders (which hot-swap to it). A bidder may rely on: every `dailyBudgetMicros` of a campaign's
 * budget arms summing exactly to the campaign's `dailyBudgetMicros`; shares of a campaign's budget
 * arms and weights of a creative group's variants each summing to 1 (within 1e-9); arms absent from
 * a campaign's list get nothing; `version` strictly increasing from one document to the next.
 */

const Id = Type.String({ minLength: 1, maxLength: 256 });
const Share = Type.Number({ minimum: 0, maximum: 1 });
const MicrosSchema = Type.Integer({ minimum: 0 });

/** Why an allocation is what it is: the bandit's choice, the bandit's choice bent by guardrails, or a fallback. */
export const AllocationReasonSchema = Type.Union([
  Type.Literal('normal'),
  Type.Literal('capped'),
  Type.Literal('fallback'),
]);
/** Why an allocation is what it is. */
export type AllocationReason = Static<typeof AllocationReasonSchema>;

/** One budget arm: a line item, or one segment of a line item, sharing its campaign's daily budget. */
export const BudgetArmAllocationSchema = Type.Object({
  /** Stable arm id: the line item id, or `${lineItemId}:${segmentId}` for a segment arm. */
  armId: Id,
  lineItemId: Id,
  /** Present for segment arms only. */
  segmentId: Type.Optional(Id),
  share: Share,
  dailyBudgetMicros: MicrosSchema,
});
/** One budget arm's allocation. */
export type BudgetArmAllocation = Static<typeof BudgetArmAllocationSchema>;

/** Serving weight of one creative variant. */
export const VariantWeightSchema = Type.Object({ creativeId: Id, weight: Share });
/** Serving weight of one creative variant. */
export type VariantWeight = Static<typeof VariantWeightSchema>;

/** The variants of one creative group (e.g. one line item's creatives) and their serving weights. */
export const CreativeGroupAllocationSchema = Type.Object({
  groupId: Id,
  variants: Type.Array(VariantWeightSchema),
});
/** A creative group's variant weights. */
export type CreativeGroupAllocation = Static<typeof CreativeGroupAllocationSchema>;

/** One campaign's allocation. */
export const CampaignAllocationSchema = Type.Object({
  campaignId: Id,
  dailyBudgetMicros: MicrosSchema,
  reason: AllocationReasonSchema,
  /** Human-readable reason, shown in the decision log and the dashboard. */
  note: Type.String(),
  budgetArms: Type.Array(BudgetArmAllocationSchema),
  creativeGroups: Type.Array(CreativeGroupAllocationSchema),
});
/** One campaign's allocation. */
export type CampaignAllocation = Static<typeof CampaignAllocationSchema>;

/** One campaign's part of its advertiser's shared daily budget. */
export const CampaignShareSchema = Type.Object({
  campaignId: Id,
  share: Share,
  dailyBudgetMicros: MicrosSchema,
});
/** One campaign's part of its advertiser's shared daily budget. */
export type CampaignShare = Static<typeof CampaignShareSchema>;

/**
 * An advertiser whose campaigns share its daily budget (`advertiser.optimizer.shareDailyBudget`):
 * each campaign's daily budget for the period, summing exactly to the advertiser's. A campaign
 * spends at most the lower of this and its own daily budget; its own arms split that.
 */
export const AdvertiserAllocationSchema = Type.Object({
  advertiserId: Id,
  dailyBudgetMicros: MicrosSchema,
  reason: AllocationReasonSchema,
  note: Type.String(),
  campaigns: Type.Array(CampaignShareSchema),
});
/** An advertiser's split of its daily budget between its campaigns. */
export type AdvertiserAllocation = Static<typeof AdvertiserAllocationSchema>;

/** A complete allocation: what every bidder serves until the next version. */
export const AllocationSchema = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  createdAtMs: Type.Integer({ minimum: 0 }),
  campaigns: Type.Record(Type.String(), CampaignAllocationSchema),
  /** Advertisers whose campaigns share its daily budget, by advertiser id (absent: none). */
  advertisers: Type.Optional(Type.Record(Type.String(), AdvertiserAllocationSchema)),
});
/** A complete allocation document. */
export type Allocation = Static<typeof AllocationSchema>;
