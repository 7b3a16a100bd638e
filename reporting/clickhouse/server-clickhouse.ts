import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { errorFrom } from '../../core/index.ts';
import { ReportingErrors } from '../errors.ts';
import { bindClientSide, hasPlaceholders, nativeParams } from './bind-params.ts';
import { type ClickHouse, type InsertFormat, JSON_EACH_ROW, type QueryParams } from './clickhouse.ts';
import { insertColumns, qualify } from './embedded-clickhouse.ts';

/** Connection settings of a ClickHouse server (`CLICKHOUSE_URL`, `CLICKHOUSE_USER`, …). */
export interface ServerClickHouseOptions {
  /** HTTP interface, e.g. `http://127.0.0.1:8123`. */
  url: string;
  username?: string;
  password?: string;
  /** Database for unqualified table names (default `outbid`); created at connect when missing. */
  database?: string;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Force client-side binding even when the server has query parameters (tests). */
  binding?: 'auto' | 'client';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

type ClientModule = typeof import('@clickhouse/client');

function makeClient(
  lib: ClientModule,
  options: ServerClickHouseOptions,
  database: string | undefined,
): ClickHouseClient {
  return lib.createClient({
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    ...(database === undefined ? {} : { database }),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    clickhouse_settings: SETTINGS,
    // Errors reach the caller as CH_* codes; the client's own console logging would duplicate them.
    log: { level: lib.ClickHouseLogLevel.OFF },
  });
}

/**
 * Server-side `{name:Type}` parameters arrived after 18.16 (which answers "Unknown setting
 * param_p"). Probing beats parsing version strings: forks and backports report odd versions.
 */
async function probeParameters(client: ClickHouseClient): Promise<boolean> {
  try {
    const rs = await client.query({ query: 'SELECT {p:UInt8} AS p', query_params: { p: 1 }, format: 'JSON' });
    await rs.json();
    return true;
  } catch {
    return false;
  }
}

/** Connects to a ClickHouse server over HTTP, creating the database when missing. */
export async function connectServerClickHouse(options: ServerClickHouseOptions): Promise<ClickHouse> {
  const database = options.database ?? 'outbid';
  if (!IDENTIFIER.test(database)) {
    throw errorFrom(
      ReportingErrors.CH_CONNECT,
      `database name ${JSON.stringify(database)} is not an identifier`,
    );
  }
  let version: string;
  let nativeBinding: boolean;
  // Loaded on first connect, like chDB: processes that never talk to a server skip its ~35 ms import.
  const lib = await import('@clickhouse/client');
  const bootstrap = makeClient(lib, options, undefined);
  try {
    const rs = await bootstrap.query({ query: 'SELECT version() AS v', format: 'JSON' });
    version = ((await rs.json()) as { data: { v: string }[] }).data[0]?.v ?? 'unknown';
    nativeBinding = options.binding !== 'client' && (await probeParameters(bootstrap));
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  } catch (err) {
    throw errorFrom(ReportingErrors.CH_CONNECT, `cannot reach ClickHouse at ${options.url}`, err);
  } finally {
    await bootstrap.close();
  }
  const client = makeClient(lib, options, database);
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw errorFrom(ReportingErrors.CH_CLOSED, 'ClickHouse client is closed');
  };
  const prepare = (sql: string, params: QueryParams | undefined) => {
    if (params === undefined && !hasPlaceholders(sql)) return { query: sql };
    if (nativeBinding) return { query: sql, query_params: nativeParams(sql, params) };
    return { query: bindClientSide(sql, params) };
  };
  const insertStream = async (table: string, values: Readable, format: InsertFormat): Promise<void> => {
    ensureOpen();
    const target = qualify(database, table);
    const columns = insertColumns(format);
    const query =
      columns === undefined
        ? `INSERT INTO ${target} FORMAT JSONEachRow`
        : `INSERT INTO ${target} (${columns.join(', ')}) FORMAT TabSeparated`;
    try {
      const result = await client.exec({ query, values });
      // The socket returns to the pool only once the (empty) response body is consumed.
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.once('end', resolve).once('error', reject);
      });
    } catch (err) {
      throw errorFrom(
        ReportingErrors.CH_INSERT,
        `insert into ${target} failed: ${(err as Error).message}`,
        err,
      );
    }
  };
  return {
    driver: 'server',
    database,
    version,
    async exec(sql, params) {
      ensureOpen();
      const prepared = prepare(sql, params);
      try {
        await client.command(prepared);
      } catch (err) {
        throw errorFrom(
          ReportingErrors.CH_QUERY,
          `ClickHouse statement failed: ${(err as Error).message}`,
          err,
        );
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      let payload = '';
      for (const row of rows) payload += `${JSON.stringify(row)}\n`;
      await insertStream(table, Readable.from([Buffer.from(payload)]), JSON_EACH_ROW);
    },
    async insertPayload(table, payload, format = JSON_EACH_ROW) {
      const parts =
        typeof payload === 'string' ? [Buffer.from(payload)] : Buffer.isBuffer(payload) ? [payload] : payload;
      if (parts.every((p) => p.length === 0)) return;
      // Streamed part by part: a coalesced group is never copied into one buffer on the event loop.
      await insertStream(table, Readable.from(parts), format);
    },
    async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
      ensureOpen();
      const prepared = prepare(sql, params);
      try {
        const rs = await client.query({ ...prepared, format: 'JSON' });
        return ((await rs.json()) as { data: T[] }).data;
      } catch (err) {
        throw errorFrom(ReportingErrors.CH_QUERY, `ClickHouse query failed: ${(err as Error).message}`, err);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
