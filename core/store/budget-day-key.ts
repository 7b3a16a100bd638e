/** Offsets change only on quarter hours in every IANA zone, so the day is constant within a 15-minute bucket. */
const BUCKET_MS = 15 * 60 * 1000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

/** The calendar day (`YYYY-MM-DD`) of `epochMs` in the IANA `timeZone`: the key daily budgets count against. */
export function budgetDayKey(timeZone: string, epochMs: number): string {
  let y = '';
  let m = '';
  let d = '';
  for (const part of formatterOf(timeZone).formatToParts(epochMs)) {
    if (part.type === 'year') y = part.value;
    else if (part.type === 'month') m = part.value;
    else if (part.type === 'day') d = part.value;
  }
  return `${y.padStart(4, '0')}-${m}-${d}`;
}

/**
 * `budgetDayKey` memoised per time zone and 15-minute bucket: the budget gate asks on every bid,
 * and Intl formatting costs microseconds while the bucket check costs a division.
 */
export class BudgetDayKeys {
  readonly #cache = new Map<string, { bucket: number; dayKey: string }>();

  /** The day key of `epochMs` in `timeZone`. */
  at(timeZone: string, epochMs: number): string {
    const bucket = Math.floor(epochMs / BUCKET_MS);
    const hit = this.#cache.get(timeZone);
    if (hit !== undefined && hit.bucket === bucket) return hit.dayKey;
    const dayKey = budgetDayKey(timeZone, bucket * BUCKET_MS);
    this.#cache.set(timeZone, { bucket, dayKey });
    return dayKey;
  }
}
