import type { Clock, Rng } from '../../core/index.ts';
import { type LocalDay, localDay } from './local-day.ts';
import { TargetCurve, UNIFORM_HOURS } from './target-curve.ts';

/** What a campaign asks of its pacing (from `Campaign`: `pacing`, `dailyBudgetMicros`, `timeZone`). */
export interface PacerSettings {
  readonly mode: 'asap' | 'even';
  readonly dailyBudgetMicros: number;
  /** IANA zone of the campaign's day. */
  readonly timeZone: string;
  /** Target curve of even pacing: flat over the day, or shaped by the traffic seen per local hour (default 'uniform'). */
  readonly curve?: 'uniform' | 'traffic';
  /** 24 weights by local hour to start the 'traffic' curve with until a day has been seen (default: uniform). */
  readonly hourlyWeights?: readonly number[];
}

/** Controller gains and horizons; the defaults are what `pacer.test.ts` measured on a simulated day. */
export interface PacerTuning {
  /** How often the controller updates the throttle rate (default 60 000). */
  readonly controlIntervalMs?: number;
  /** Half-life of the spend-per-participation estimate (default 30 min): prices and win rates move slowly. */
  readonly valueHalfLifeMs?: number;
  /** Half-life of the opportunity-rate estimate (default 3 min): traffic moves within the hour. */
  readonly trafficHalfLifeMs?: number;
  /** Proportional gain on the spend lag, per average budget-hour behind (default 0.5). */
  readonly kp?: number;
  /** Integral gain, per average budget-hour behind per hour (default 0.5). */
  readonly ki?: number;
  /** Lowest throttle rate while budget remains, so the controller keeps measuring (default 0.001). */
  readonly minRate?: number;
  /** Weight of the last day when the 'traffic' curve learns its hourly shape (default 0.5). */
  readonly shapeLearningRate?: number;
}

/** Target and actual spend of one hour slot of the current day. */
export interface PacingHour {
  readonly startMs: number;
  /** Local clock hour 0–23. */
  readonly hour: number;
  readonly targetMicros: number;
  readonly spentMicros: number;
  /** Bid opportunities offered to this pacer in the slot (whether or not it took part). */
  readonly opportunities: number;
}

/** The pacing state as a plain object, for `/metrics` and the dashboard's internal API. */
export interface PacingState {
  readonly mode: 'asap' | 'even';
  readonly curve: 'uniform' | 'traffic';
  /** The campaign's local date, `YYYY-MM-DD`. */
  readonly date: string;
  readonly dayStartMs: number;
  readonly dayEndMs: number;
  readonly budgetMicros: number;
  readonly spentMicros: number;
  /** What the target curve says should be spent by now (ASAP: the whole budget). */
  readonly targetSpentMicros: number;
  /** Probability of taking part in an opportunity, 0–1 (0 once the budget is spent). */
  readonly throttleRate: number;
  /** Spend rate the controller aims at now, micros per second (even pacing). */
  readonly plannedMicrosPerSec: number;
  /** Estimated spend rate when taking part in every opportunity, micros per second; undefined until measured. */
  readonly fullRateMicrosPerSec: number | undefined;
  /** The integral term of the controller (log-rate units). */
  readonly integral: number;
  /** Behind the curve with the throttle wide open: the traffic, not the pacer, limits delivery. */
  readonly trafficLimited: boolean;
  /** The day's budget is spent, or what is left cannot pay the last bid asked about. */
  readonly exhausted: boolean;
  /** The 24 hourly weights of today's target curve. */
  readonly hourlyWeights: readonly number[];
  readonly hours: readonly PacingHour[];
  readonly updatedAtMs: number;
}

/** Ratio-of-sums exponential average: robust when a control interval sees few events. */
class DecayingRatio {
  #num = 0;
  #den = 0;
  add(num: number, den: number, decay: number): void {
    this.#num = this.#num * decay + num;
    this.#den = this.#den * decay + den;
  }
  get value(): number | undefined {
    return this.#den > 0 ? this.#num / this.#den : undefined;
  }
}

