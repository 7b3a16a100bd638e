/** Day of week (0 = Sunday) and hour (0–23) at an instant in a time zone. */
export interface LocalTime {
  dow: number;
  hour: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
/** Offsets change only on quarter hours in every IANA zone, so a 15-minute bucket is exact. */
const BUCKET_MS = 15 * 60 * 1000;

/**
 * Local day-of-week and hour per IANA zone, memoised per 15-minute bucket: Intl formatting costs
 * microseconds, and day-parting asks for it on every candidate line item.
 */
export class LocalTimeCache {
  readonly #formatters = new Map<string, Intl.DateTimeFormat>();
  readonly #cache = new Map<string, { bucket: number; value: LocalTime }>();

  /** Local time of `epochMs` in `timeZone` (a valid IANA name; validated when campaigns load). */
  at(timeZone: string, epochMs: number): LocalTime {
    const bucket = Math.floor(epochMs / BUCKET_MS);
    const hit = this.#cache.get(timeZone);
    if (hit && hit.bucket === bucket) return hit.value;
    let fmt = this.#formatters.get(timeZone);
    if (!fmt) {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'short',
        hour: 'numeric',
        hourCycle: 'h23',
      });
      this.#formatters.set(timeZone, fmt);
    }
    let dow = 0;
    let hour = 0;
    for (const part of fmt.formatToParts(bucket * BUCKET_MS)) {
      if (part.type === 'weekday') dow = WEEKDAYS[part.value] ?? 0;
      else if (part.type === 'hour') hour = Number(part.value) % 24;
    }
    const value = { dow, hour };
    this.#cache.set(timeZone, { bucket, value });
    return value;
  }
}
