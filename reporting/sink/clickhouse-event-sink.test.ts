import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorFrom, type OutbidError } from '../../core/index.ts';
import type { ClickHouse } from '../clickhouse/clickhouse.ts';
import { openEmbeddedClickHouse } from '../clickhouse/embedded-clickhouse.ts';
import { ReportingErrors } from '../errors.ts';
import type { OutbidEvent } from '../event-sink.ts';
import { migrate } from '../migrations/migrate.ts';
import { ClickHouseEventSink, type ClickHouseEventSinkOptions } from './clickhouse-event-sink.ts';
import { EVENT_TSV_HEADER, toEventRow, toEventTsv } from './event-row.ts';
import { nodeSpoolIo, Spool } from './spool.ts';

const T0 = Date.UTC(2026, 10, 22, 12);
const clock = { now: () => T0, monotonic: () => 0 };

function billing(i: number): OutbidEvent {
  return {
    type: 'billing',
    ts: T0 + i,
    bidId: `b${i}`,
    impId: '1',
    lineItemId: 'li',
    campaignId: 'c',
    creativeId: 'cr',
    clearingMicros: 2_000_000,
    lossCode: undefined,
  };
}

/** The real engine behind a switch: inserts fail while `down`, and wait while a gate is set. */
function switchable(ch: ClickHouse) {
  const state: { down: boolean; gate: Promise<void> | undefined } = { down: false, gate: undefined };
  const wrapped: ClickHouse = {
    ...ch,
    async insertPayload(table, payload, format) {
      await state.gate;
      if (state.down) throw errorFrom(ReportingErrors.CH_INSERT, 'switched off');
      return ch.insertPayload(table, payload, format);
    },
  };
  return { ch: wrapped, state };
}

