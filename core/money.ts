/** Integer micros of a currency unit: 1 USD = 1_000_000 micros. */
export type Micros = number;

/** Micros in one currency unit. */
export const MICROS_PER_UNIT = 1_000_000;

/** Converts a decimal amount (e.g. a CPM of 2.5) to integer micros, rounding half away from zero. */
export function toMicros(amount: number): Micros {
  return Math.round(amount * MICROS_PER_UNIT);
}

/** Converts integer micros back to a decimal amount (for the wire only, never for arithmetic). */
export function fromMicros(micros: Micros): number {
  return micros / MICROS_PER_UNIT;
}

/** Converts an amount in micros of `fromRate` currency to micros of the account currency, given rates as "account units per one unit". Rounds down so converted floors are never undercut by rounding up bids. */
export function convertMicros(micros: Micros, rate: number): Micros {
  return Math.round(micros * rate);
}
