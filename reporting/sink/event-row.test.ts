import { describe, expect, it } from 'vitest';
import { eventIdOf, toEventRow } from './event-row.ts';

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
