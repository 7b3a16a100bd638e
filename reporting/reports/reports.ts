import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import Type, { type TSchema } from 'typebox';
import { errorFrom } from '../../core/index.ts';
import type { ClickHouse, QueryParams } from '../clickhouse/clickhouse.ts';
import { ReportingErrors } from '../errors.ts';

/** Folder of the analyst queries (`<name>.sql`, each with a documented header). */
export const QUERIES_DIR = join(import.meta.dirname, '..', 'queries');

/** Longest range a report may cover: bounds the scan a single API call can ask for. */
const MAX_RANGE_SEC = 400 * 86_400;

const DATE_OR_TIME = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2})?Z)?$';
const ID = Type.String({ maxLength: 256 });

/** Every parameter a report may take, as it arrives in the query string. */
const PARAMS = {
  from: Type.String({ pattern: DATE_OR_TIME }),
  to: Type.String({ pattern: DATE_OR_TIME }),
  grain: Type.Enum(['hour', 'day'], { default: 'hour' }),
  dimension: Type.Enum(['campaign', 'line_item', 'creative', 'segment', 'exchange'], {
    default: 'campaign',
  }),
  campaign_id: ID,
  line_item_id: ID,
  format: Type.Enum(['json', 'csv']),
} as const;

type ParamName = keyof typeof PARAMS;
type Row = Record<string, unknown>;

/** One analyst report: a file in reporting/queries/ and the parameters it takes. */
export interface ReportDef {
  name: string;
  sql: string;
  /** Purpose, parameters and grain: the file's header comment. */
  doc: string;
  /** Output columns in order (the header's `-- columns:` line). */
  columns: string[];
  params: readonly ParamName[];
  /** Adds what 18.16's SQL cannot (no window functions): running sums, shares, comparisons. */
  post?: (rows: Row[]) => Row[];
}

/** Spend so far in each campaign's (UTC) day, per row, in row order (rows come ordered by campaign, period). */
function cumulativeSpend(rows: Row[]): Row[] {
  let key = '';
  let sum = 0;
  return rows.map((r) => {
    const k = `${String(r.campaign_id)}\u0000${String(r.period).slice(0, 10)}`;
    if (k !== key) {
      key = k;
      sum = 0;
    }
    sum += Number(r.spend_micros);
    return { ...r, cumulative_spend_micros: sum };
  });
}

function nobidShares(rows: Row[]): Row[] {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(String(r.period), (totals.get(String(r.period)) ?? 0) + Number(r.nobids));
  return rows.map((r) => ({ ...r, share: Number(r.nobids) / totals.get(String(r.period))! }));
}

/** Marks creatives whose CTR interval lies wholly below the interval of their line item's leader by CTR. */
function belowLeader(rows: Row[]): Row[] {
  const leader = new Map<string, Row>();
  for (const r of rows) {
    const cur = leader.get(String(r.line_item_id));
    if (cur === undefined || Number(r.ctr) > Number(cur.ctr)) leader.set(String(r.line_item_id), r);
  }
  return rows.map((r) => {
    const top = leader.get(String(r.line_item_id))!;
    return { ...r, ctr_below_leader: top !== r && Number(r.ctr_high) < Number(top.ctr_low) };
  });
}

const DEFS: Record<string, Pick<ReportDef, 'params' | 'post'>> = {
  delivery: {
    params: ['from', 'to', 'grain', 'campaign_id', 'line_item_id', 'format'],
    post: cumulativeSpend,
  },
  performance: { params: ['from', 'to', 'dimension', 'campaign_id', 'line_item_id', 'format'] },
  funnel: { params: ['from', 'to', 'campaign_id', 'format'] },
  nobid_reasons: { params: ['from', 'to', 'grain', 'format'], post: nobidShares },
  creative_ab: { params: ['from', 'to', 'campaign_id', 'line_item_id', 'format'], post: belowLeader },
  conversions: { params: ['from', 'to', 'campaign_id', 'format'] },
  optimizer_decisions: { params: ['from', 'to', 'campaign_id', 'format'] },
};

