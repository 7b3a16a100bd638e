import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import {
  type AttributionRow,
  type ClickHouse,
  migrate,
  readAttributions,
  readHourlyRollup,
  refreshAttribution,
  refreshHourlyRollup,
} from '../../reporting/index.ts';

const SEC = 1000;
const HOUR = 3600 * SEC;
const DAY = 24 * HOUR;
/** Conversion time of every scenario: mid-hour, so the refresh window [T − 1 h, T + 1 h) holds them all. */
const T = Date.UTC(2026, 10, 22, 12, 30);

interface Ev {
  event_id: string;
  type: string;
  ts: number;
  ts_ms: number;
  bid_id?: string;
  click_id?: string;
  user_key?: string;
  campaign_id?: string;
  line_item_id?: string;
  creative_id?: string;
  exchange?: string;
  conversion_id?: string;
  value_micros?: number;
}

function ev(
  eventId: string,
  type: string,
  atMs: number,
  extra: Omit<Partial<Ev>, 'event_id' | 'type'> = {},
): Ev {
  return {
    event_id: eventId,
    type,
    ts: Math.floor(atMs / 1000),
    ts_ms: atMs,
    campaign_id: 'c1',
    line_item_id: 'li1',
    creative_id: 'cr1',
    exchange: 'x1',
    ...extra,
  };
}
const imp = (bid: string, atMs: number, extra: Partial<Ev> = {}) =>
  ev(`impression:${bid}`, 'impression', atMs, { bid_id: bid, ...extra });
const click = (id: string, bid: string, atMs: number, extra: Partial<Ev> = {}) =>
  ev(`click:${id}`, 'click', atMs, { bid_id: bid, click_id: id, ...extra });
const conv = (id: string, atMs: number, extra: Partial<Ev> = {}) =>
  ev(`conversion:${id}`, 'conversion', atMs, {
    campaign_id: '',
    line_item_id: '',
    creative_id: '',
    exchange: '',
    conversion_id: id,
    ...extra,
  });

/**
 * Attribution edges, at the SQL's resolution (ms: ts_ms), on one engine. Defaults 7 d click-through
 * and 1 d view-through; campaign `c-short` has a 1 h click window. Every scenario has its own user
 * key or ids, so all run in one refresh.
 */
const EVENTS: Ev[] = [
  // A: a click exactly 7 d before (edge: in) beats an impression of the same user.
  imp('bA0', T - 7 * DAY - SEC, { user_key: 'uA' }),
  click('kA', 'bA0', T - 7 * DAY, { user_key: 'uA' }),
  conv('A', T, { user_key: 'uA', value_micros: 5_000_000 }),
  // B: the click is 1 ms too old; the impression exactly 1 d before (edge: in) takes it.
  click('kB', 'bB1', T - 7 * DAY - 1, { user_key: 'uB' }),
  imp('bB2', T - DAY, { user_key: 'uB', creative_id: 'cr2' }),
  conv('B', T, { user_key: 'uB' }),
  // C: both 1 ms past their windows: not attributed.
  click('kC', 'bC1', T - 7 * DAY - 1, { user_key: 'uC' }),
  imp('bC2', T - DAY - 1, { user_key: 'uC' }),
  conv('C', T, { user_key: 'uC' }),
  // D: the last click wins, also over a later impression.
  click('kD1', 'bD1', T - 2 * HOUR, { user_key: 'uD' }),
  click('kD2', 'bD2', T - HOUR, { user_key: 'uD', creative_id: 'cr2' }),
  imp('bD3', T - 60 * SEC, { user_key: 'uD' }),
  conv('D', T, { user_key: 'uD' }),
  // E: a postback by click id goes to that click, not to the user's later click.
  click('kE1', 'bE1', T - 3 * DAY, { user_key: 'uE' }),
  click('kE2', 'bE2', T - HOUR, { user_key: 'uE', campaign_id: 'c2' }),
  conv('E', T, { click_id: 'kE1' }),
  // F: a postback by imp id (our bid id) goes to that impression (view-through).
  imp('bF', T - 10 * HOUR),
  conv('F', T, { bid_id: 'bF' }),
  // G: a click 1 ms after the conversion does not count.
  click('kG', 'bG', T + 1, { user_key: 'uG' }),
  conv('G', T, { user_key: 'uG' }),
  // H: per-campaign window (c-short: 1 h): exactly 1 h in, 1 h + 1 ms out.
  click('kH1', 'bH1', T - HOUR, { user_key: 'uH1', campaign_id: 'c-short' }),
  conv('H1', T, { user_key: 'uH1' }),
  click('kH2', 'bH2', T - HOUR - 1, { user_key: 'uH2', campaign_id: 'c-short' }),
  conv('H2', T, { user_key: 'uH2' }),
  // I: posted twice (same order id, 5 s apart; RETRIED below) and its click inserted twice: one
  // conversion, at its first time.
  click('kI', 'bI', T - 30 * SEC, { user_key: 'uI' }),
  conv('I', T, { user_key: 'uI', value_micros: 7_000_000 }),
];
/**
 * The retry arrives in a later insert, as a second postback does. (Copies inside one insert block
 * are merged at insert by ClickHouse ≥ 20, keeping the last; 18.16 keeps both until a merge.)
 */