interface DayBook {
  readonly day: LocalDay;
  readonly curve: TargetCurve;
  readonly weights: readonly number[];
  readonly spent: number[];
  readonly opportunities: number[];
}

/**
 * Daily pacing of one campaign in one bidder process: decides per opportunity whether to take
 * part, from a throttle rate a feedback controller sets every `controlIntervalMs`.
 *
 * ASAP: rate 1 until the day's spend reaches the budget, then 0 until the next local midnight.
 *
 * Even: rate = feed-forward × PI correction, clamped to [minRate, 1]:
 * - feed-forward = planned rate ÷ estimated full rate. The planned rate re-plans what is left of
 *   the budget over what is left of the target curve (remaining × density ÷ remaining share), so
 *   a lag is spread over the rest of the day rather than dumped at once (no front-loading), and
 *   the plan rises as the day ends with budget left (no stall). The full rate is the
 *   opportunity rate (short half-life: follows the hourly traffic within minutes) × spend per
 *   participation (long half-life: prices move slowly).
 * - correction = exp(kp·e + ∫ki·e), e = (target − spent) in average budget-hours: it removes the
 *   bias the estimates leave (notices arrive late, wins are not proportional to participation).
 *   The integral stops winding while the rate is pinned at a bound.
 * Participation, not bid level, is throttled: a lower bid would change which auctions are won
 * (and their quality) while the strategies already price each impression.
 *
 * Spend comes from `recordSpend` (this process's billing) or `syncSpent` (the shared ledger's
 * daily total: then every process steers on the campaign's whole spend and, seeing the same
 * numbers, converges to the same rate). Pure: time from the injected clock, draws from the
 * caller's RNG, no I/O.
 */
export class Pacer {
  readonly #clock: Clock;
  readonly #controlIntervalMs: number;
  readonly #valueHalfLifeMs: number;
  readonly #trafficHalfLifeMs: number;
  readonly #kp: number;
  readonly #ki: number;
  readonly #minRate: number;
  readonly #shapeLearningRate: number;
  #settings: PacerSettings;
  #book: DayBook;
  /** Learned hourly traffic shape (mean 1), once a day has been seen. */
  #learnedWeights: readonly number[] | undefined;
  #spent = 0;
  #rate = 1;
  #integral = 0;
  #planned = 0;
  #lastTickMs: number;
  #spentAtTick = 0;
  #oppsSinceTick = 0;
  #partsSinceTick = 0;
  /** The max cost of the last bid asked about: once the remaining budget is below it, the day is spent. */
  #lastMaxCost = 0;
  readonly #valuePerPart = new DecayingRatio();
  readonly #oppsPerMs = new DecayingRatio();

  constructor(settings: PacerSettings, clock: Clock, tuning: PacerTuning = {}) {
    checkSettings(settings);
    this.#clock = clock;
    this.#controlIntervalMs = tuning.controlIntervalMs ?? 60_000;
    this.#valueHalfLifeMs = tuning.valueHalfLifeMs ?? 30 * 60_000;
    this.#trafficHalfLifeMs = tuning.trafficHalfLifeMs ?? 3 * 60_000;
    this.#kp = tuning.kp ?? 0.5;
    this.#ki = tuning.ki ?? 0.5;
    this.#minRate = tuning.minRate ?? 0.001;
    this.#shapeLearningRate = tuning.shapeLearningRate ?? 0.5;
    this.#settings = settings;
    const now = clock.now();
    this.#book = this.#newBook(now);
    this.#lastTickMs = now;
    this.#tick(now, true);
  }

  /** Changes budget, mode or curve in place (spend and learning kept); a new time zone starts a new day book. */
  reconfigure(settings: PacerSettings): void {
    checkSettings(settings);
    const zoneChanged = settings.timeZone !== this.#settings.timeZone;
    this.#settings = settings;
    if (zoneChanged) this.#book = this.#newBook(this.#clock.now());
    this.#tick(this.#clock.now(), true);
  }

