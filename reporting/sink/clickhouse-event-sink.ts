import { join } from 'node:path';
import { errorFrom, OutbidError } from '../../core/index.ts';
import { type ClickHouse, type InsertFormat, JSON_EACH_ROW } from '../clickhouse/clickhouse.ts';
import { ReportingErrors } from '../errors.ts';
import type { EventSink } from '../event-sink.ts';
import { EVENT_TSV_HEADER, toEventTsv } from './event-row.ts';
import type { ReportingEvent } from './reporting-event.ts';
import { Spool, type SpoolIo, type SpoolRecord } from './spool.ts';

/** Settings of `ClickHouseEventSink.open`. */
export interface ClickHouseEventSinkOptions {
  /** Where events go; a server handle survives server restarts (each insert is its own request). */
  ch: ClickHouse;
  /** The spool lives in `<dataDir>/spool`. */
  dataDir: string;
  /** Target table (default `events`, 001_events.sql). */
  table?: string;
  /** A batch is written once it holds this many events (default 10,000). */
  batchRows?: number;
  /** …or once its first event is this old (default 1,000 ms). */
  flushIntervalMs?: number;
  /** Group-commit window of `emitDurable`: durable events arriving within it share one fsync (default 2 ms). */
  durableDelayMs?: number;
  /**
   * Spooled batches waiting for delivery go in one insert up to this size (default 8 MiB ≈ 30,000
   * events; chDB needs them copied into one buffer: 32 MiB took 18 ms of event loop).
   */
  maxInsertBytes?: number;
  /** Spool segment size (default 64 MiB). */
  segmentBytes?: number;
  /** Delivery backoff: doubles from `initialMs` (default 100) up to `maxMs` (default 5,000). */
  retry?: { initialMs?: number; maxMs?: number; rejectAfterAttempts?: number };
  /**
   * Events held in memory because the spool cannot be written (disk full); beyond this, new events
   * are dropped and counted (default 1,000,000 ≈ a few hundred MB).
   */
  maxBufferedEvents?: number;
  /** Every SINK_* problem, as it happens; the sink never throws them at emitters. */
  onError?: (err: OutbidError) => void;
  /** File operations of the spool (tests inject ENOSPC). */
  io?: SpoolIo;
}

