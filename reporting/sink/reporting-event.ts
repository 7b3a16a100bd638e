import type { OutbidEvent } from '../event-sink.ts';

/** Fields every event kind below may carry. */
interface Common {
  /** Epoch ms from the emitter's clock. */
  ts: number;
  /** Unique id; derived from the event's own ids when absent (see `eventIdOf`). */
  eventId?: string;
  segment?: string;
  exchange?: string;
  /** HMAC of the user's id (`profileKeyHash`), for attribution by user id; absent when unknown or opted out. */
  userKey?: string;
}

/** A bid request we did not bid on, with the no-bid reason. */
export interface NoBidEvent extends Common {
  type: 'nobid';
  requestId: string;
  reason: string;
}

/** An impression or click tracked on our own URLs. */
export interface TrackEvent extends Common {
  type: 'impression' | 'click';
  bidId: string;
  impId: string;
  lineItemId: string;
  campaignId: string;
  creativeId: string;
  /** The click id appended to the landing page (clicks only). */
  clickId?: string;
}

/**
 * A conversion postback. Postbacks arrive with what the advertiser knows (a click id, the
 * impression's bid id, a user key) and are attributed later, in SQL over the events
 * (reporting/attribution/), so the ids of the bid are usually absent here.
 */
export interface ConversionEvent extends Common {
  type: 'conversion';
  /** The advertiser's id of the conversion, when it sends one; keeps repeated postbacks to one row. */
  conversionId?: string;
  /** The bid the conversion is known to belong to (postback by `imp_id`), else absent. */
  bidId?: string;
  lineItemId?: string;
  campaignId?: string;
  creativeId?: string;
  clickId?: string;
  /** Conversion value in account micros (converted at the edge with CURRENCY_RATES). */
  valueMicros: number;
}

/** One allocation decision of the optimizer (the decision log). */
export interface OptimizerDecisionEvent extends Common {
  type: 'optimizer_decision';
  decisionId: string;
  campaignId?: string;
  lineItemId?: string;
  creativeId?: string;
  strategy: string;
  reason: string;
  propensity?: number;
  /** Free-form details, stored as JSON text. */
  payload?: unknown;
}

/** A change a media buyer made to a campaign (the change log). */
export interface CampaignChangeEvent extends Common {
  type: 'campaign_change';
  changeId: string;
  campaignId: string;
  lineItemId?: string;
  reason: string;
  payload?: unknown;
}

/** Every event the ClickHouse sink records: the bidder's `OutbidEvent`s and the kinds other modules emit. */
export type ReportingEvent =
  | OutbidEvent
  | NoBidEvent
  | TrackEvent
  | ConversionEvent
  | OptimizerDecisionEvent
  | CampaignChangeEvent;
