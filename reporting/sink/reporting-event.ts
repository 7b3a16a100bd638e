import type { OutbidEvent } from '../event-sink.ts';

/** Fields every event kind below may carry. */
interface Common {
  /** Epoch ms from the emitter's clock. */
  ts: number;
  /** Unique id; derived from the event's own ids when absent (see `eventIdOf`). */
  eventId?: string;
  segment?: string;
  exchange?: string;
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

/** A conversion postback, attributed to a bid. */
export interface ConversionEvent extends Common {
  type: 'conversion';
  /** The advertiser's id of the conversion, when it sends one; keeps repeated postbacks to one row. */
  conversionId?: string;
  bidId: string;
  lineItemId: string;
  campaignId: string;
  creativeId: string;
  clickId?: string;
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
