import { describe, expect, it } from 'vitest';
import {
  EVENT_COLUMNS,
  EVENT_TSV_HEADER,
  eventIdOf,
  genericTsv,
  toEventRow,
  toEventTsv,
  tsvEscape,
} from './event-row.ts';
import type { ReportingEvent } from './reporting-event.ts';

const notice = {
  ts: 1_700_000_000_123,
  bidId: 'b1',
  impId: '1',
  lineItemId: 'li',
  campaignId: 'c',
  creativeId: 'cr',
};

describe('eventIdOf', () => {
  it('derives a deterministic id from the id the event is about, so a retried notice dedups', () => {
    expect(eventIdOf({ type: 'billing', ...notice, clearingMicros: 1, lossCode: undefined })).toBe(
      'billing:b1',
    );
    expect(eventIdOf({ type: 'win', ...notice, clearingMicros: undefined, lossCode: undefined })).toBe(
      'win:b1',
    );
    expect(eventIdOf({ type: 'impression', ...notice })).toBe('impression:b1');
    expect(eventIdOf({ type: 'click', ...notice, clickId: 'k9' })).toBe('click:k9');
    expect(eventIdOf({ type: 'click', ...notice })).toBe('click:b1');
    expect(
      eventIdOf({
        type: 'conversion',
        ts: 1,
        bidId: 'b1',
        lineItemId: 'li',
        campaignId: 'c',
        creativeId: 'cr',
        valueMicros: 5,
      }),
    ).toBe('conversion:b1');
    expect(eventIdOf({ type: 'nobid', ts: 1, requestId: 'r1', reason: 'NO_MATCH' })).toBe('nobid:r1');
    expect(
      eventIdOf({ type: 'optimizer_decision', ts: 1, decisionId: 'd1', strategy: 'ts', reason: 'posterior' }),
    ).toBe('optimizer_decision:d1');
    expect(
      eventIdOf({ type: 'campaign_change', ts: 1, changeId: 'ch1', campaignId: 'c', reason: 'budget' }),
    ).toBe('campaign_change:ch1');
  });

  it('keeps an id the emitter gave', () => {
    expect(eventIdOf({ type: 'impression', ...notice, eventId: 'mine' })).toBe('mine');
  });
});

describe('toEventRow', () => {
  it('maps a billing notice with spend = clearing CPM / 1000 and second + ms timestamps', () => {
    expect(
      toEventRow({
        type: 'billing',
        ...notice,
        clearingMicros: 1_234_567,
        lossCode: undefined,
        segment: 's',
      }),
    ).toEqual({
      event_id: 'billing:b1',
      type: 'billing',
      ts: 1_700_000_000,
      ts_ms: 1_700_000_000_123,
      segment: 's',
      bid_id: 'b1',
      imp_id: '1',
      line_item_id: 'li',
      campaign_id: 'c',
      creative_id: 'cr',
      clearing_micros: 1_234_567,
      spend_micros: 1_235,
    });
  });

  it('leaves unknown scores out (NULL in the table) and stores decision details as JSON text', () => {
    const bid = toEventRow({
      type: 'bid',
      ts: 5_000,
      bidId: 'b',
      requestId: 'r',
      impId: '1',
      exchange: 'x',
      lineItemId: 'li',
      campaignId: 'c',
      creativeId: 'cr',
      priceMicros: 2_000_000,
      currency: 'USD',
      dealId: undefined,
      pctr: 0.01,
      pcvr: undefined,
    });
    expect(bid).toMatchObject({ pctr: 0.01, price_micros: 2_000_000, exchange: 'x' });
    expect(bid).not.toHaveProperty('pcvr');
    expect(bid).not.toHaveProperty('deal_id');
    const decision = toEventRow({
      type: 'optimizer_decision',
      ts: 1,
      decisionId: 'd',
      strategy: 'thompson',
      reason: 'r',
      propensity: 0.25,
      payload: { arms: 3 },
    });
    expect(decision).toMatchObject({ strategy: 'thompson', propensity: 0.25, payload: '{"arms":3}' });
  });
});

