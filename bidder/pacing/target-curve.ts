import type { LocalDay } from './local-day.ts';

/** Weight of an hour with no weight (or no traffic seen), relative to the mean: never a zero target, so pacing never freezes a slot. */
const MIN_RELATIVE_WEIGHT = 0.01;

/** 24 equal weights: the uniform curve. */
export const UNIFORM_HOURS: readonly number[] = Object.freeze(Array.from({ length: 24 }, () => 1));

/**
 * The share of the daily budget that should be spent by each instant of a local day: piecewise
 * linear through the day's real hour slots, each slot weighted by its local hour (uniform, or the
 * traffic seen per hour). Shares sum to exactly 1 over the day, 23- and 25-hour days included.
 */
export class TargetCurve {
  readonly day: LocalDay;
  /** Share of the day's budget per slot; sums to 1. */
  readonly slotShares: readonly number[];
  readonly #cumulative: readonly number[];

  /** `hourlyWeights`: 24 non-negative weights by local hour (0 = midnight). */
  constructor(day: LocalDay, hourlyWeights: readonly number[]) {
    if (hourlyWeights.length !== 24)
      throw new RangeError(`need 24 hourly weights, got ${hourlyWeights.length}`);
    this.day = day;
    const mean = hourlyWeights.reduce((a, w) => a + Math.max(0, w), 0) / 24;
    const floor = mean > 0 ? mean * MIN_RELATIVE_WEIGHT : 1;
    const raw = day.slots.map(
      (s) => Math.max(floor, hourlyWeights[s.hour] ?? 0) * ((s.endMs - s.startMs) / 3_600_000),
    );
    const total = raw.reduce((a, w) => a + w, 0);
    this.slotShares = raw.map((w) => w / total);
    const cumulative = [0];
    for (const share of this.slotShares) cumulative.push(cumulative[cumulative.length - 1]! + share);
    cumulative[cumulative.length - 1] = 1;
    this.#cumulative = cumulative;
  }

  /** The slot holding `epochMs`, clamped to the day. */
  slotIndex(epochMs: number): number {
    const slots = this.day.slots;
    if (epochMs <= this.day.startMs) return 0;
    if (epochMs >= this.day.endMs) return slots.length - 1;
    // Slots are whole hours from local midnight (the last may be shorter): index by division.
    return Math.min(slots.length - 1, Math.floor((epochMs - this.day.startMs) / 3_600_000));
  }

  /** Share of the budget that should be spent by `epochMs` (0 at local midnight, 1 at the next). */
  fractionAt(epochMs: number): number {
    if (epochMs <= this.day.startMs) return 0;
    if (epochMs >= this.day.endMs) return 1;
    const i = this.slotIndex(epochMs);
    const slot = this.day.slots[i]!;
    const within = (epochMs - slot.startMs) / (slot.endMs - slot.startMs);
    return this.#cumulative[i]! + this.slotShares[i]! * within;
  }

  /** Slope of the curve at `epochMs`: share of the budget per ms. */
  densityAt(epochMs: number): number {
    const i = this.slotIndex(epochMs);
    const slot = this.day.slots[i]!;
    return this.slotShares[i]! / (slot.endMs - slot.startMs);
  }
}
