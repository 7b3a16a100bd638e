import { errorFrom } from '../../core/index.ts';
import { ReportingErrors } from '../errors.ts';
import type { QueryParam, QueryParams } from './clickhouse.ts';

/** The `{name:Type}` types a statement may bind: the ones this project's SQL needs, each with a strict check. */
export const BINDABLE_TYPES = [
  'String',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'Float64',
  'Date',
  'DateTime',
  'Array(String)',
] as const;

/** One of `BINDABLE_TYPES`. */
export type BindableType = (typeof BINDABLE_TYPES)[number];

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g;

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65_535n],
  UInt32: [0n, 4_294_967_295n],
  UInt64: [0n, 18_446_744_073_709_551_615n],
  Int8: [-128n, 127n],
  Int16: [-32_768n, 32_767n],
  Int32: [-2_147_483_648n, 2_147_483_647n],
  Int64: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
};

function bad(name: string, why: string): never {
  throw errorFrom(ReportingErrors.CH_BAD_PARAM, `query parameter ${name}: ${why}`);
}

/**
 * Escapes a string into a single-quoted ClickHouse literal. Backslash and quote are escaped, and
 * so are the control characters ClickHouse's lexer knows, so the literal never spans a line in logs.
 * Every other character (including `{`, `}`, `;`, `--`, NUL as `\0`) is inert inside the quotes.
 */
export function quoteString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case "'":
        out += "\\'";
        break;
      case '\0':
        out += '\\0';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      default:
        out += ch;
    }
  }
  return `${out}'`;
}

function integerText(name: string, type: string, value: QueryParam): string {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'boolean') n = value ? 1n : 0n;
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
  else return bad(name, `expected an integer for ${type}`);
  const [min, max] = INT_RANGES[type]!;
  if (n < min || n > max) bad(name, `${n} is out of range for ${type}`);
  return n.toString();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function dateText(name: string, value: QueryParam): string {
  if (value instanceof Date && Number.isFinite(value.getTime())) {
    return `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return bad(name, 'expected a Date or YYYY-MM-DD for Date');
}

/** DateTime values bind as epoch seconds, so neither engine's time zone can shift them. */
function epochSeconds(name: string, value: QueryParam): number {
  if (value instanceof Date && Number.isFinite(value.getTime())) return Math.floor(value.getTime() / 1000);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 4_294_967_295) {
    return value;
  }
  return bad(name, 'expected a Date or integer epoch seconds (0 … 2^32 - 1) for DateTime');
}

/** A checked value in the form chDB's native binding accepts. */
function nativeValue(name: string, type: BindableType, value: QueryParam): string | number | string[] {
  switch (type) {
    case 'String':
      if (typeof value !== 'string') bad(name, 'expected a string for String');
      return value;
    case 'Float64':
      if (typeof value !== 'number' || !Number.isFinite(value))
        bad(name, 'expected a finite number for Float64');
      return value;
    case 'Date':
      return dateText(name, value);
    case 'DateTime':
      return epochSeconds(name, value);
    case 'Array(String)':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        bad(name, 'expected an array of strings for Array(String)');
      }
      return [...(value as readonly string[])];
    default:
      return integerText(name, type, value);
  }
}

function literal(name: string, type: BindableType, value: QueryParam): string {
  const v = nativeValue(name, type, value);
  switch (type) {
    case 'String':
      return quoteString(v as string);
    case 'Float64':
      // toFloat64 of a string keeps the exact shortest round-trip text JS produced.
      return `toFloat64(${quoteString(String(v))})`;
    case 'Date':
      return `toDate(${quoteString(v as string)})`;
    case 'DateTime':
      return `toDateTime(${v as number})`;
    case 'Array(String)': {
      const items = v as string[];
      // `[]` is Array(Nothing) on 18.16, which has() and IN reject.
      return items.length === 0 ? 'emptyArrayString()' : `[${items.map(quoteString).join(', ')}]`;
    }
    default:
      // The function form, not a bare literal: `-5` would parse as negate(5) with another type.
      return `to${type}(${quoteString(v as string)})`;
  }
}

function placeholderType(name: string, rawType: string): BindableType {
  const type = rawType.replace(/\s+/g, '');
  if (!(BINDABLE_TYPES as readonly string[]).includes(type)) bad(name, `unsupported type ${rawType}`);
  return type as BindableType;
}

function paramOf(params: QueryParams, name: string): QueryParam {
  if (!Object.hasOwn(params, name) || params[name] === undefined) bad(name, 'missing');
  return params[name]!;
}

/**
 * Replaces every `{name:Type}` placeholder with a checked, escaped literal (for servers without
 * query parameters, like 18.16). One pass: a value that itself contains `{x:String}` is never
 * expanded again.
 */
export function bindClientSide(sql: string, params: QueryParams = {}): string {
  return sql.replace(PLACEHOLDER, (_m, name: string, rawType: string) =>
    literal(name, placeholderType(name, rawType), paramOf(params, name)),
  );
}

/**
 * Checks every placeholder's value and returns them in the form the engine's own binding takes,
 * so both binding paths reject the same bad input with CH_BAD_PARAM.
 */
export function nativeParams(
  sql: string,
  params: QueryParams = {},
): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  for (const m of sql.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    out[name] = nativeValue(name, placeholderType(name, m[2]!), paramOf(params, name));
  }
  return out;
}

/** Whether the statement has any `{name:Type}` placeholder. */
export function hasPlaceholders(sql: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  const found = PLACEHOLDER.test(sql);
  PLACEHOLDER.lastIndex = 0;
  return found;
}
