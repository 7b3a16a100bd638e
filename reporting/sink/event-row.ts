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

/**
 * The columns of an `events` row as the sink spools it (TabSeparated, in this order): every
 * column `toEventRow` can fill, 001_events.sql and 004_events_user_key.sql. A payload carries
 * this list in its first line, so a spool written by another version replays into the right columns.
 */
export const EVENT_COLUMNS = [
  'event_id',
  'type',
  'ts',
  'ts_ms',
  'request_id',
  'bid_id',
  'imp_id',
  'exchange',
  'campaign_id',
  'line_item_id',
  'creative_id',
  'segment',
  'deal_id',
  'currency',
  'price_micros',
  'clearing_micros',
  'spend_micros',
  'value_micros',
  'loss_code',
  'reason',
  'propensity',
  'strategy',
  'pctr',
  'pcvr',
  'click_id',
  'payload',
  'user_key',
  'conversion_id',
] as const;

/** The Nullable columns: absent is `\N` (NULL); every other absent column is its type's zero. */
const NULLABLE: ReadonlySet<string> = new Set(['loss_code', 'propensity', 'pctr', 'pcvr']);
/** Numeric columns (DateTime as epoch seconds): absent is 0; any other column is a String, absent ''. */
const NUMERIC: ReadonlySet<string> = new Set([
  'ts',
  'ts_ms',
  'price_micros',
  'clearing_micros',
  'spend_micros',
  'value_micros',
  'loss_code',
  'propensity',
  'pctr',
  'pcvr',
]);

const NEEDS_ESCAPE = /[\t\n\r\\]/;
const ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

/** A string as a TabSeparated field: backslash, tab, newline and carriage return escaped. */
export function tsvEscape(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\t\n\r\\]/g, (c) => ESCAPES[c]!) : s;
}

/** The header line of a spooled TabSeparated payload: the column names, tab-separated. */
export const EVENT_TSV_HEADER = `${EVENT_COLUMNS.join('\t')}\n`;

const FIELD_DEFAULT: readonly string[] = EVENT_COLUMNS.map((c) =>
  NULLABLE.has(c) ? '\\N' : NUMERIC.has(c) ? '0' : '',
);

const text = (v: string | undefined): string => (v === undefined ? '' : tsvEscape(v));
const nullable = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '\\N' : String(v);
const integer = (v: number): string => (Number.isFinite(v) ? String(v) : '0');

/**
 * The event's `events` row as one TabSeparated line of `EVENT_COLUMNS` (with its newline): the same
 * values as `toEventRow`, absent columns at their default. A number that is not finite (a bug
 * upstream) is written as the column's default rather than failing the whole batch.
 *
 * Bid events, most of the volume, are written field by field: 1.7× faster than going through
 * `toEventRow` (bench/README.md, "ClickHouseEventSink"); event-row.test.ts checks both paths give
 * the same line for every kind of event.
 */
export function toEventTsv(event: ReportingEvent): string {
  if (event.type === 'bid' && (event as { userKey?: string }).userKey === undefined) {
    const e = event;
    return `${text(eventIdOf(e))}\tbid\t${integer(Math.floor(e.ts / 1000))}\t${integer(Math.floor(e.ts))}\t${text(e.requestId)}\t${text(e.bidId)}\t${text(e.impId)}\t${text(e.exchange)}\t${text(e.campaignId)}\t${text(e.lineItemId)}\t${text(e.creativeId)}\t${text(e.segment)}\t${text(e.dealId)}\t${text(e.currency)}\t${integer(e.priceMicros)}\t0\t0\t0\t\\N\t\t${nullable(e.propensity)}\t\t${nullable(e.pctr)}\t${nullable(e.pcvr)}\t\t\t\t\n`;
  }
  return genericTsv(event);
}

/** `toEventTsv` through `toEventRow`: every kind of event. */
export function genericTsv(event: ReportingEvent): string {
  const row = toEventRow(event);
  let line = '';
  for (let i = 0; i < EVENT_COLUMNS.length; i++) {
    const value = row[EVENT_COLUMNS[i]!];
    let field: string;
    if (value === undefined) field = FIELD_DEFAULT[i]!;
    else if (typeof value === 'number') field = Number.isFinite(value) ? String(value) : FIELD_DEFAULT[i]!;
    else field = tsvEscape(value);
    line += i === 0 ? field : `\t${field}`;
  }
  return `${line}\n`;
}
