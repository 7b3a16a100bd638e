import { describe, expect, it } from 'vitest';
import { bindClientSide, nativeParams, quoteString } from './bind-params.ts';

describe('quoteString', () => {
  it('escapes backslash, quote and control characters, and nothing else', () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString("\\'")).toBe("'\\\\\\''");
    expect(quoteString('\n\r\t\0\b\f')).toBe("'\\n\\r\\t\\0\\b\\f'");
    expect(quoteString('{x:String} ; -- /* ü')).toBe("'{x:String} ; -- /* ü'");
  });
});

describe('bindClientSide', () => {
  it('renders typed literals', () => {
    expect(
      bindClientSide(
        'SELECT {s:String}, {n:Int64}, {u:UInt64}, {f:Float64}, {d:Date}, {t:DateTime}, {a:Array(String)}, {e:Array(String)}',
        {
          s: "o'k",
          n: -5,
          u: 18_446_744_073_709_551_615n,
          f: 0.1,
          d: new Date(Date.UTC(2026, 0, 2, 23)),
          t: new Date(1_700_000_000_999),
          a: ['x', "y'"],
          e: [],
        },
      ),
    ).toBe(
      "SELECT 'o\\'k', toInt64('-5'), toUInt64('18446744073709551615'), toFloat64('0.1'), toDate('2026-01-02'), " +
        "toDateTime(1700000000), ['x', 'y\\''], emptyArrayString()",
    );
  });

  it('expands each placeholder once: a value that looks like a placeholder stays a string', () => {
    expect(bindClientSide('SELECT {a:String}, {b:String}', { a: '{b:String}', b: 'x' })).toBe(
      "SELECT '{b:String}', 'x'",
    );
  });

  it('leaves braces without a type alone (replication macros)', () => {
    expect(bindClientSide("SELECT '{shard}', {n:UInt8}", { n: 1 })).toBe("SELECT '{shard}', toUInt8('1')");
  });

  it('rejects out-of-range, wrongly typed, missing and unsupported parameters with CH_BAD_PARAM', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['{n:UInt8}', { n: 256 }],
      ['{n:Int8}', { n: -129 }],
      ['{n:UInt64}', { n: '18446744073709551616' }],
      ['{n:Int64}', { n: Number.MAX_SAFE_INTEGER + 1 }],
      ['{n:Int64}', { n: '1 OR 1=1' }],
      ['{f:Float64}', { f: Number.POSITIVE_INFINITY }],
      ['{s:String}', { s: ['a'] }],
      ['{s:String}', {}],
      ['{d:Date}', { d: '2026-1-1' }],
      ['{t:DateTime}', { t: 1.5 }],
      ['{t:DateTime}', { t: new Date(Number.NaN) }],
      ['{a:Array(String)}', { a: 'a' }],
      ['{x:Map(String, String)}', { x: 'a' }],
    ];
    for (const [sql, params] of bad) {
      expect(() => bindClientSide(sql, params as never), sql).toThrow(
        expect.objectContaining({ code: 'CH_BAD_PARAM' }),
      );
      expect(() => nativeParams(sql, params as never), sql).toThrow(
        expect.objectContaining({ code: 'CH_BAD_PARAM' }),
      );
    }
  });
});

describe('nativeParams', () => {
  it('normalises values for the engine: integers as decimal text, DateTime as epoch seconds', () => {
    expect(
      nativeParams('{n:UInt64} {t:DateTime} {d:Date} {s:String} {a:Array(String)}', {
        n: 5,
        t: new Date(1_700_000_000_500),
        d: '2026-02-03',
        s: 'x',
        a: ['y'],
      }),
    ).toEqual({ n: '5', t: 1_700_000_000, d: '2026-02-03', s: 'x', a: ['y'] });
  });
});
