import { ManualClock, type Rng, seededRng } from '../../core/index.ts';
import { localDay } from './local-day.ts';
import { Pacer, type PacerSettings, type PacerTuning, type PacingState } from './pacer.ts';

/** A synthetic market for pacing tests: seeded traffic with an hourly shape, lognormal clearing prices. */
export interface SimulatedMarket {
  /** Mean opportunities per second over the day. */
  readonly opportunitiesPerSec: number;
  /** 24 relative traffic weights by local hour. */
  readonly hourlyTraffic: readonly number[];
  /** Our bid, CPM micros; we win when the market price is below it and pay the market price (second price). */
  readonly bidCpmMicros: number;
  /** Median market price, CPM micros, and the log-normal spread. */
  readonly medianPriceCpmMicros: number;
  readonly priceSigma: number;
  /** Billing notices arrive up to this long after the bid (uniform). */
  readonly maxNoticeDelayMs: number;
}

/** One simulated day: the pacer's state at its end and the bids sent per hour slot. */
export interface SimulatedDay {
  readonly state: PacingState;
  readonly bidsPerHour: readonly number[];
}

/** The outcome of simulated days. */
export interface SimulationResult {
  readonly days: readonly SimulatedDay[];
}

function poisson(rng: Rng, mean: number): number {
  // Knuth's method: fine for the small per-second means of these simulations.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k += 1;
    p *= rng.next();
  }
  return k;
}

function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Runs a pacer through `dayCount` local days of `market`, second by second on a ManualClock,
 * from the local midnight of `startDate` (epoch ms inside it). A bid is sent only when the pacer
 * takes part and the remaining budget covers the bid, as the budget ledger would enforce.
 * Deterministic for a seed.
 */
export function simulatePacing(
  settings: PacerSettings,
  market: SimulatedMarket,
  options: { seed: number; startMs: number; dayCount: number; tuning?: PacerTuning },
): SimulationResult {
  const rng = seededRng(options.seed);
  const first = localDay(settings.timeZone, options.startMs);
  const clock = new ManualClock(first.startMs);
  const pacer = new Pacer(settings, clock, options.tuning ?? {});
  const meanTraffic = market.hourlyTraffic.reduce((a, w) => a + w, 0) / 24;
  const days: SimulatedDay[] = [];
  let day = first;
  // Billing notices due per second from now: a ring of the delay horizon.
  const horizon = Math.ceil(market.maxNoticeDelayMs / 1000) + 1;
  const due = new Array<number>(horizon).fill(0);
  let second = 0;
  let inFlight = 0;
  let spentToday = 0;
  for (let d = 0; d < options.dayCount; d++) {
    const bidsPerHour = day.slots.map(() => 0);
    for (const [slotIndex, slot] of day.slots.entries()) {
      const perSec = (market.opportunitiesPerSec * market.hourlyTraffic[slot.hour]!) / meanTraffic;
      for (let t = slot.startMs; t < slot.endMs; t += 1000) {
        const bill = due[second % horizon]!;
        due[second % horizon] = 0;
        if (bill > 0) {
          pacer.recordSpend(bill);
          inFlight -= bill;
          spentToday += bill;
        }
        const n = poisson(rng, perSec);
        for (let i = 0; i < n; i++) {
          const maxCost = market.bidCpmMicros / 1000;
          if (!pacer.shouldBid(rng, maxCost)) continue;
          // The budget ledger's hard stop: what is in flight is reserved too.
          if (spentToday + inFlight + maxCost > settings.dailyBudgetMicros) continue;
          bidsPerHour[slotIndex]! += 1;
          const price = market.medianPriceCpmMicros * Math.exp(market.priceSigma * gaussian(rng));
          if (price >= market.bidCpmMicros) continue;
          const cost = Math.round(price / 1000);
          const delay = Math.floor((rng.next() * market.maxNoticeDelayMs) / 1000) + 1;
          due[(second + delay) % horizon]! += cost;
          inFlight += cost;
        }
        second += 1;
        clock.advance(1000);
      }
    }
    // The day's last notices land in its last millisecond, so each day's state holds all its wins.
    clock.set(day.endMs - 1);
    for (let i = 0; i < horizon; i++) {
      const bill = due[i]!;
      if (bill > 0) pacer.recordSpend(bill);
    }
    due.fill(0);
    days.push({ state: pacer.state(), bidsPerHour });
    clock.set(day.endMs);
    day = localDay(settings.timeZone, day.endMs);
    spentToday = 0;
    inFlight = 0;
  }
  return { days };
}
