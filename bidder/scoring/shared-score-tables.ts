import {
  type CompiledModel,
  type CompiledScoreTable,
  type CompiledScoreTables,
  SegmentVocabulary,
} from './compile-score-table.ts';

/**
 * Compiled score tables as plain, cloneable data whose typed arrays all live in two
 * SharedArrayBuffers. Posting it to a worker clones only the small headers: the weights are
 * shared memory, read by every thread, never copied (ARCHITECTURE.md "Process model").
 */
export interface SharedScoreTables {
  /** Segment ids in vocabulary order (a worker rebuilds its lookup map from it). */
  readonly vocabulary: readonly string[];
  readonly tables: readonly Omit<CompiledScoreTable, 'vocabulary'>[];
}

function models(t: CompiledScoreTable): CompiledModel[] {
  return t.cvr === undefined ? [t.ctr] : [t.ctr, t.cvr];
}

/** Copies compiled tables into shared memory; the result can be posted to workers and attached with `attachScoreTables`. */
export function shareScoreTables(compiled: CompiledScoreTables): SharedScoreTables {
  let f64 = 0;
  let i32 = 0;
  for (const t of compiled.byLineItem.values()) {
    for (const m of models(t)) {
      f64 += m.weights.length + m.deviceType.length + m.inventoryType.length + m.hour.length;
      i32 += m.segmentIds.length;
    }
  }
  const f64Buf = new SharedArrayBuffer(Math.max(8, f64 * 8));
  const i32Buf = new SharedArrayBuffer(Math.max(4, i32 * 4));
  let fAt = 0;
  let iAt = 0;
  const f = (src: Float64Array): Float64Array => {
    const view = new Float64Array(f64Buf, fAt * 8, src.length);
    view.set(src);
    fAt += src.length;
    return view;
  };
  const share = (m: CompiledModel): CompiledModel => {
    const segmentIds = new Int32Array(i32Buf, iAt * 4, m.segmentIds.length);
    segmentIds.set(m.segmentIds);
    iAt += m.segmentIds.length;
    return {
      bias: m.bias,
      numeric: m.numeric,
      segmentIds,
      weights: f(m.weights),
      deviceType: f(m.deviceType),
      inventoryType: f(m.inventoryType),
      hour: f(m.hour),
    };
  };
  const vocabulary: string[] = [];
  for (let i = 0; i < compiled.vocabulary.size; i++) vocabulary.push('');
  for (const [id, idx] of compiled.vocabulary.entries()) vocabulary[idx] = id;
  const tables = [...compiled.byLineItem.values()].map((t) => ({
    id: t.id,
    lineItemId: t.lineItemId,
    version: t.version,
    ctr: share(t.ctr),
    cvr: t.cvr === undefined ? undefined : share(t.cvr),
    conversionValueMicros: t.conversionValueMicros,
  }));
  return { vocabulary, tables };
}

/** Turns shared tables (as received by a worker, or as made by `shareScoreTables`) back into compiled tables; the weights stay in shared memory. */
export function attachScoreTables(shared: SharedScoreTables): CompiledScoreTables {
  const vocabulary = new SegmentVocabulary();
  for (const id of shared.vocabulary) vocabulary.add(id);
  const byLineItem = new Map<string, CompiledScoreTable>();
  for (const t of shared.tables) byLineItem.set(t.lineItemId, { ...t, vocabulary });
  return { vocabulary, byLineItem };
}
