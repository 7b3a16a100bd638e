/** One real hour of a local day, labelled with the local clock hour it shows. */
export interface HourSlot {
  readonly startMs: number;
  readonly endMs: number;
  /** Local hour 0–23 at the slot's middle; on a fall-back day one label appears twice. */
  readonly hour: number;
}

/** A calendar day in a time zone: from local midnight to the next, as instants. */
export interface LocalDay {
  /** `YYYY-MM-DD` in the zone. */
  readonly date: string;
  readonly startMs: number;
  readonly endMs: number;
  /** 24 slots, or 23 / 25 on DST change days: a target curve must cover real time, not clock hours. */
  readonly slots: readonly HourSlot[];
}

const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

interface Wall {
  y: number;
  m: number;
  d: number;
  h: number;
  min: number;
  s: number;
}

function wallAt(timeZone: string, epochMs: number): Wall {
  const w: Wall = { y: 0, m: 0, d: 0, h: 0, min: 0, s: 0 };
  for (const p of formatter(timeZone).formatToParts(epochMs)) {
    if (p.type === 'year') w.y = Number(p.value);
    else if (p.type === 'month') w.m = Number(p.value);
    else if (p.type === 'day') w.d = Number(p.value);
    else if (p.type === 'hour') w.h = Number(p.value) % 24;
    else if (p.type === 'minute') w.min = Number(p.value);
    else if (p.type === 'second') w.s = Number(p.value);
  }
  return w;
}

/** The zone's offset from UTC at an instant, ms (whole seconds: Intl shows no milliseconds). */
function offsetMs(timeZone: string, epochMs: number): number {
  const w = wallAt(timeZone, epochMs);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(epochMs / 1000) * 1000;
}

/** The first instant of local date y-m-d. Two passes settle the offset, which may differ at midnight and at the guess. */
function localMidnight(timeZone: string, y: number, m: number, d: number): number {
  const wall = Date.UTC(y, m - 1, d);
  let guess = wall - offsetMs(timeZone, wall);
  guess = wall - offsetMs(timeZone, guess);
  // Zones that skip midnight itself (DST at 00:00) start the day at the first instant of that date.
  const w = wallAt(timeZone, guess);
  if (w.d !== d) guess += HOUR_MS - (w.min * 60_000 + w.s * 1000);
  return guess;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local day of `timeZone` (a valid IANA name) that contains `epochMs`. */
export function localDay(timeZone: string, epochMs: number): LocalDay {
  const w = wallAt(timeZone, epochMs);
  const startMs = localMidnight(timeZone, w.y, w.m, w.d);
  const next = new Date(Date.UTC(w.y, w.m - 1, w.d + 1));
  const endMs = localMidnight(timeZone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
  const slots: HourSlot[] = [];
  for (let at = startMs; at < endMs; at += HOUR_MS) {
    const slotEnd = Math.min(at + HOUR_MS, endMs);
    slots.push({ startMs: at, endMs: slotEnd, hour: wallAt(timeZone, (at + slotEnd) / 2).h });
  }
  return { date: `${w.y}-${pad(w.m)}-${pad(w.d)}`, startMs, endMs, slots };
}
