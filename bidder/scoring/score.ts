import {
  type CompiledModel,
  type CompiledScoreTable,
  INVENTORY_INDEX,
  type SegmentVocabulary,
} from './compile-score-table.ts';

/** A segment as scoring sees it: request (`user.data`, eids) and profile segments alike. */
export interface ScoringSegment {
  readonly id: string;
  /** Used by `numeric` models; OpenRTB and profiles carry it as a string, parsed once per request. */
  readonly value?: string | number | undefined;
}

/** What a request is scored on. `hour` is the hour of day (0–23) in the campaign's time zone. */
export interface ScoringFeatures {
  readonly segments: readonly ScoringSegment[];
  readonly deviceType?: number | undefined;
  readonly inventoryType?: 'site' | 'app' | 'dooh' | undefined;
  readonly hour?: number | undefined;
}

/** Predicted rates; `pcvr` is undefined when the table has no conversion model. */
export interface Score {
  pctr: number;
  pcvr: number | undefined;
}

/**
 * Features translated into vocabulary ids: reusable scratch, filled by `encodeFeatures` once per
 * request (and campaign hour) and read by `scoreEncoded` for every line item. Not shareable
 * between concurrent requests; the bid path is synchronous per thread, so one per thread suffices.
 */
export interface EncodedFeatures {
  /** Number of valid entries in `ids`/`values`. */
  count: number;
  readonly ids: Int32Array;
  /** The segment's numeric value, NaN when it has none. */
  readonly values: Float64Array;
  /** -1 when absent. */
  deviceType: number;
  /** `INVENTORY_INDEX` entry, -1 when absent. */
  inventory: number;
  /** 0–23, -1 when absent. */
  hour: number;
  /** Per vocabulary id, the `epoch` that last saw it: duplicate segments count once without a Set. */
  readonly seen: Uint32Array;
  epoch: number;
}

/** Numeric segment values are clamped to ±1e9: with weights bounded to ±1e6 no sum can overflow into NaN. */
const MAX_VALUE = 1e9;

/** Scratch encoding for `vocabulary`, sized so no request can overflow it (ids are distinct). */
export function createEncodedFeatures(vocabulary: SegmentVocabulary): EncodedFeatures {
  const size = vocabulary.size;
  return {
    count: 0,
    ids: new Int32Array(size),
    values: new Float64Array(size),
    deviceType: -1,
    inventory: -1,
    hour: -1,
    seen: new Uint32Array(size),
    epoch: 0,
  };
}

function numericValue(value: string | number | undefined): number {
  // '' is "no value", not 0 (Number('') is 0).
  const v =
    typeof value === 'number' ? value : value === undefined || value === '' ? Number.NaN : Number(value);
  if (Number.isNaN(v)) return v;
  return v > MAX_VALUE ? MAX_VALUE : v < -MAX_VALUE ? -MAX_VALUE : v;
}

/**
 * Fills `into` from `features`. Segments no table weighs are dropped here, so they cost one hash
 * lookup per request instead of one per line item; a repeated id counts once (the first wins).
 * `into` must come from `createEncodedFeatures` for this vocabulary. Returns `into`.
 */
export function encodeFeatures(
  vocabulary: SegmentVocabulary,
  features: ScoringFeatures,
  into: EncodedFeatures,
): EncodedFeatures {
  into.epoch = (into.epoch + 1) >>> 0;
  if (into.epoch === 0) {
    // 2^32 requests later the stamps wrap: clear them once rather than compare against stale ones.
    into.seen.fill(0);
    into.epoch = 1;
  }
  const epoch = into.epoch;
  let count = 0;
  const segments = features.segments;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const idx = vocabulary.indexOf(s.id);
    if (idx < 0 || into.seen[idx] === epoch) continue;
    into.seen[idx] = epoch;
    into.ids[count] = idx;
    into.values[count] = numericValue(s.value);
    count++;
  }
  into.count = count;
  const d = features.deviceType;
  into.deviceType = d !== undefined && Number.isInteger(d) && d >= 0 ? d : -1;
  const inv = features.inventoryType;
  into.inventory = inv === undefined ? -1 : (INVENTORY_INDEX[inv] ?? -1);
  const h = features.hour;
  into.hour = h !== undefined && Number.isInteger(h) && h >= 0 && h < 24 ? h : -1;
  return into;
}

/** Position of `id` in the ascending `ids`, or -1. */
function find(ids: Int32Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = ids[mid]!;
    if (v < id) lo = mid + 1;
    else if (v > id) hi = mid - 1;
    else return mid;
  }
  return -1;
}

function logit(m: CompiledModel, f: EncodedFeatures): number {
  let z = m.bias;
  if (f.deviceType >= 0 && f.deviceType < m.deviceType.length) z += m.deviceType[f.deviceType]!;
  if (f.inventory >= 0) z += m.inventoryType[f.inventory]!;
  if (f.hour >= 0) z += m.hour[f.hour]!;
  // Binary search over the table's sorted ids rather than a Map per table: the request's segments
  // are already integers, so this inner loop hashes nothing and allocates nothing.
  const ids = f.ids;
  for (let i = 0; i < f.count; i++) {
    const j = find(m.segmentIds, ids[i]!);
    if (j < 0) continue;
    if (!m.numeric) z += m.weights[j]!;
    else {
      const v = f.values[i]!;
      if (!Number.isNaN(v)) z += m.weights[j]! * v;
    }
  }
  return z;
}

/** The logistic function, written so neither branch overflows exp() for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Scores encoded features against one table, writing into `out` (pass a reused object on the hot
 * path: nothing is allocated then). `features` must be encoded with `table.vocabulary`.
 */
export function scoreEncoded(table: CompiledScoreTable, features: EncodedFeatures, out: Score): Score {
  out.pctr = sigmoid(logit(table.ctr, features));
  out.pcvr = table.cvr === undefined ? undefined : sigmoid(logit(table.cvr, features));
  return out;
}

const scratchByVocabulary = new WeakMap<SegmentVocabulary, EncodedFeatures>();

/**
 * Scores raw features against one table: `encodeFeatures` into a scratch kept per vocabulary,
 * then `scoreEncoded`. Allocation-free after the first call when `out` is passed; when scoring
 * one request against many line items, encode once and call `scoreEncoded` instead.
 */
export function score(
  table: CompiledScoreTable,
  features: ScoringFeatures,
  out: Score = { pctr: 0, pcvr: undefined },
): Score {
  let scratch = scratchByVocabulary.get(table.vocabulary);
  // A vocabulary only grows while its snapshot compiles; a larger one needs a larger scratch.
  if (scratch === undefined || scratch.seen.length !== table.vocabulary.size) {
    scratch = createEncodedFeatures(table.vocabulary);
    scratchByVocabulary.set(table.vocabulary, scratch);
  }
  return scoreEncoded(table, encodeFeatures(table.vocabulary, features, scratch), out);
}
