import { describe, expect, it } from 'vitest';
import { ManualClock, seededRng } from '../../core/index.ts';
import { CampaignPacers } from './campaign-pacers.ts';
import { localDay } from './local-day.ts';
import { Pacer, type PacerSettings } from './pacer.ts';
import { type SimulatedMarket, simulatePacing } from './pacing-simulation.ts';

const HOUR = 3_600_000;
const NY = 'America/New_York';
/** Local midnight of 2025-06-10 in New York (an ordinary 24-hour day). */
const MIDNIGHT = localDay(NY, Date.UTC(2025, 5, 10, 12)).startMs;

/** Opportunities by local hour: quiet nights, a day plateau and an evening peak at 20:00 (10× the night). */
const TRAFFIC = [
  0.35, 0.3, 0.3, 0.3, 0.35, 0.45, 0.6, 0.8, 1.0, 1.1, 1.15, 1.2, 1.3, 1.2, 1.1, 1.1, 1.2, 1.4, 1.8, 2.4, 3.0,
  2.6, 1.6, 0.8,
];
/**
 * ~86 400 opportunities a day; a 2.00 CPM bid wins ~85% of auctions against a 1.20 median price
 * and pays ~1 100 micros an impression, so taking part in everything would spend ~80 M micros.
 */
const MARKET: SimulatedMarket = {
  opportunitiesPerSec: 1,
  hourlyTraffic: TRAFFIC,
  bidCpmMicros: 2_000_000,
  medianPriceCpmMicros: 1_200_000,
  priceSigma: 0.5,
  maxNoticeDelayMs: 30_000,
};

const even = (dailyBudgetMicros: number, curve: 'uniform' | 'traffic' = 'uniform'): PacerSettings => ({
  mode: 'even',
  dailyBudgetMicros,
  timeZone: NY,
  curve,
});

/** Spent ÷ target of every hour slot of a day. */
const hourRatios = (state: ReturnType<Pacer['state']>) =>
  state.hours.map((h) => h.spentMicros / h.targetMicros);