/** Counters of a sink's life, for /metrics and tests. */
export interface SinkStats {
  emitted: number;
  /** Events written and fsync'd to the spool. */
  spooled: number;
  /** Spool writes (one fsync each): durable events in one group commit share one. */
  spooledBatches: number;
  /** Events acknowledged by ClickHouse (replays included). */
  delivered: number;
  droppedOverloaded: number;
  droppedClosed: number;
  spoolWriteErrors: number;
  deliveryErrors: number;
  corruptRecords: number;
  truncatedRecords: number;
  /** Batches ClickHouse kept rejecting while reachable, moved to quarantine. */
  rejectedBatches: number;
  /** Spooled batches not yet acknowledged. */
  pendingBatches: number;
  /** Events in memory not yet in the spool. */
  bufferedEvents: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

interface Unspooled {
  /** Serialized lazily, in slices, on the spool chain. */
  events: ReportingEvent[] | undefined;
  payload: Buffer | undefined;
  rows: number;
  waiters: Waiter[];
}

/** Events serialized per event-loop turn: a 10,000-event batch in one go blocked the loop for 30–180 ms on a loaded 2-core VM (bench/reporting/clickhouse-sink.bench.ts). */
const SERIALIZE_SLICE = 1_000;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Queued {
  record: SpoolRecord;
  /** Known for batches spooled by this process; counted from the payload for replayed ones. */
  rows: number | undefined;
  attempts: number;
}

function countLines(payload: Buffer): number {
  let n = 0;
  for (let i = payload.indexOf(10); i !== -1; i = payload.indexOf(10, i + 1)) n++;
  return n;
}

/** A spooled payload split into its insert format and its rows. */
interface Decoded {
  format: InsertFormat;
  /** The header line (TabSeparated), compared to group payloads into one insert. */
  header: string;
  rows: Buffer;
}

const OPEN_BRACE = 0x7b;
const TSV_FORMATS = new Map<string, InsertFormat>();

/**
 * Spooled payloads are TabSeparated after a header line of column names (this version), or
 * JSONEachRow (spools written before it: every line starts with `{`, a column name never does).
 */
function decodePayload(payload: Buffer): Decoded {
  if (payload.length === 0 || payload[0] === OPEN_BRACE) {
    return { format: JSON_EACH_ROW, header: '', rows: payload };
  }
  const eol = payload.indexOf(10);
  const header = payload.toString('utf8', 0, eol === -1 ? payload.length : eol);
  let format = TSV_FORMATS.get(header);
  if (format === undefined) {
    format = { format: 'TabSeparated', columns: header.split('\t') };
    TSV_FORMATS.set(header, format);
  }
  return { format, header, rows: eol === -1 ? payload.subarray(payload.length) : payload.subarray(eol + 1) };
}

/**
 * The durable event sink: `emit` appends to an in-memory batch (bench/reporting/clickhouse-sink.bench.ts:
 * the cost of an array push); batches are serialized, spooled and fsync'd off the hot path, then
 * delivered to ClickHouse in spool order, retried with backoff while it is down or slow, and
 * replayed after a restart. The spool is at-least-once; the events table dedups by event_id.
 */
export class ClickHouseEventSink implements EventSink {
  readonly #ch: ClickHouse;
  readonly #spool: Spool;
  readonly #table: string;
  readonly #batchRows: number;
  readonly #flushIntervalMs: number;
  readonly #durableDelayMs: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #rejectAfter: number;
  readonly #maxBuffered: number;
  readonly #maxInsertBytes: number;
  readonly #onError: ((err: OutbidError) => void) | undefined;

  #batch: ReportingEvent[] = [];
  #batchWaiters: Waiter[] = [];
  readonly #unspooled: Unspooled[] = [];
  #unspooledRows = 0;
  readonly #queue: Queued[] = [];
  #intervalTimer: NodeJS.Timeout | undefined;
  #soonTimer: NodeJS.Timeout | undefined;
  #spoolRetryTimer: NodeJS.Timeout | undefined;
  #spoolBackoffMs: number;
  #chain: Promise<void> = Promise.resolve();
  #delivering: Promise<void> | undefined;
  #sleep: { wake: () => void } | undefined;
  #idleWaiters: (() => void)[] = [];
  #failWaiters: (() => void)[] = [];
  #closed = false;
  #overloaded = false;
  readonly #stats: SinkStats = {
    emitted: 0,
    spooled: 0,
    spooledBatches: 0,
    delivered: 0,
    droppedOverloaded: 0,
    droppedClosed: 0,
    spoolWriteErrors: 0,
    deliveryErrors: 0,
    corruptRecords: 0,
    truncatedRecords: 0,
    rejectedBatches: 0,
    pendingBatches: 0,
    bufferedEvents: 0,
  };

  private constructor(options: ClickHouseEventSinkOptions, spool: Spool) {
    this.#ch = options.ch;
    this.#spool = spool;
    this.#table = options.table ?? 'events';
    this.#batchRows = options.batchRows ?? 10_000;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.#durableDelayMs = options.durableDelayMs ?? 2;
    this.#retryInitialMs = options.retry?.initialMs ?? 100;
    this.#retryMaxMs = options.retry?.maxMs ?? 5_000;
    this.#rejectAfter = options.retry?.rejectAfterAttempts ?? 10;
    this.#maxBuffered = options.maxBufferedEvents ?? 1_000_000;
    this.#maxInsertBytes = options.maxInsertBytes ?? 8 * 1024 * 1024;
    this.#onError = options.onError;
    this.#spoolBackoffMs = this.#retryInitialMs;
  }