function loadReports(): Map<string, ReportDef> {
  const out = new Map<string, ReportDef>();
  for (const file of readdirSync(QUERIES_DIR).sort()) {
    if (!file.endsWith('.sql')) continue;
    const name = file.slice(0, -4);
    const def = DEFS[name];
    if (def === undefined)
      throw new Error(`reporting/queries/${file} has no parameter definition in reports.ts`);
    const sql = readFileSync(join(QUERIES_DIR, file), 'utf8');
    const header = sql.split('\n').filter((l) => l.startsWith('--'));
    const columnsLine = header.find((l) => l.startsWith('-- columns:'));
    if (columnsLine === undefined) throw new Error(`reporting/queries/${file} lacks a "-- columns:" line`);
    out.set(name, {
      name,
      sql,
      doc: header
        .filter((l) => l !== columnsLine)
        .map((l) => l.replace(/^--\s?/, ''))
        .join('\n'),
      columns: columnsLine
        .slice('-- columns:'.length)
        .split(',')
        .map((c) => c.trim()),
      ...def,
    });
  }
  for (const name of Object.keys(DEFS)) {
    if (!out.has(name)) throw new Error(`report ${name} has no reporting/queries/${name}.sql`);
  }
  return out;
}

/** The reports, by name, loaded once. */
export const REPORTS: ReadonlyMap<string, ReportDef> = loadReports();

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validators = new Map(
  [...REPORTS.values()].map((def) => {
    const props: Record<string, TSchema> = {};
    for (const p of def.params) props[p] = Type.Optional(PARAMS[p]);
    const schema = Type.Object(props, { additionalProperties: false });
    return [def.name, ajv.compile(schema as object)] as const;
  }),
);

function toEpochSec(text: string): number {
  return Math.floor(Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) / 1000);
}

/** A validated report call: the bound values and the requested format. */
export interface ReportRequest {
  def: ReportDef;
  params: QueryParams;
  format: 'json' | 'csv' | undefined;
}

/**
 * Validates a report's query-string parameters (unknown ones refused) and turns them into bound
 * values: `from`/`to` as DateTime (a bare date is UTC midnight; `to` is exclusive), ids as String
 * ('' = all). Throws REPORT_NOT_FOUND / REPORT_BAD_PARAMS (the message names the parameter).
 */
export function parseReportRequest(name: string, query: Readonly<Record<string, unknown>>): ReportRequest {
  const def = REPORTS.get(name);
  if (def === undefined) {
    throw errorFrom(
      ReportingErrors.REPORT_NOT_FOUND,
      `no report ${JSON.stringify(name)}; reports: ${[...REPORTS.keys()].join(', ')}`,
    );
  }
  const input: Record<string, unknown> = { ...query };
  const validate = validators.get(name)!;
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map((e) => {
      const param = e.instancePath.replace(/^\//, '') || String(e.params.additionalProperty ?? '');
      return e.keyword === 'additionalProperties'
        ? `unknown parameter ${param} (this report takes ${def.params.join(', ')})`
        : `${param}: ${e.keyword === 'enum' ? `must be one of ${(e.params.allowedValues as string[]).join(', ')}` : e.message}`;
    });
    throw errorFrom(ReportingErrors.REPORT_BAD_PARAMS, problems.join('; '));
  }
  if (typeof input.from !== 'string' || typeof input.to !== 'string')
    throw errorFrom(
      ReportingErrors.REPORT_BAD_PARAMS,
      'from and to are required (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)',
    );
  const from = toEpochSec(input.from);
  const to = toEpochSec(input.to);
  if (!Number.isFinite(from) || !Number.isFinite(to))
    throw errorFrom(ReportingErrors.REPORT_BAD_PARAMS, 'from/to: not a real date');
  if (to <= from) throw errorFrom(ReportingErrors.REPORT_BAD_PARAMS, 'to must be after from');
  if (to - from > MAX_RANGE_SEC)
    throw errorFrom(ReportingErrors.REPORT_BAD_PARAMS, 'the range from → to is longer than 400 days');
  const params: Record<string, string | number> = { from, to };
  for (const p of def.params) {
    if (p === 'from' || p === 'to' || p === 'format') continue;
    params[p] = typeof input[p] === 'string' ? (input[p] as string) : '';
  }
  return { def, params, format: input.format as 'json' | 'csv' | undefined };
}

/** Runs a validated report; every value goes to ClickHouse as a bound `{name:Type}` parameter. */
export async function runReport(ch: ClickHouse, request: ReportRequest): Promise<Row[]> {
  const rows = await ch.query<Row>(request.def.sql, request.params);
  return request.def.post ? request.def.post(rows) : rows;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header of the report's columns (also when there are no rows). */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  let out = `${columns.join(',')}\r\n`;
  for (const r of rows) out += `${columns.map((c) => csvCell(r[c])).join(',')}\r\n`;
  return out;
}
