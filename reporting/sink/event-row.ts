import type { ReportingEvent } from './reporting-event.ts';

/**
 * The deterministic id of an event without one: `<type>:<the id the event is about>`. A notice the
 * exchange retries, or a conversion postback sent twice, maps to the same id and so to one row
 * once deduplicated. Two different clicks on one impression without a click id collapse to one.
 */
export function eventIdOf(event: ReportingEvent): string {
  if (event.eventId !== undefined && event.eventId !== '') return event.eventId;
  switch (event.type) {
    case 'bid':
    case 'win':
    case 'billing':
    case 'loss':
    case 'impression':
      return `${event.type}:${event.bidId}`;
    case 'click':
      return `click:${event.clickId ?? event.bidId}`;
    case 'conversion':
      return `conversion:${event.conversionId ?? event.bidId ?? event.clickId ?? event.ts}`;
    case 'nobid':
      return `nobid:${event.requestId}`;
    case 'optimizer_decision':
      return `optimizer_decision:${event.decisionId}`;
    case 'campaign_change':
      return `campaign_change:${event.changeId}`;
  }
}

/** A row of the `events` table (001_events.sql); absent columns take the column default. */
export type EventRow = Record<string, string | number>;

/**
 * Maps an event to its `events` row. Spend of a billing notice is its clearing CPM / 1000 (one
 * impression), rounded to whole micros.
 */
export function toEventRow(event: ReportingEvent): EventRow {
  const row: EventRow = {
    event_id: eventIdOf(event),
    type: event.type,
    ts: Math.floor(event.ts / 1000),
    ts_ms: Math.floor(event.ts),
  };
  if (event.segment !== undefined) row.segment = event.segment;
  if (event.exchange !== undefined) row.exchange = event.exchange;
  const userKey = (event as { userKey?: string }).userKey;
  if (userKey !== undefined) row.user_key = userKey;
  switch (event.type) {
    case 'bid':
      row.request_id = event.requestId;
      row.bid_id = event.bidId;
      row.imp_id = event.impId;
      row.line_item_id = event.lineItemId;
      row.campaign_id = event.campaignId;
      row.creative_id = event.creativeId;
      row.price_micros = event.priceMicros;
      row.currency = event.currency;
      if (event.dealId !== undefined) row.deal_id = event.dealId;
      if (event.pctr !== undefined) row.pctr = event.pctr;
      if (event.pcvr !== undefined) row.pcvr = event.pcvr;
      if (event.propensity !== undefined) row.propensity = event.propensity;
      break;
    case 'win':
    case 'billing':
    case 'loss':
      row.bid_id = event.bidId;
      row.imp_id = event.impId;
      row.line_item_id = event.lineItemId;
      row.campaign_id = event.campaignId;
      row.creative_id = event.creativeId;
      if (event.clearingMicros !== undefined) {
        row.clearing_micros = event.clearingMicros;
        if (event.type === 'billing') row.spend_micros = Math.round(event.clearingMicros / 1000);
      }
      if (event.lossCode !== undefined) row.loss_code = event.lossCode;
      break;
    case 'impression':
    case 'click':
      row.bid_id = event.bidId;
      row.imp_id = event.impId;
      row.line_item_id = event.lineItemId;
      row.campaign_id = event.campaignId;
      row.creative_id = event.creativeId;
      if (event.clickId !== undefined) row.click_id = event.clickId;
      break;
    case 'conversion':
      if (event.bidId !== undefined) row.bid_id = event.bidId;
      if (event.lineItemId !== undefined) row.line_item_id = event.lineItemId;
      if (event.campaignId !== undefined) row.campaign_id = event.campaignId;
      if (event.creativeId !== undefined) row.creative_id = event.creativeId;
      if (event.conversionId !== undefined) row.conversion_id = event.conversionId;
      row.value_micros = event.valueMicros;
      if (event.clickId !== undefined) row.click_id = event.clickId;
      break;
    case 'nobid':
      row.request_id = event.requestId;
      row.reason = event.reason;
      break;
    case 'optimizer_decision':
      if (event.campaignId !== undefined) row.campaign_id = event.campaignId;
      if (event.lineItemId !== undefined) row.line_item_id = event.lineItemId;
      if (event.creativeId !== undefined) row.creative_id = event.creativeId;
      row.strategy = event.strategy;
      row.reason = event.reason;
      if (event.propensity !== undefined) row.propensity = event.propensity;
      if (event.payload !== undefined) row.payload = JSON.stringify(event.payload);
      break;
    case 'campaign_change':
      row.campaign_id = event.campaignId;
      if (event.lineItemId !== undefined) row.line_item_id = event.lineItemId;
      row.reason = event.reason;
      if (event.payload !== undefined) row.payload = JSON.stringify(event.payload);
      break;
  }
  return row;
}
