/**
 * The text format of a raw insert payload: JSONEachRow (one object a line; absent keys take the
 * column default), or TabSeparated rows holding exactly `columns`, in order (the sink's spool
 * format: chDB parses it at ~1.6× the rate of the same rows as JSONEachRow, bench/README.md).
 */
export type InsertFormat =
  | { readonly format: 'JSONEachRow' }
  | { readonly format: 'TabSeparated'; readonly columns: readonly string[] };

/** The default format of `insertPayload`. */
export const JSON_EACH_ROW: InsertFormat = { format: 'JSONEachRow' };

/** A value bound to a `{name:Type}` placeholder. */
export type QueryParam = string | number | bigint | boolean | Date | readonly string[];

/** Values for the `{name:Type}` placeholders of one statement. */
export type QueryParams = Readonly<Record<string, QueryParam>>;

/**
 * One interface over the embedded engine (chDB) and a ClickHouse server. The SQL that goes
 * through it must run on both, down to Debian's clickhouse-server 18.16 (see README in this folder).
 * 64-bit integers come back as JSON numbers on both drivers (`output_format_json_quote_64bit_integers=0`):
 * exact up to 2^53 micros, i.e. $9 billion per cell.
 */
export interface ClickHouse {
  /** Which driver this is, for the rare statement that must differ per engine. */
  readonly driver: 'embedded' | 'server';
  /** The database statements run in (created at open when missing). */
  readonly database: string;
  /** The engine's version string, e.g. `18.16.1` or `26.7.2.1`. */
  readonly version: string;
  /** Runs a statement that returns no rows (DDL, INSERT … SELECT). */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /** Inserts rows as JSONEachRow; resolves once the engine acknowledged them. */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /**
   * Inserts a ready payload in `format` (default JSONEachRow), as spooled by the sink; an array is
   * one insert of the parts in order (each part ends with a newline). TabSeparated column names
   * must be identifiers (CH_BAD_PARAM otherwise: they come from spool files).
   */
  insertPayload(
    table: string,
    payload: Buffer | string | readonly Buffer[],
    format?: InsertFormat,
  ): Promise<void>;
  /** Runs a SELECT and returns its rows; values are bound to `{name:Type}` placeholders, never concatenated. */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Releases the connection or the embedded session. Idempotent. */
  close(): Promise<void>;
}
