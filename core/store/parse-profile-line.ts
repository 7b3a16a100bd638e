import type { ProfileSegment } from '../scoring.ts';

/** Longest profile TTL accepted: one year. */
export const MAX_TTL_SEC = 31_536_000;
const MAX_SEGMENTS = 1024;
const MAX_ID_LENGTH = 256;
const MAX_KEY_LENGTH = 1024;

/** A parsed import line, or why it was rejected. */
export type ProfileLine =
  | {
      readonly ok: true;
      readonly rawKey: string;
      readonly segments: ProfileSegment[];
      readonly ttlSec: number;
    }
  | { readonly ok: false; readonly problem: string };

/** A valid profile TTL in seconds: an integer from 1 to MAX_TTL_SEC. */
export function isTtl(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_TTL_SEC;
}

/** Parses one JSONL line of a profile import; a numeric segment `value` is kept as its string, as OpenRTB carries it. */
export function parseProfileLine(text: string, defaultTtlSec: number): ProfileLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not valid JSON (${(err as Error).message})` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, problem: 'not a JSON object' };
  const { key, segments, ttlSec } = v as Record<string, unknown>;
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
    return { ok: false, problem: `"key" must be a non-empty string of at most ${MAX_KEY_LENGTH} characters` };
  }
  if (!Array.isArray(segments) || segments.length > MAX_SEGMENTS) {
    return { ok: false, problem: `"segments" must be an array of at most ${MAX_SEGMENTS} segments` };
  }
  const out: ProfileSegment[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as { id?: unknown; value?: unknown } | null;
    const id = typeof s === 'object' && s !== null ? s.id : undefined;
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
      return {
        ok: false,
        problem: `segments[${i}].id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
      };
    }
    const value = s?.value;
    if (value === undefined) out.push({ id });
    else if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) out.push({ id, value });
    else if (typeof value === 'number' && Number.isFinite(value)) out.push({ id, value: String(value) });
    else return { ok: false, problem: `segments[${i}].value must be a string or a finite number` };
  }
  if (ttlSec !== undefined && !isTtl(ttlSec)) {
    return { ok: false, problem: `"ttlSec" must be an integer from 1 to ${MAX_TTL_SEC}` };
  }
  return { ok: true, rawKey: key, segments: out, ttlSec: ttlSec ?? defaultTtlSec };
}