describe('ClickHouseEventSink (embedded engine)', () => {
  let dir = '';
  let ch: ClickHouse;
  let sinks: ClickHouseEventSink[] = [];
  let errors: OutbidError[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbid-sink-'));
    ch = await openEmbeddedClickHouse({ dataDir: join(dir, 'clickhouse') });
    await migrate(ch, { clock });
    errors = [];
    sinks = [];
  });
  afterEach(async () => {
    for (const s of sinks) await s.close();
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (options: Partial<ClickHouseEventSinkOptions> = {}) => {
    const sink = await ClickHouseEventSink.open({
      ch,
      dataDir: dir,
      batchRows: 100,
      flushIntervalMs: 20,
      retry: { initialMs: 5, maxMs: 20 },
      onError: (e) => errors.push(e),
      ...options,
    });
    sinks.push(sink);
    return sink;
  };

  // Deduplicated reads: raw count() depends on when the engine merged the parts (001_events.sql).
  const counts = async () => {
    const [r] = await ch.query<{ ids: number; spend: number }>(
      `SELECT count() AS ids, sum(spend) AS spend
       FROM (SELECT event_id, argMin(spend_micros, ts_ms) AS spend FROM events GROUP BY event_id)`,
    );
    return r!;
  };

  const spoolSegments = () => readdirSync(join(dir, 'spool')).filter((n) => n.endsWith('.log'));

  it('delivers every event in batches by rows and by time; a repeated notice has one id', async () => {
    const sink = await open();
    for (let i = 0; i < 250; i++) sink.emit(billing(i));
    for (let i = 0; i < 50; i++) sink.emit(billing(i));
    await sink.whenDelivered();
    expect(await counts()).toEqual({ ids: 250, spend: 250 * 2_000 });
    expect(sink.stats()).toMatchObject({ emitted: 300, spooled: 300, delivered: 300, pendingBatches: 0 });
    await sink.close();
    expect(spoolSegments()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('resolves emitDurable once the event is fsync’d in the spool, before ClickHouse acknowledged it, group-committed', async () => {
    const { ch: gated, state } = switchable(ch);
    let open_!: () => void;
    state.gate = new Promise((resolve) => {
      open_ = resolve;
    });
    const sink = await open({ ch: gated, flushIntervalMs: 60_000 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => sink.emitDurable(billing(i))));
    expect(sink.stats()).toMatchObject({ spooled: 5, spooledBatches: 1, delivered: 0 });
    const segment = readFileSync(join(dir, 'spool', spoolSegments()[0]!), 'utf8');
    for (const i of [1, 2, 3, 4, 5]) expect(segment).toContain(`\nbilling:b${i}\tbilling\t`);
    expect((await counts()).ids).toBe(0);
    open_();
    await sink.whenDelivered();
    expect(await counts()).toEqual({ ids: 5, spend: 5 * 2_000 });
  });

  it('keeps spooling while ClickHouse is down and delivers in order, exactly once, when it is back', async () => {
    const { ch: flaky, state } = switchable(ch);
    state.down = true;
    const sink = await open({ ch: flaky });
    for (let i = 0; i < 500; i++) sink.emit(billing(i));
    await sink.flush();
    expect(sink.stats()).toMatchObject({ spooled: 500, delivered: 0 });
    expect(sink.stats().pendingBatches).toBeGreaterThan(0);
    expect(errors.map((e) => e.code)).toContain('SINK_DELIVERY');
    state.down = false;
    await sink.whenDelivered();
    expect(await counts()).toEqual({ ids: 500, spend: 500 * 2_000 });
    // In order and once: nothing was replayed twice.
    expect(sink.stats()).toMatchObject({ delivered: 500, pendingBatches: 0 });
  });

  it('replays what a closed sink left unacknowledged when a new sink opens on the same DATA_DIR', async () => {
    const { ch: flaky, state } = switchable(ch);
    state.down = true;
    const first = await open({ ch: flaky });
    for (let i = 0; i < 300; i++) first.emit(billing(i));
    await first.close();
    expect(spoolSegments().length).toBe(1);
    const second = await open();
    await second.whenDelivered();
    expect(await counts()).toEqual({ ids: 300, spend: 300 * 2_000 });
    expect(second.stats().delivered).toBe(300);
    await second.close();
    expect(spoolSegments()).toEqual([]);
  });

  it('on a full disk records durable events straight in ClickHouse and reports SINK_SPOOL_WRITE', async () => {
    const io = {
      ...nodeSpoolIo,
      async write() {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    const sink = await open({ io, flushIntervalMs: 60_000 });
    await sink.emitDurable(billing(1));
    expect((await counts()).ids).toBe(1);
    for (let i = 2; i <= 20; i++) sink.emit(billing(i));
    await sink.whenDelivered();
    expect(await counts()).toEqual({ ids: 20, spend: 20 * 2_000 });
    expect(errors.map((e) => e.code)).toContain('SINK_SPOOL_WRITE');
    expect(sink.stats().spoolWriteErrors).toBeGreaterThan(0);
  });

  it('replays a spool of both formats in order: JSONEachRow from earlier versions, TabSeparated with its header', async () => {
    const json = (from: number, to: number) => {
      let text = '';
      for (let i = from; i <= to; i++) text += `${JSON.stringify(toEventRow(billing(i)))}\n`;
      return Buffer.from(text);
    };
    const tsv = (from: number, to: number) => {
      let text = EVENT_TSV_HEADER;
      for (let i = from; i <= to; i++) text += toEventTsv(billing(i));
      return Buffer.from(text);
    };
    const { spool } = await Spool.open(join(dir, 'spool'));
    for (const payload of [json(1, 2), json(3, 3), tsv(4, 6), tsv(7, 7), json(8, 9), tsv(1, 1)]) {
      await spool.append(payload);
    }
    await spool.close();
    const sink = await open();
    await sink.whenDelivered();
    // billing:b1 is in the spool twice (a replay): counted once.
    expect(await counts()).toEqual({ ids: 9, spend: 9 * 2_000 });
    expect(sink.stats()).toMatchObject({ delivered: 10, deliveryErrors: 0, pendingBatches: 0 });
    expect(spoolSegments()).toEqual([]);
  });

  it('quarantines a batch ClickHouse keeps rejecting (SINK_REJECTED) and delivers the rest', async () => {
    const { spool } = await Spool.open(join(dir, 'spool'));
    await spool.append(Buffer.from('{"event_id": not json}\n'));
    await spool.append(
      Buffer.from(`${JSON.stringify({ event_id: 'ok', type: 'bid', ts: 1, ts_ms: 1000 })}\n`),
    );
    await spool.close();
    const sink = await open({ retry: { initialMs: 1, maxMs: 2, rejectAfterAttempts: 2 } });
    await sink.whenDelivered();
    expect(await ch.query('SELECT event_id FROM events')).toEqual([{ event_id: 'ok' }]);
    expect(sink.stats().rejectedBatches).toBe(1);
    expect(errors.map((e) => e.code)).toContain('SINK_REJECTED');
    expect(readdirSync(join(dir, 'spool', 'quarantine'))).toEqual(['seg-0000000000000001.log.0.rejected']);
  });

  it('never throws from emit: drops beyond the memory limit, and after close, counted and reported', async () => {
    const sink = await open({ maxBufferedEvents: 10, batchRows: 1_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 15; i++) sink.emit(billing(i));
    expect(sink.stats()).toMatchObject({ emitted: 10, droppedOverloaded: 5, bufferedEvents: 10 });
    expect(errors.map((e) => e.code)).toEqual(['SINK_OVERLOADED']);
    await sink.close();
    expect(() => sink.emit(billing(99))).not.toThrow();
    expect(sink.stats().droppedClosed).toBe(1);
    await expect(sink.emitDurable(billing(100))).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    expect(existsSync(join(dir, 'spool'))).toBe(true);
    expect((await counts()).ids).toBe(10);
  });
});