describe('Pacer', () => {
  it('ASAP takes part in everything until the budget is spent, then nothing until the next local day', () => {
    const clock = new ManualClock(MIDNIGHT + HOUR);
    const pacer = new Pacer({ mode: 'asap', dailyBudgetMicros: 10_000, timeZone: NY }, clock);
    const rng = seededRng(1);
    expect(pacer.shouldBid(rng)).toBe(true);
    pacer.recordSpend(6_000);
    expect(pacer.shouldBid(rng)).toBe(true);
    // 4 000 left cannot pay a bid that may cost 5 000.
    expect(pacer.shouldBid(rng, 5_000)).toBe(false);
    expect(pacer.state().exhausted).toBe(true);
    expect(pacer.state().throttleRate).toBe(0);
    pacer.recordSpend(4_000);
    expect(pacer.shouldBid(rng)).toBe(false);
    clock.set(MIDNIGHT + 24 * HOUR);
    expect(pacer.shouldBid(rng, 5_000)).toBe(true);
    expect(pacer.state()).toMatchObject({
      date: '2025-06-11',
      spentMicros: 0,
      exhausted: false,
      throttleRate: 1,
    });
  });

  it('never bids on a zero budget', () => {
    const pacer = new Pacer(even(0), new ManualClock(MIDNIGHT));
    expect(pacer.shouldBid(seededRng(1))).toBe(false);
    expect(pacer.state().exhausted).toBe(true);
  });

  it('exposes its state as a plain object: target vs actual, throttle rate, per-hour book', () => {
    const clock = new ManualClock(MIDNIGHT);
    const pacer = new Pacer(even(24_000_000), clock);
    clock.advance(6 * HOUR);
    pacer.recordSpend(5_000_000);
    const state = pacer.state();
    expect(state).toMatchObject({
      mode: 'even',
      curve: 'uniform',
      date: '2025-06-10',
      dayStartMs: MIDNIGHT,
      dayEndMs: MIDNIGHT + 24 * HOUR,
      budgetMicros: 24_000_000,
      spentMicros: 5_000_000,
      targetSpentMicros: 6_000_000,
      exhausted: false,
    });
    expect(state.hours).toHaveLength(24);
    expect(state.hours[6]).toEqual({
      startMs: MIDNIGHT + 6 * HOUR,
      hour: 6,
      targetMicros: 1_000_000,
      spentMicros: 5_000_000,
      opportunities: 0,
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('keeps the day spend across a budget change, and bids again when the budget is raised', () => {
    const clock = new ManualClock(MIDNIGHT + HOUR);
    const pacer = new Pacer({ mode: 'asap', dailyBudgetMicros: 1_000, timeZone: NY }, clock);
    pacer.recordSpend(1_000);
    expect(pacer.shouldBid(seededRng(1))).toBe(false);
    pacer.reconfigure({ mode: 'asap', dailyBudgetMicros: 2_000, timeZone: NY });
    expect(pacer.state().spentMicros).toBe(1_000);
    expect(pacer.shouldBid(seededRng(1))).toBe(true);
  });

  it('refuses a budget that is not integer micros and weights that are not 24', () => {
    const clock = new ManualClock(MIDNIGHT);
    expect(() => new Pacer(even(1.5), clock)).toThrow(RangeError);
    expect(() => new Pacer({ ...even(1), hourlyWeights: [1] }, clock)).toThrow(RangeError);
  });
});

describe('Pacer over a simulated day (seeded traffic with an evening peak, second by second)', () => {
  it.each([
    [15_000_000, 1],
    [15_000_000, 2],
    [15_000_000, 3],
    // Half the traffic's worth: the night cannot deliver its uniform share, the day must catch up.
    [40_000_000, 1],
  ])(
    'even, uniform curve, budget %i, seed %i: ends within 2%% of the budget, no hour above 2× its target',
    (budget, seed) => {
      const { days } = simulatePacing(even(budget), MARKET, { seed, startMs: MIDNIGHT, dayCount: 1 });
      const state = days[0]!.state;
      const ratios = hourRatios(state);
      expect(state.spentMicros / budget, 'share of the budget spent').toBeGreaterThanOrEqual(0.98);
      expect(state.spentMicros).toBeLessThanOrEqual(budget);
      expect(
        Math.max(...ratios),
        `hourly spent/target: ${ratios.map((r) => r.toFixed(2)).join(' ')}`,
      ).toBeLessThan(2);
    },
  );

  it('even, traffic curve: learns the hourly shape on day 1 and follows it on day 2, within 2% and 2× per hour', () => {
    const { days } = simulatePacing(even(15_000_000, 'traffic'), MARKET, {
      seed: 4,
      startMs: MIDNIGHT,
      dayCount: 2,
    });
    const day2 = days[1]!.state;
    expect(day2.date).toBe('2025-06-11');
    // The learned curve puts the budget where the traffic is: the 20:00 peak ~10× the 03:00 trough.
    expect(day2.hours[20]!.targetMicros / day2.hours[3]!.targetMicros).toBeGreaterThan(5);
    expect(day2.spentMicros / day2.budgetMicros).toBeGreaterThanOrEqual(0.98);
    expect(day2.spentMicros).toBeLessThanOrEqual(day2.budgetMicros);
    expect(Math.max(...hourRatios(day2))).toBeLessThan(2);
  });

  it('even over a 23-hour DST day still spends the day budget in the day', () => {
    const start = localDay(NY, Date.UTC(2025, 2, 9, 12)).startMs;
    const { days } = simulatePacing(even(15_000_000), MARKET, { seed: 5, startMs: start, dayCount: 1 });
    const state = days[0]!.state;
    expect(state.hours).toHaveLength(23);
    expect(state.spentMicros / state.budgetMicros).toBeGreaterThanOrEqual(0.98);
    expect(Math.max(...hourRatios(state))).toBeLessThan(2);
  });

  it('ASAP spends the budget as fast as the traffic allows, then stops bidding for the rest of the day', () => {
    const asap: PacerSettings = { mode: 'asap', dailyBudgetMicros: 15_000_000, timeZone: NY };
    const { days } = simulatePacing(asap, MARKET, { seed: 1, startMs: MIDNIGHT, dayCount: 1 });
    const { state, bidsPerHour } = days[0]!;
    // Exhausted: what is left cannot pay one more 2.00 CPM bid.
    expect(state.budgetMicros - state.spentMicros).toBeLessThan(MARKET.bidCpmMicros / 1000);
    expect(state.exhausted).toBe(true);
    const lastHourWithBids = bidsPerHour.findLastIndex((n) => n > 0);
    expect(lastHourWithBids).toBeLessThan(12);
    expect(bidsPerHour.slice(lastHourWithBids + 1).every((n) => n === 0)).toBe(true);
    expect(state.hours.slice(lastHourWithBids + 1).every((h) => h.spentMicros === 0)).toBe(true);
  });
});

describe('CampaignPacers', () => {
  it('keeps one pacer per campaign in step with the campaign model', () => {
    const clock = new ManualClock(MIDNIGHT + HOUR);
    const pacers = new CampaignPacers(clock);
    const camp = { id: 'c1', pacing: 'asap' as const, dailyBudgetMicros: 1_000, timeZone: NY };
    pacers.sync([camp, { ...camp, id: 'c2' }]);
    pacers.get('c1')!.recordSpend(1_000);
    const first = pacers.get('c1');
    pacers.sync([{ ...camp, dailyBudgetMicros: 5_000 }]);
    expect(pacers.get('c1')).toBe(first);
    expect(pacers.get('c2')).toBeUndefined();
    const states = pacers.states();
    expect(Object.keys(states)).toEqual(['c1']);
    expect(states.c1).toMatchObject({ budgetMicros: 5_000, spentMicros: 1_000, exhausted: false });
  });
});