  /**
   * Counts one opportunity and answers whether to take part in it (one RNG draw while throttled).
   * With `maxCostMicros` (the most the bid can cost), no when the day's remaining budget cannot pay it.
   */
  shouldBid(rng: Rng, maxCostMicros = 0): boolean {
    const now = this.#clock.now();
    this.#advance(now);
    this.#book.opportunities[this.#book.curve.slotIndex(now)]! += 1;
    this.#oppsSinceTick += 1;
    this.#lastMaxCost = maxCostMicros;
    if (this.#spent + maxCostMicros > this.#settings.dailyBudgetMicros) return false;
    const take = this.#rate >= 1 || (this.#rate > 0 && rng.next() < this.#rate);
    if (take) this.#partsSinceTick += 1;
    return take;
  }

  /** Adds billed spend (micros) at the clock's now to today's total. */
  recordSpend(micros: number): void {
    if (!(micros >= 0)) throw new RangeError(`spend must be non-negative micros, got ${micros}`);
    const now = this.#clock.now();
    this.#advance(now);
    this.#spent += micros;
    this.#book.spent[this.#book.curve.slotIndex(now)]! += micros;
    // Stop at once when the budget is gone, not at the next control tick.
    if (this.#spent >= this.#settings.dailyBudgetMicros) this.#rate = 0;
  }

  /** Sets today's spend to the shared ledger's total (only increases count; the ledger is the truth). */
  syncSpent(todayTotalMicros: number): void {
    const delta = todayTotalMicros - this.#spent;
    if (delta > 0) this.recordSpend(delta);
  }

  /** The throttle rate now (runs a due control step first). */
  get throttleRate(): number {
    this.#advance(this.#clock.now());
    return this.#rate;
  }

  /** The pacing state now, as a plain object. */
  state(): PacingState {
    const now = this.#clock.now();
    this.#advance(now);
    const s = this.#settings;
    const budget = s.dailyBudgetMicros;
    const book = this.#book;
    const full = this.#fullRate();
    const target = s.mode === 'asap' ? budget : Math.round(budget * book.curve.fractionAt(now));
    const exhausted = budget - this.#spent <= 0 || budget - this.#spent < this.#lastMaxCost;
    return {
      mode: s.mode,
      curve: s.curve ?? 'uniform',
      date: book.day.date,
      dayStartMs: book.day.startMs,
      dayEndMs: book.day.endMs,
      budgetMicros: budget,
      spentMicros: this.#spent,
      targetSpentMicros: target,
      throttleRate: exhausted ? 0 : this.#rate,
      plannedMicrosPerSec: Number.isFinite(this.#planned) ? this.#planned * 1000 : budget,
      fullRateMicrosPerSec: full === undefined ? undefined : full * 1000,
      integral: this.#integral,
      trafficLimited: this.#rate >= 1 && this.#spent < target && !exhausted,
      exhausted,
      hourlyWeights: book.weights,
      hours: book.day.slots.map((slot, i) => ({
        startMs: slot.startMs,
        hour: slot.hour,
        targetMicros: Math.round(budget * book.curve.slotShares[i]!),
        spentMicros: book.spent[i]!,
        opportunities: book.opportunities[i]!,
      })),
      updatedAtMs: this.#lastTickMs,
    };
  }

  #advance(now: number): void {
    if (now >= this.#book.day.endMs) this.#rollOver(now);
    if (now - this.#lastTickMs >= this.#controlIntervalMs) this.#tick(now, false);
  }

  #rollOver(now: number): void {
    this.#learnShape();
    this.#book = this.#newBook(now);
    this.#spent = 0;
    this.#spentAtTick = 0;
    this.#integral = 0;
    this.#tick(now, true);
  }

  /** One control step: fold the interval into the estimates, then set the rate. */
  #tick(now: number, force: boolean): void {
    const elapsed = now - this.#lastTickMs;
    if (elapsed <= 0 && !force) return;
    if (elapsed > 0) {
      const spentDelta = Math.max(0, this.#spent - this.#spentAtTick);
      this.#valuePerPart.add(spentDelta, this.#partsSinceTick, 0.5 ** (elapsed / this.#valueHalfLifeMs));
      this.#oppsPerMs.add(this.#oppsSinceTick, elapsed, 0.5 ** (elapsed / this.#trafficHalfLifeMs));
    }
    this.#lastTickMs = now;
    this.#spentAtTick = this.#spent;
    this.#oppsSinceTick = 0;
    this.#partsSinceTick = 0;

    const budget = this.#settings.dailyBudgetMicros;
    const remaining = budget - this.#spent;
    if (remaining <= 0) {
      this.#rate = 0;
      this.#planned = 0;
      return;
    }
    if (this.#settings.mode === 'asap') {
      this.#rate = 1;
      this.#planned = Number.POSITIVE_INFINITY;
      return;
    }
    const curve = this.#book.curve;
    const leftShare = 1 - curve.fractionAt(now);
    this.#planned = leftShare > 0 ? (remaining * curve.densityAt(now)) / leftShare : Number.POSITIVE_INFINITY;
    const hourBudget = budget / this.#book.day.slots.length;
    const lag = (budget * curve.fractionAt(now) - this.#spent) / hourBudget;
    const full = this.#fullRate();
    const feedForward = full === undefined || full <= 0 ? 1 : this.#planned / full;
    const rate = clamp(feedForward * Math.exp(this.#kp * lag + this.#integral), this.#minRate, 1);
    // Anti-windup: integrate only when the rate could still move in the direction the lag asks.
    const pinned = (rate >= 1 && lag > 0) || (rate <= this.#minRate && lag < 0);
    if (!pinned && elapsed > 0) {
      this.#integral = clamp(this.#integral + (this.#ki * lag * elapsed) / 3_600_000, -3, 3);
    }
    this.#rate = rate;
  }

  /** Estimated micros per ms when taking part in every opportunity. */
  #fullRate(): number | undefined {
    const opps = this.#oppsPerMs.value;
    const value = this.#valuePerPart.value;
    return opps === undefined || value === undefined ? undefined : opps * value;
  }

  #learnShape(): void {
    const book = this.#book;
    const perHour = Array.from({ length: 24 }, () => ({ opps: 0, hours: 0 }));
    book.day.slots.forEach((slot, i) => {
      const h = perHour[slot.hour]!;
      h.opps += book.opportunities[i]!;
      h.hours += (slot.endMs - slot.startMs) / 3_600_000;
    });
    const rates = perHour.map((h) => (h.hours > 0 ? h.opps / h.hours : 0));
    const mean = rates.reduce((a, r) => a + r, 0) / 24;
    if (mean <= 0) return;
    const observed = rates.map((r) => r / mean);
    const prior = this.#learnedWeights;
    const m = this.#shapeLearningRate;
    this.#learnedWeights =
      prior === undefined ? observed : observed.map((w, h) => (1 - m) * prior[h]! + m * w);
  }

  #newBook(now: number): DayBook {
    const day = localDay(this.#settings.timeZone, now);
    const weights =
      this.#settings.mode === 'even' && this.#settings.curve === 'traffic'
        ? (this.#learnedWeights ?? this.#settings.hourlyWeights ?? UNIFORM_HOURS)
        : UNIFORM_HOURS;
    return {
      day,
      curve: new TargetCurve(day, weights),
      weights,
      spent: day.slots.map(() => 0),
      opportunities: day.slots.map(() => 0),
    };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function checkSettings(s: PacerSettings): void {
  if (!Number.isSafeInteger(s.dailyBudgetMicros) || s.dailyBudgetMicros < 0) {
    throw new RangeError(`dailyBudgetMicros must be non-negative integer micros, got ${s.dailyBudgetMicros}`);
  }
  if (s.hourlyWeights !== undefined && s.hourlyWeights.length !== 24) {
    throw new RangeError(`hourlyWeights needs 24 values, got ${s.hourlyWeights.length}`);
  }
}