const RETRIED: Ev[] = [
  click('kI', 'bI', T - 30 * SEC, { user_key: 'uI' }),
  conv('I', T + 5 * SEC, { user_key: 'uI', value_micros: 7_000_000 }),
];

const SETTINGS = {
  defaults: { clickSec: 7 * 86_400, viewSec: 86_400 },
  campaigns: { 'c-short': { clickSec: 3_600, viewSec: 600 } },
};

/** The attribution contract, run against each engine's handle (opened on a fresh database). */
export function attributionContract(label: string, open: () => Promise<ClickHouse>): void {
  describe(`attribution: ${label}`, () => {
    let ch: ClickHouse;
    let byId: Map<string, AttributionRow>;
    const clock = new ManualClock(T + 2 * HOUR);
    beforeAll(async () => {
      ch = await open();
      await migrate(ch, { clock });
      await ch.insert('events', EVENTS);
      await ch.insert('events', RETRIED);
      const window = { fromMs: T - HOUR, toMs: T + HOUR };
      await refreshAttribution(ch, window, SETTINGS, clock);
      clock.advance(1);
      // A second run rewrites the same conversions with a newer version: still one row each.
      await refreshAttribution(ch, window, SETTINGS, clock);
      byId = new Map((await readAttributions(ch, window)).map((r) => [r.conversion_id, r]));
    }, 60_000);
    afterAll(async () => {
      await ch?.close();
    });

    const touch = (id: string) => {
      const r = byId.get(id);
      return r === undefined
        ? undefined
        : { type: r.touch_type, event: r.touch_event_id, lag: r.conversion_ts_ms - r.touch_ts_ms };
    };

    it('a click exactly at the click-through edge is attributed, and wins over impressions', () => {
      expect(touch('A')).toEqual({ type: 'click', event: 'click:kA', lag: 7 * DAY });
      expect(byId.get('A')).toMatchObject({ value_micros: 5_000_000, bid_id: 'bA0', campaign_id: 'c1' });
    });

    it('a click 1 ms past its window is out; an impression exactly at the view-through edge is in', () => {
      expect(touch('B')).toEqual({ type: 'impression', event: 'impression:bB2', lag: DAY });
      expect(byId.get('B')?.creative_id).toBe('cr2');
    });

    it('touches 1 ms past both windows, or after the conversion, attribute nothing', () => {
      expect(byId.has('C')).toBe(false);
      expect(byId.has('G')).toBe(false);
    });

    it('takes the last click, also over a later impression', () => {
      expect(touch('D')).toEqual({ type: 'click', event: 'click:kD2', lag: HOUR });
    });

    it('matches by the keys the postback carried: click id, imp (bid) id', () => {
      expect(touch('E')).toEqual({ type: 'click', event: 'click:kE1', lag: 3 * DAY });
      expect(touch('F')).toEqual({ type: 'impression', event: 'impression:bF', lag: 10 * HOUR });
    });

    it("uses the touch campaign's own window at its edges", () => {
      expect(touch('H1')).toEqual({ type: 'click', event: 'click:kH1', lag: HOUR });
      expect(byId.has('H2')).toBe(false);
    });

    it('attributes a conversion posted twice once, at its first time, whatever the reruns', async () => {
      expect(touch('I')).toEqual({ type: 'click', event: 'click:kI', lag: 30 * SEC });
      expect(byId.get('I')?.conversion_ts_ms).toBe(T);
      expect([...byId.keys()].sort()).toEqual(['A', 'B', 'D', 'E', 'F', 'H1', 'I']);
    });

    it('the exact hourly rollup counts attributed conversions under the touch, once', async () => {
      await refreshHourlyRollup(ch, { fromMs: T - HOUR, toMs: T + HOUR }, clock);
      const rows = await readHourlyRollup(ch, { fromMs: T - HOUR, toMs: T + HOUR });
      const conversions = rows.filter((r) => r.conversions > 0);
      const total = conversions.reduce((n, r) => n + r.conversions, 0);
      const value = conversions.reduce((n, r) => n + r.value_micros, 0);
      expect({ total, value }).toEqual({ total: 7, value: 12_000_000 });
      expect(conversions.every((r) => r.campaign_id !== '')).toBe(true);
    });
  });
}