  /**
   * Opens the spool under `<dataDir>/spool` and starts replaying what an earlier process left
   * unacknowledged (torn tails skipped, corrupt records quarantined, all reported through onError).
   */
  static async open(options: ClickHouseEventSinkOptions): Promise<ClickHouseEventSink> {
    const errors: OutbidError[] = [];
    const { spool, recovered, report } = await Spool.open(join(options.dataDir, 'spool'), {
      ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
      ...(options.io === undefined ? {} : { io: options.io }),
      onError: (err) => errors.push(err),
    });
    const sink = new ClickHouseEventSink(options, spool);
    sink.#stats.corruptRecords = report.corrupt;
    sink.#stats.truncatedRecords = report.truncated;
    for (const err of errors) sink.#report(err);
    for (const record of recovered) sink.#queue.push({ record, rows: undefined, attempts: 0 });
    sink.#kickDelivery();
    return sink;
  }

  /** Queues an event; never throws, never waits (bid path). */
  emit(event: ReportingEvent): void {
    if (this.#closed) {
      this.#stats.droppedClosed++;
      this.#report(errorFrom(ReportingErrors.SINK_CLOSED, `event ${event.type} emitted after close`));
      return;
    }
    if (this.#batch.length + this.#unspooledRows >= this.#maxBuffered) {
      this.#stats.droppedOverloaded++;
      if (!this.#overloaded) {
        this.#overloaded = true;
        this.#report(
          errorFrom(ReportingErrors.SINK_OVERLOADED, 'in-memory backlog full; dropping new events'),
        );
      }
      return;
    }
    this.#batch.push(event);
    this.#stats.emitted++;
    if (this.#batch.length >= this.#batchRows) this.#flushSoon(0);
    else if (this.#intervalTimer === undefined) {
      this.#intervalTimer = setTimeout(() => this.#startFlush(), this.#flushIntervalMs);
      this.#intervalTimer.unref();
    }
  }

