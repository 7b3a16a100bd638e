import { errorFrom, type OutbidError } from '../core/index.ts';
import type { ClickHouse } from './clickhouse/clickhouse.ts';
import { ReportingErrors } from './errors.ts';

/** Settings of `reconnectingClickHouse`. */
export interface ReconnectingOptions {
  /** Opens a handle (connects, probes the version, creates the database). */
  connect: () => Promise<ClickHouse>;
  /** Runs once on every new handle before it is used (the migrations). */
  onConnect?: (ch: ClickHouse) => Promise<void>;
  database: string;
  /** Wait between background connection attempts while the server is unreachable (default 5 s). */
  retryMs?: number;
  /** Every failed attempt (CH_CONNECT), for the log. */
  onError?: (err: OutbidError) => void;
}

/**
 * A server handle that does not need the server at start: `outbid serve` must bid and spool while
 * ClickHouse is down (ARCHITECTURE "Failure policy"), including when it was down when serve
 * started. Connects (and migrates) in the background until it succeeds; until then every call
 * rejects with CH_CONNECT, so the sink keeps its batches spooled and retries them, and reports
 * answer REPORT_UNAVAILABLE. Once connected it is the server handle, which survives server
 * restarts by itself (each call is its own HTTP request).
 */
export function reconnectingClickHouse(o: ReconnectingOptions): ClickHouse & { connected(): boolean } {
  let current: ClickHouse | undefined;
  let attempt: Promise<ClickHouse> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const retryMs = o.retryMs ?? 5_000;

  const get = (): Promise<ClickHouse> => {
    if (closed) return Promise.reject(errorFrom(ReportingErrors.CH_CLOSED, 'ClickHouse handle is closed'));
    if (current !== undefined) return Promise.resolve(current);
    attempt ??= (async () => {
      const ch = await o.connect();
      try {
        await o.onConnect?.(ch);
      } catch (err) {
        await ch.close();
        throw err;
      }
      if (closed) {
        await ch.close();
        throw errorFrom(ReportingErrors.CH_CLOSED, 'ClickHouse handle is closed');
      }
      current = ch;
      return ch;
    })().catch((err: unknown) => {
      attempt = undefined;
      const e =
        (err as OutbidError).code === undefined
          ? errorFrom(ReportingErrors.CH_CONNECT, `ClickHouse not ready: ${(err as Error).message}`, err)
          : (err as OutbidError);
      try {
        o.onError?.(e);
      } catch {
        // the log callback must not break reconnection
      }
      throw e;
    });
    return attempt;
  };

  const background = () => {
    if (closed || current !== undefined) return;
    get().catch(() => {
      timer = setTimeout(background, retryMs);
      timer.unref();
    });
  };
  background();

  return {
    driver: 'server',
    database: o.database,
    get version() {
      return current?.version ?? 'not connected';
    },
    connected: () => current !== undefined,
    async exec(sql, params) {
      return (await get()).exec(sql, params);
    },
    async insert(table, rows) {
      return (await get()).insert(table, rows);
    },
    async insertPayload(table, payload, format) {
      return (await get()).insertPayload(table, payload, format);
    },
    async query<T>(sql: string, params?: Parameters<ClickHouse['query']>[1]): Promise<T[]> {
      return (await get()).query<T>(sql, params);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await attempt?.catch(() => undefined);
      await current?.close();
    },
  };
}
