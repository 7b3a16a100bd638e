import { readFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { BanditNameSchema, errorFrom } from '../../core/index.ts';
import { OptimizerErrors } from '../errors.ts';

const Rate = Type.Number({ minimum: 0, maximum: 1 });

/** What one creative variant truly does with one segment's users (hidden from the optimizer). */
const TruthSchema = Type.Object({
  /** Clicks per impression. */
  ctr: Rate,
  /** Conversions per click (default 0). */
  cvr: Type.Optional(Rate),
  /** Mean value of a conversion, account micros (exponentially distributed; default 0). */
  valueMicros: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** An audience segment: a share of the traffic on its own site domain, its own market, and the truth per creative. */
const SegmentSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9-]{1,40}$' }),
  /** Share of the requests (the shares are normalised). */
  share: Type.Number({ exclusiveMinimum: 0 }),
  /** The best competing bid, log-normal: median CPM in account units and the sigma of its log. */
  competitor: Type.Object({
    medianCpm: Type.Number({ exclusiveMinimum: 0 }),
    sigma: Type.Number({ minimum: 0 }),
  }),
  /** Our line item's fixed bid on this segment, CPM in account units. */
  bidCpm: Type.Number({ exclusiveMinimum: 0 }),
  /** Truth per creative variant id; every segment lists the same variants. */
  creatives: Type.Record(Type.String({ pattern: '^[a-z0-9-]{1,40}$' }), TruthSchema),
});

/** A change of the truth during the run: from `atHour` on, these creatives of this segment behave differently. */
const ChangeSchema = Type.Object({
  atHour: Type.Integer({ minimum: 0 }),
  segment: Type.String(),
  creatives: Type.Record(Type.String(), Type.Partial(TruthSchema)),
});

/** ClickHouse down from `fromHour` up to (not including) `toHour`. */
const OutageSchema = Type.Object({
  fromHour: Type.Integer({ minimum: 0 }),
  toHour: Type.Integer({ minimum: 1 }),
});

/** A market scenario for `outbid simulate` (README "Market simulator"). */
export const ScenarioSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  /** Default seed (`--seed` overrides). */
  seed: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Simulated days, starting at midnight UTC of 2026-01-05 (a Monday). */
  days: Type.Integer({ minimum: 1, maximum: 60 }),
  /** Bid requests per hour at the average hour. */
  requestsPerHour: Type.Integer({ minimum: 1, maximum: 100_000 }),
  /** 24 relative weights of the hours of the day (default flat). */
  hourlyShape: Type.Optional(Type.Array(Type.Number({ minimum: 0 }), { minItems: 24, maxItems: 24 })),
  /** `second`: the winner pays the competing bid; `first`: it pays its own bid. */
  auction: Type.Union([Type.Literal('first'), Type.Literal('second')]),
  campaign: Type.Object({
    dailyBudgetMicros: Type.Integer({ minimum: 1 }),
    goal: Type.Union([Type.Literal('clicks'), Type.Literal('conversions'), Type.Literal('value')]),
    bandit: Type.Optional(BanditNameSchema),
  }),
  /** Optimizer tuning: its period (default 1 h) and the half-life of its statistics (default 12 h). */
  optimizer: Type.Optional(
    Type.Object({
      periodHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 })),
      halfLifeHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    }),
  ),
  segments: Type.Array(SegmentSchema, { minItems: 1, maxItems: 50 }),
  changes: Type.Optional(Type.Array(ChangeSchema)),
  /**
   * Hours `[fromHour, toHour)` in which ClickHouse is unreachable: events wait in the sink's spool,
   * the refresh fails, and the optimizer's cycles fall back (OPT_STATS_UNAVAILABLE).
   */
  outages: Type.Optional(Type.Array(OutageSchema)),
});
/** A market scenario. */
export type Scenario = Static<typeof ScenarioSchema>;
/** The truth of one creative with one segment. */
export type Truth = Static<typeof TruthSchema>;

const validate = Compile(ScenarioSchema);

/** Validates a scenario, listing every problem (schema, unknown segments, variants that differ between segments). */
export function scenarioProblems(value: unknown): string[] {
  if (!validate.Check(value)) {
    return [...validate.Errors(value)].map((e) => `${e.instancePath || '/'}: ${e.message}`);
  }
  const s = value as Scenario;
  const problems: string[] = [];
  const ids = new Set<string>();
  const variants = Object.keys(s.segments[0]!.creatives).sort().join(',');
  for (const seg of s.segments) {
    if (ids.has(seg.id)) problems.push(`segment ${seg.id}: duplicate id`);
    ids.add(seg.id);
    if (Object.keys(seg.creatives).sort().join(',') !== variants)
      problems.push(`segment ${seg.id}: must list the same creatives as the first segment (${variants})`);
    if (Object.keys(seg.creatives).length === 0)
      problems.push(`segment ${seg.id}: needs at least one creative`);
  }
  for (const c of s.changes ?? []) {
    const seg = s.segments.find((x) => x.id === c.segment);
    if (seg === undefined) problems.push(`change at hour ${c.atHour}: unknown segment ${c.segment}`);
    else
      for (const cr of Object.keys(c.creatives))
        if (!(cr in seg.creatives)) problems.push(`change at hour ${c.atHour}: unknown creative ${cr}`);
    if (c.atHour >= s.days * 24) problems.push(`change at hour ${c.atHour}: after the last hour`);
  }
  for (const o of s.outages ?? []) {
    if (o.toHour <= o.fromHour) problems.push(`outage ${o.fromHour}–${o.toHour}: ends before it starts`);
  }
  return problems;
}

/** Reads and validates a scenario file; throws OPT_INVALID_INPUT listing every problem. */
export function loadScenario(path: string): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw errorFrom(OptimizerErrors.OPT_INVALID_INPUT, `scenario ${path}: ${(err as Error).message}`, err);
  }
  const problems = scenarioProblems(value);
  if (problems.length > 0) {
    throw errorFrom(OptimizerErrors.OPT_INVALID_INPUT, `scenario ${path}:\n  - ${problems.join('\n  - ')}`);
  }
  return value as Scenario;
}