describe('toEventTsv', () => {
  const everyKind: ReportingEvent[] = [
    {
      type: 'bid',
      ts: 5_000,
      bidId: 'b',
      requestId: 'r',
      impId: '1',
      exchange: 'x',
      lineItemId: 'li',
      campaignId: 'c',
      creativeId: 'cr',
      priceMicros: 2,
      currency: 'USD',
      dealId: 'd',
      pctr: 0.5,
      pcvr: 0.25,
      propensity: 1,
      segment: 's',
    },
    { type: 'win', ...notice, clearingMicros: 3, lossCode: undefined },
    { type: 'billing', ...notice, clearingMicros: 3_000, lossCode: undefined },
    { type: 'loss', ...notice, clearingMicros: undefined, lossCode: 102 },
    { type: 'impression', ...notice },
    { type: 'click', ...notice, clickId: 'k' },
    {
      type: 'conversion',
      ts: 1,
      conversionId: 'o',
      clickId: 'k',
      valueMicros: 7,
      bidId: 'b',
      lineItemId: 'li',
      campaignId: 'c',
      creativeId: 'cr',
      userKey: 'u',
    },
    { type: 'nobid', ts: 1, requestId: 'r', reason: 'NO_MATCH' },
    {
      type: 'optimizer_decision',
      ts: 1,
      decisionId: 'd',
      strategy: 't',
      reason: 'r',
      propensity: 0.5,
      payload: { a: 1 },
      campaignId: 'c',
      lineItemId: 'li',
      creativeId: 'cr',
    },
    {
      type: 'campaign_change',
      ts: 1,
      changeId: 'ch',
      campaignId: 'c',
      lineItemId: 'li',
      reason: 'r',
      payload: [1],
    },
  ];

  it('has a column for every key toEventRow fills, for every kind of event', () => {
    const columns = new Set<string>(EVENT_COLUMNS);
    for (const e of everyKind)
      for (const key of Object.keys(toEventRow(e))) expect(columns, key).toContain(key);
    expect(EVENT_TSV_HEADER).toBe(`${EVENT_COLUMNS.join('\t')}\n`);
  });

  it('writes the same values as toEventRow, in column order, absent ones at their defaults', () => {
    for (const e of everyKind) {
      const row = toEventRow(e);
      const line = toEventTsv(e);
      expect(line.endsWith('\n')).toBe(true);
      const fields = line.slice(0, -1).split('\t');
      expect(fields).toHaveLength(EVENT_COLUMNS.length);
      EVENT_COLUMNS.forEach((c, i) => {
        const fallback = ['loss_code', 'propensity', 'pctr', 'pcvr'].includes(c)
          ? '\\N'
          : /^(ts|ts_ms|.*_micros)$/.test(c)
            ? '0'
            : '';
        expect(fields[i], c).toBe(row[c] === undefined ? fallback : String(row[c]));
      });
    }
  });

  it('writes bids field by field exactly as the generic path does', () => {
    const bid = everyKind[0] as ReportingEvent & { type: 'bid' };
    const { segment: _s, propensity: _p, ...rest } = bid;
    const bare: ReportingEvent = { ...rest, pctr: undefined, pcvr: undefined, dealId: undefined };
    const variants: ReportingEvent[] = [
      bid,
      bare,
      { ...bid, requestId: 'a\tb\\c\nd', exchange: 'ü🚀', eventId: 'mine', ts: 1_700_000_000_999.5 },
      { ...bid, pctr: Number.NaN, priceMicros: Number.POSITIVE_INFINITY, ts: Number.NaN },
    ];
    for (const e of variants) expect(toEventTsv(e)).toBe(genericTsv(e));
  });

  it('escapes backslash, tab, newline and carriage return, so one event is one line', () => {
    expect(tsvEscape('plain ünï 🚀')).toBe('plain ünï 🚀');
    expect(tsvEscape('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    const line = toEventTsv({ type: 'nobid', ts: 1, requestId: 'r\n1\t2', reason: 'x\\' });
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain('\tr\\n1\\t2\t');
    expect(line).toContain('\tx\\\\\t');
  });

  it('writes a number that is not finite as the column default instead of failing the batch', () => {
    const line = toEventTsv({
      ...(everyKind[0] as ReportingEvent & { type: 'bid' }),
      pctr: Number.NaN,
      priceMicros: Number.POSITIVE_INFINITY,
    });
    const fields = line.slice(0, -1).split('\t');
    expect(fields[EVENT_COLUMNS.indexOf('pctr')]).toBe('\\N');
    expect(fields[EVENT_COLUMNS.indexOf('price_micros')]).toBe('0');
  });
});
