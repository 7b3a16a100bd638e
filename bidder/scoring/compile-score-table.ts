import type { LogisticModel, ScoreTable } from '../../core/index.ts';

/**
 * The segment ids known to a set of compiled tables, each with a dense integer id. Requests are
 * translated into these ids once (`encodeFeatures`), so scoring a request against N line items
 * costs one hash lookup per request segment in total, not one per segment per line item.
 */
export class SegmentVocabulary {
  readonly #ids = new Map<string, number>();

  /** Number of distinct segment ids. */
  get size(): number {
    return this.#ids.size;
  }

  /** The id of `segmentId`, or -1 when no table weighs it. */
  indexOf(segmentId: string): number {
    return this.#ids.get(segmentId) ?? -1;
  }

  /** Every (segment id, index) pair. */
  entries(): IterableIterator<[string, number]> {
    return this.#ids.entries();
  }

  /** The id of `segmentId`, assigning the next one if it is new (compilation only). */
  add(segmentId: string): number {
    let idx = this.#ids.get(segmentId);
    if (idx === undefined) {
      idx = this.#ids.size;
      this.#ids.set(segmentId, idx);
    }
    return idx;
  }
}

/** Index of each inventory type in `CompiledModel.inventoryType`. */
export const INVENTORY_INDEX = { site: 0, app: 1, dooh: 2 } as const;

/** A logistic model with its segments as sorted vocabulary ids and its context weights as arrays. */
export interface CompiledModel {
  readonly bias: number;
  /** Weight × the segment's numeric value, instead of the weight alone. */
  readonly numeric: boolean;
  /** Vocabulary ids of the weighted segments, ascending (binary-searched per request segment). */
  readonly segmentIds: Int32Array;
  /** `weights[i]` belongs to `segmentIds[i]`. */
  readonly weights: Float64Array;
  /** Weight by AdCOM device type (index = type); 0 where the table has none. */
  readonly deviceType: Float64Array;
  /** Weight by `INVENTORY_INDEX`. */
  readonly inventoryType: Float64Array;
  /** Weight by hour of day 0–23. */
  readonly hour: Float64Array;
}

/** A score table ready for the bid path: immutable, plain typed arrays, safe to share. */
export interface CompiledScoreTable {
  readonly id: string;
  readonly lineItemId: string;
  readonly version: number;
  readonly ctr: CompiledModel;
  readonly cvr: CompiledModel | undefined;
  /** Expected value of one conversion, account micros (target ROAS), if the table states it. */
  readonly conversionValueMicros: number | undefined;
  /** The vocabulary its `segmentIds` refer to; features must be encoded with it. */
  readonly vocabulary: SegmentVocabulary;
}

/** Every table of a data set compiled against one shared vocabulary. */
export interface CompiledScoreTables {
  readonly vocabulary: SegmentVocabulary;
  readonly byLineItem: ReadonlyMap<string, CompiledScoreTable>;
}

function compileModel(model: LogisticModel, vocabulary: SegmentVocabulary): CompiledModel {
  const pairs = Object.entries(model.segments).map(([id, w]) => [vocabulary.add(id), w] as const);
  pairs.sort((a, b) => a[0] - b[0]);
  const segmentIds = Int32Array.from(pairs, (p) => p[0]);
  const weights = Float64Array.from(pairs, (p) => p[1]);
  const ctx = model.context;
  let maxDevice = 0;
  for (const key of Object.keys(ctx?.deviceType ?? {})) maxDevice = Math.max(maxDevice, Number(key));
  const deviceType = new Float64Array(maxDevice + 1);
  for (const [key, w] of Object.entries(ctx?.deviceType ?? {})) deviceType[Number(key)] = w;
  const inventoryType = new Float64Array(3);
  const inv = ctx?.inventoryType;
  inventoryType[INVENTORY_INDEX.site] = inv?.site ?? 0;
  inventoryType[INVENTORY_INDEX.app] = inv?.app ?? 0;
  inventoryType[INVENTORY_INDEX.dooh] = inv?.dooh ?? 0;
  const hour = new Float64Array(24);
  for (const [key, w] of Object.entries(ctx?.hour ?? {})) hour[Number(key)] = w;
  return {
    bias: model.bias,
    numeric: model.segmentValues === 'numeric',
    segmentIds,
    weights,
    deviceType,
    inventoryType,
    hour,
  };
}

/**
 * Compiles one validated table. Pass the vocabulary shared by the other tables of the snapshot so
 * one encoding of a request serves them all; without one, the table gets its own.
 */
export function compileScoreTable(
  table: ScoreTable,
  vocabulary: SegmentVocabulary = new SegmentVocabulary(),
): CompiledScoreTable {
  return {
    id: table.id,
    lineItemId: table.lineItemId,
    version: table.version,
    ctr: compileModel(table.ctr, vocabulary),
    cvr: table.cvr === undefined ? undefined : compileModel(table.cvr, vocabulary),
    conversionValueMicros: table.conversionValueMicros,
    vocabulary,
  };
}

/**
 * Compiles every table of a data set (absent list = none) against one vocabulary, keyed by line
 * item. Validation forbids two tables for one line item; should a store hold two anyway (writes
 * are validated by callers), the higher `version` wins, then the smaller id, so every bidder
 * picks the same one.
 */
export function compileScoreTables(tables: readonly ScoreTable[] | undefined): CompiledScoreTables {
  const chosen = new Map<string, ScoreTable>();
  for (const t of tables ?? []) {
    const current = chosen.get(t.lineItemId);
    if (
      current === undefined ||
      t.version > current.version ||
      (t.version === current.version && t.id < current.id)
    ) {
      chosen.set(t.lineItemId, t);
    }
  }
  const vocabulary = new SegmentVocabulary();
  const byLineItem = new Map<string, CompiledScoreTable>();
  for (const [lineItemId, t] of chosen) byLineItem.set(lineItemId, compileScoreTable(t, vocabulary));
  return { vocabulary, byLineItem };
}