  /**
   * Queues an event and resolves once it is durable: fsync'd in the spool, or acknowledged by
   * ClickHouse when the spool cannot be written. Durable events arriving within `durableDelayMs`
   * share one write and one fsync. Rejects only if the sink closes before that.
   */
  emitDurable(event: ReportingEvent): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        errorFrom(ReportingErrors.SINK_CLOSED, `event ${event.type} emitted after close`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#batch.push(event);
      this.#stats.emitted++;
      this.#batchWaiters.push({ resolve, reject });
      this.#flushSoon(this.#batch.length >= this.#batchRows ? 0 : this.#durableDelayMs);
    });
  }

  /**
   * Spools everything emitted so far, then waits until ClickHouse acknowledged it all, or until a
   * delivery attempt fails (the events are then safe in the spool and retried in the background).
   */
  async flush(): Promise<void> {
    await this.#startFlush();
    if (this.#isIdle()) return;
    await new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#failWaiters.push(resolve);
    });
  }

  /** Resolves once everything emitted so far is acknowledged by ClickHouse, however long that takes. */
  async whenDelivered(): Promise<void> {
    await this.#startFlush();
    if (this.#isIdle()) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Counters (a copy). */
  stats(): SinkStats {
    return {
      ...this.#stats,
      pendingBatches: this.#queue.length,
      bufferedEvents: this.#batch.length + this.#unspooledRows,
    };
  }

  /**
   * Spools what is buffered, tries one last delivery round, and stops. What ClickHouse did not
   * acknowledge stays in the spool for the next process. Durable events that could be neither
   * spooled nor delivered are rejected with SINK_CLOSED.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    for (const timer of [this.#intervalTimer, this.#soonTimer, this.#spoolRetryTimer]) clearTimeout(timer);
    this.#sleep?.wake();
    await this.#delivering;
    await this.#chain;
    for (const item of this.#unspooled) {
      for (const w of item.waiters) {
        w.reject(errorFrom(ReportingErrors.SINK_CLOSED, 'sink closed before the event was durable'));
      }
    }
    await this.#spool.close();
  }

  #report(err: OutbidError): void {
    try {
      this.#onError?.(err);
    } catch {
      // A throwing callback must not break the sink (emit never throws).
    }
  }

  #flushSoon(delayMs: number): void {
    if (this.#soonTimer !== undefined) return;
    this.#soonTimer = setTimeout(() => {
      this.#soonTimer = undefined;
      void this.#startFlush();
    }, delayMs);
  }

  #startFlush(): Promise<void> {
    clearTimeout(this.#intervalTimer);
    this.#intervalTimer = undefined;
    if (this.#batch.length > 0) {
      const events = this.#batch;
      const waiters = this.#batchWaiters;
      this.#batch = [];
      this.#batchWaiters = [];
      this.#unspooled.push({ events, payload: undefined, rows: events.length, waiters });
      this.#unspooledRows += events.length;
    }
    this.#chain = this.#chain.then(() => this.#spoolPending());
    return this.#chain;
  }

  /** Writes buffered batches to the spool in order; see the class comment for what happens on failure. */
  async #spoolPending(): Promise<void> {
    while (this.#unspooled.length > 0) {
      const item = this.#unspooled[0]!;
      if (item.payload === undefined) {
        // One Buffer per slice: Buffer.from of a whole batch's 2.6 MB string took 6–8 ms.
        const parts: Buffer[] = [];
        const events = item.events!;
        for (let start = 0; start < events.length; start += SERIALIZE_SLICE) {
          if (start > 0) await turn();
          let text = start === 0 ? EVENT_TSV_HEADER : '';
          const end = Math.min(events.length, start + SERIALIZE_SLICE);
          for (let i = start; i < end; i++) text += toEventTsv(events[i]!);
          parts.push(Buffer.from(text));
        }
        item.payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        item.events = undefined;
      }
      const payload = item.payload;
      try {
        const record = await this.#spool.append(payload);
        this.#queue.push({ record, rows: item.rows, attempts: 0 });
        this.#stats.spooled += item.rows;
        this.#stats.spooledBatches++;
        this.#doneUnspooled(item);
        this.#spoolBackoffMs = this.#retryInitialMs;
        this.#kickDelivery();
      } catch (err) {
        this.#stats.spoolWriteErrors++;
        this.#report(
          err instanceof OutbidError ? err : errorFrom(ReportingErrors.SINK_SPOOL_WRITE, String(err), err),
        );
        // Disk full: an acknowledged insert is as durable as an fsync, so try ClickHouse directly.
        try {
          const decoded = decodePayload(payload);
          await this.#ch.insertPayload(this.#table, decoded.rows, decoded.format);
          this.#stats.delivered += item.rows;
          this.#doneUnspooled(item);
          continue;
        } catch (deliveryErr) {
          this.#stats.deliveryErrors++;
          this.#report(
            errorFrom(
              ReportingErrors.SINK_DELIVERY,
              'spool unwritable and ClickHouse unreachable',
              deliveryErr,
            ),
          );
        }
        if (!this.#closed && this.#spoolRetryTimer === undefined) {
          this.#spoolRetryTimer = setTimeout(() => {
            this.#spoolRetryTimer = undefined;
            void this.#startFlush();
          }, this.#spoolBackoffMs);
          this.#spoolRetryTimer.unref();
          this.#spoolBackoffMs = Math.min(this.#spoolBackoffMs * 2, this.#retryMaxMs);
        }
        for (const resolve of this.#failWaiters.splice(0)) resolve();
        return;
      }
    }
    this.#checkIdle();
  }

  #doneUnspooled(item: Unspooled): void {
    this.#unspooled.shift();
    this.#unspooledRows -= item.rows;
    if (this.#unspooledRows < this.#maxBuffered) this.#overloaded = false;
    for (const w of item.waiters) w.resolve();
  }

  #isIdle(): boolean {
    return this.#batch.length === 0 && this.#unspooled.length === 0 && this.#queue.length === 0;
  }

  #checkIdle(): void {
    if (this.#isIdle()) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #kickDelivery(): void {
    if (this.#delivering !== undefined || this.#closed) return;
    this.#delivering = this.#deliverLoop().finally(() => {
      this.#delivering = undefined;
      this.#checkIdle();
      // A batch spooled while the loop was finishing must not wait for the next one.
      if (this.#queue.length > 0 && !this.#closed) this.#kickDelivery();
    });
  }

  async #deliverLoop(): Promise<void> {
    let backoffMs = this.#retryInitialMs;
    while (this.#queue.length > 0 && !this.#closed) {
      const item = this.#queue[0]!;
      // Consecutive batches go in one insert (chDB took 10,000-row inserts at 50–160k rows/s and
      // 100,000-row ones at 82–264k); after a failure the head goes alone, to find a poison batch.
      let group = item.attempts === 0 ? this.#headGroup() : [item];
      let payload: Buffer[] | undefined;
      try {
        const parts: Buffer[] = [];
        for (const queued of group) parts.push(await this.#spool.read(queued.record));
        payload = parts;
        // One insert has one format and column list: a group stops where they change (a spool
        // replayed across an upgrade); the rest goes in the next round.
        const head = decodePayload(parts[0]!);
        const rows: Buffer[] = [head.rows];
        for (let i = 1; i < parts.length; i++) {
          const next = decodePayload(parts[i]!);
          if (next.header !== head.header) break;
          rows.push(next.rows);
        }
        group = group.slice(0, rows.length);
        await this.#ch.insertPayload(this.#table, rows, head.format);
        this.#queue.splice(0, group.length);
        for (let i = 0; i < group.length; i++)
          this.#stats.delivered += group[i]!.rows ?? countLines(rows[i]!);
        for (const queued of group) await this.#spool.ack(queued.record);
        backoffMs = this.#retryInitialMs;
        this.#checkIdle();
        continue;
      } catch (err) {
        this.#stats.deliveryErrors++;
        item.attempts++;
        this.#report(
          errorFrom(ReportingErrors.SINK_DELIVERY, `delivery failed: ${(err as Error).message}`, err),
        );
        for (const resolve of this.#failWaiters.splice(0)) resolve();
        if (
          payload !== undefined &&
          group.length === 1 &&
          item.attempts >= this.#rejectAfter &&
          (await this.#reachable())
        ) {
          // ClickHouse answers but keeps refusing this batch: it would block the queue forever.
          const aside = await this.#spool.quarantine(item.record, payload[0]!);
          this.#queue.shift();
          this.#stats.rejectedBatches++;
          this.#report(
            errorFrom(
              ReportingErrors.SINK_REJECTED,
              `batch rejected ${item.attempts} times; moved to ${aside}`,
            ),
          );
          continue;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        this.#sleep = {
          wake: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
      this.#sleep = undefined;
      backoffMs = Math.min(backoffMs * 2, this.#retryMaxMs);
    }
  }

  /** The queue's head batches that were never tried, up to `maxInsertBytes` together. */
  #headGroup(): Queued[] {
    const group: Queued[] = [this.#queue[0]!];
    let bytes = group[0]!.record.length;
    for (let i = 1; i < this.#queue.length; i++) {
      const next = this.#queue[i]!;
      if (next.attempts > 0 || bytes + next.record.length > this.#maxInsertBytes) break;
      group.push(next);
      bytes += next.record.length;
    }
    return group;
  }

  async #reachable(): Promise<boolean> {
    try {
      await this.#ch.query('SELECT 1 AS ok');
      return true;
    } catch {
      return false;
    }
  }
}
