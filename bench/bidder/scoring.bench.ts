/**
 * Cost of segment scoring per request (bidder/scoring/, core/scoring.ts): `compileScoreTables`
 * once per snapshot, then per request `encodeFeatures` once and `scoreEncoded` once per line item.
 * The functions are benched directly, on synthetic tables, outside `decide()`: every line item of
 * the table set is scored for every request, which is what `decide()` would pay if all of them
 * matched (it scores matched line items only).
 */
import {
  type CompiledScoreTable,
  type CompiledScoreTables,
  compileScoreTables,
} from '../../bidder/scoring/compile-score-table.ts';
import {
  createEncodedFeatures,
  encodeFeatures,
  type Score,
  type ScoringFeatures,
  scoreEncoded,
} from '../../bidder/scoring/score.ts';
import { attachScoreTables, shareScoreTables } from '../../bidder/scoring/shared-score-tables.ts';
import { type Rng, type ScoreTable, seededRng } from '../../core/index.ts';
import { fmt, markdownTable } from '../support/table.ts';
import { DEFAULT_BUDGET, type LoopBudget, msPerRun, nsPerCall } from '../support/time-loop.ts';

/** Line items (one table each). */
const LINE_ITEMS = [10, 1_000, 10_000] as const;
/** Distinct segment ids the tables know. */
const VOCABULARIES = [50, 500] as const;
/** Share of the vocabulary each table weighs: every segment, or a fifth (a sparse, L1-style fit). */
const DENSITIES = [1, 0.2] as const;
/** Segments a user carries, all from the vocabulary (the costliest case: none is dropped at encoding). */
const USER_SEGMENTS = 20;
/** Distinct users cycled through, so no single request's branches are learnt. */
const USERS = 64;

/** `dp3:seg-0042`-like ids: data-provider namespace plus segment id, as `userFeatures` builds them. */
function segmentId(i: number): string {
  return `dp${i % 7}:seg-${i.toString().padStart(4, '0')}`;
}

/** `k` distinct integers from [0, n), in random order. */
function sample(rng: Rng, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
}

function weight(rng: Rng): number {
  return Math.round((rng.next() * 2 - 1) * 1e4) / 1e4;
}

function tables(lineItems: number, vocabulary: number, density: number, rng: Rng): ScoreTable[] {
  const perTable = Math.round(vocabulary * density);
  const out: ScoreTable[] = [];
  for (let t = 0; t < lineItems; t++) {
    const segments: Record<string, number> = {};
    for (const i of sample(rng, vocabulary, perTable)) segments[segmentId(i)] = weight(rng);
    const deviceType: Record<string, number> = {};
    for (const d of ['1', '2', '3', '4', '5', '6', '7']) deviceType[d] = weight(rng);
    const hour: Record<string, number> = {};
    for (let h = 0; h < 24; h++) hour[String(h)] = weight(rng);
    out.push({
      id: `st-${t}`,
      lineItemId: `li-${t}`,
      version: 1,
      ctr: {
        bias: -4 + weight(rng),
        segments,
        context: { deviceType, inventoryType: { site: weight(rng), app: weight(rng) }, hour },
      },
    });
  }
  return out;
}

function users(vocabulary: number, rng: Rng): ScoringFeatures[] {
  return Array.from({ length: USERS }, (_, u) => ({
    segments: sample(rng, vocabulary, Math.min(USER_SEGMENTS, vocabulary)).map((i) => ({ id: segmentId(i) })),
    deviceType: 1 + (u % 7),
    inventoryType: u % 3 === 0 ? ('app' as const) : ('site' as const),
    hour: u % 24,
  }));
}

// Results land here so the JIT cannot prove the measured calls useless.
let blackhole = 0;

/** Runs the scoring micro-benchmarks and returns their markdown section. */
export function runScoringBench(budget: LoopBudget = DEFAULT_BUDGET): string {
  const rows: string[][] = [];
  for (const vocabulary of VOCABULARIES) {
    for (const density of DENSITIES) {
      for (const lineItems of LINE_ITEMS) {
        const rng = seededRng(lineItems * 31 + vocabulary);
        const input = tables(lineItems, vocabulary, density, rng);
        // The first (cold) compile is not measured; at 10,000 × 500 weights one compile takes seconds,
        // so the largest sets are timed once, the others 5 times (median).
        let last: CompiledScoreTables | undefined;
        const compileMs = msPerRun(
          () => {
            last = compileScoreTables(input);
          },
          lineItems >= 10_000 ? 1 : 5,
        );
        const compiled = last!;
        const list: CompiledScoreTable[] = [...compiled.byLineItem.values()];
        const shared = attachScoreTables(shareScoreTables(compiled));
        const sharedList: CompiledScoreTable[] = [...shared.byLineItem.values()];
        const people = users(vocabulary, rng);
        const scratch = createEncodedFeatures(compiled.vocabulary);
        const sharedScratch = createEncodedFeatures(shared.vocabulary);
        const out: Score = { pctr: 0, pcvr: undefined };
        let u = 0;
        const encodeNs = nsPerCall(() => {
          blackhole += encodeFeatures(compiled.vocabulary, people[u++ % USERS]!, scratch).count;
        }, budget);
        const perRequest = (
          vocab: typeof compiled.vocabulary,
          ts: CompiledScoreTable[],
          enc: typeof scratch,
        ) =>
          nsPerCall(() => {
            const f = encodeFeatures(vocab, people[u++ % USERS]!, enc);
            let sum = 0;
            for (let i = 0; i < ts.length; i++) sum += scoreEncoded(ts[i]!, f, out).pctr;
            blackhole += sum;
          }, budget);
        const requestNs = perRequest(compiled.vocabulary, list, scratch);
        const sharedNs = perRequest(shared.vocabulary, sharedList, sharedScratch);
        rows.push([
          fmt(vocabulary),
          fmt(Math.round(vocabulary * density)),
          fmt(lineItems),
          fmt(compileMs, 2),
          fmt(encodeNs),
          fmt(requestNs),
          fmt((requestNs - encodeNs) / lineItems),
          fmt(sharedNs),
          `${fmt(sharedNs / requestNs, 2)}×`,
        ]);
        process.stderr.write(
          `scoring: vocabulary ${vocabulary}, density ${density}, ${lineItems} line items done\n`,
        );
      }
    }
  }
  process.stderr.write(`scoring: done (checksum ${Math.round(blackhole) % 1000})\n`);
  return [
    '### Scoring: `encodeFeatures` + `scoreEncoded` per request',
    '',
    `Synthetic score tables, one per line item, pCTR model only (binary segments, device-type, inventory-type and ` +
      `hour weights); users carry ${USER_SEGMENTS} segments, all from the vocabulary, ${USERS} users cycled. Per request: ` +
      'one `encodeFeatures`, then `scoreEncoded` for *every* line item (benched directly, not through `decide()`, ' +
      'which scores matched line items only). "per line item" = (request − encode) / line items. "shared" = the ' +
      'same tables copied to SharedArrayBuffers and re-attached (`shareScoreTables`/`attachScoreTables`, what workers ' +
      `use). Median of ~20 ms batches over ${budget.measureMs} ms after ${budget.warmupMs} ms warm-up; compile is the ` +
      'median build time.',
    '',
    markdownTable(
      [
        'vocabulary',
        'weights/table',
        'line items',
        'compileScoreTables ms',
        'encode ns/req',
        'score ns/req',
        'ns per line item',
        'shared ns/req',
        'shared/plain',
      ],
      rows,
    ),
  ].join('\n');
}
