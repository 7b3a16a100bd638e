import { mkdirSync } from 'node:fs';
import type { Session } from 'chdb';
import { errorFrom } from '../../core/index.ts';
import { ReportingErrors } from '../errors.ts';
import { bindClientSide, hasPlaceholders, nativeParams } from './bind-params.ts';
import { type ClickHouse, type InsertFormat, JSON_EACH_ROW, type QueryParams } from './clickhouse.ts';

/** Where and how the embedded engine opens. */
export interface EmbeddedClickHouseOptions {
  /** The engine's data directory, e.g. `<DATA_DIR>/clickhouse`; created when missing. */
  dataDir: string;
  /** Database for unqualified table names (default `outbid`). */
  database?: string;
  /**
   * `native` (default) uses chDB's own `{name:Type}` binding; `client` renders literals with the
   * escaper the 18.16 server path needs, so the contract suite can check it on a modern engine too.
   */
  binding?: 'native' | 'client';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Qualifies a bare table name with the database; names come from our code, never from input. */
export function qualify(database: string, table: string): string {
  if (table.includes('.')) return table;
  if (!IDENTIFIER.test(table)) {
    throw errorFrom(ReportingErrors.CH_BAD_PARAM, `table name ${JSON.stringify(table)} is not an identifier`);
  }
  return `${database}.${table}`;
}

/**
 * The checked column list of a TabSeparated insert (undefined for JSONEachRow). Names reach the
 * INSERT statement's text, and a spool file could have been edited: identifiers only.
 */
export function insertColumns(format: InsertFormat): readonly string[] | undefined {
  if (format.format === 'JSONEachRow') return undefined;
  if (format.columns.length === 0) {
    throw errorFrom(ReportingErrors.CH_BAD_PARAM, 'a TabSeparated insert needs its column list');
  }
  for (const column of format.columns) {
    if (!IDENTIFIER.test(column)) {
      throw errorFrom(
        ReportingErrors.CH_BAD_PARAM,
        `column name ${JSON.stringify(column)} is not an identifier`,
      );
    }
  }
  return format.columns;
}

/**
 * chDB in this process. libchdb holds one data directory per process, so open one handle per
 * process (a second open closes the first's connection). Every call here is async: chdb 3.x runs
 * queries and inserts on a libuv thread, so the event loop keeps serving while a batch is written
 * (bench/reporting/clickhouse-sink.bench.ts measures ingest through it).
 */
export async function openEmbeddedClickHouse(options: EmbeddedClickHouseOptions): Promise<ClickHouse> {
  const database = options.database ?? 'outbid';
  if (!IDENTIFIER.test(database)) {
    throw errorFrom(
      ReportingErrors.CH_CONNECT,
      `database name ${JSON.stringify(database)} is not an identifier`,
    );
  }
  let session: Session;
  try {
    // Loaded on first open, not at import: libchdb costs ~60 ms and ~160 MB RSS to load, and every
    // process that imports reporting/ (bidder tests, the server without chDB) would pay it.
    const chdb = await import('chdb');
    mkdirSync(options.dataDir, { recursive: true });
    session = new chdb.Session(options.dataDir, {
      connectionArgs: ['--output_format_json_quote_64bit_integers=0'],
    });
  } catch (err) {
    throw errorFrom(ReportingErrors.CH_CONNECT, `cannot open chDB at ${options.dataDir}`, err);
  }
  const clientBinding = options.binding === 'client';
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw errorFrom(ReportingErrors.CH_CLOSED, 'embedded ClickHouse is closed');
  };
  const run = async (sql: string, params: QueryParams | undefined, format: string): Promise<string> => {
    ensureOpen();
    // Checked before the engine sees anything, so a bad value is CH_BAD_PARAM, not CH_QUERY.
    let text = sql;
    let bound: ReturnType<typeof nativeParams> | undefined;
    if (params !== undefined || hasPlaceholders(sql)) {
      if (clientBinding) text = bindClientSide(sql, params);
      else bound = nativeParams(sql, params);
    }
    try {
      const result =
        bound === undefined
          ? await session.queryAsync(text, { format })
          : await session.queryBindAsync(text, bound, { format });
      return result.text();
    } catch (err) {
      throw errorFrom(ReportingErrors.CH_QUERY, `chDB query failed: ${(err as Error).message}`, err);
    }
  };
  const insertPayload = async (
    table: string,
    payload: Buffer | string | readonly Buffer[],
    format: InsertFormat = JSON_EACH_ROW,
  ): Promise<void> => {
    ensureOpen();
    const target = qualify(database, table);
    const columns = insertColumns(format);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
      // The native insert takes one buffer.
      payload = payload.length === 1 ? payload[0]! : Buffer.concat(payload as Buffer[]);
    }
    if (payload.length === 0) return;
    try {
      await session.insert(
        columns === undefined
          ? { table: target, values: payload, format: 'JSONEachRow' }
          : { table: target, values: payload, format: 'TabSeparated', columns },
      );
    } catch (err) {
      throw errorFrom(
        ReportingErrors.CH_INSERT,
        `chDB insert into ${target} failed: ${(err as Error).message}`,
        err,
      );
    }
  };
  try {
    await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${database}`, { format: 'CSV' });
    // The session keeps its current database across statements, like a server session.
    await session.queryAsync(`USE ${database}`, { format: 'CSV' });
  } catch (err) {
    session.close();
    throw errorFrom(ReportingErrors.CH_CONNECT, `cannot create database ${database} in chDB`, err);
  }
  const version = (await session.queryAsync('SELECT version()', { format: 'TSV' })).text().trim();
  return {
    driver: 'embedded',
    database,
    version,
    async exec(sql, params) {
      await run(sql, params, 'CSV');
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      let payload = '';
      for (const row of rows) payload += `${JSON.stringify(row)}\n`;
      await insertPayload(table, payload);
    },
    insertPayload,
    async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
      const text = await run(sql, params, 'JSON');
      return (JSON.parse(text) as { data: T[] }).data;
    },
    async close() {
      if (closed) return;
      closed = true;
      session.close();
    },
  };
}
