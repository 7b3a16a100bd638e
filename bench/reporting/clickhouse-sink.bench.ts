/**
 * The durable ClickHouse sink: what `emit` costs on the bid path, and how fast events get from
 * `emit` into the embedded engine (chDB) through the spool, against baselines measured in the
 * same run: `MemoryEventSink.emit` for the former, chDB's own insert of the same rows as prebuilt
 * JSONEachRow (the format the sink spooled before) and TabSeparated (the format it spools now)
 * payloads (no spool, no fsync) for the latter.
 *
 * Not wired into bench/run.ts (owned elsewhere): run it alone with
 * `node --import tsx bench/reporting/clickhouse-sink.bench.ts [--quick]`. It opens chDB, which
 * holds one data directory per process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../core/index.ts';
import {
  type ClickHouse,
  ClickHouseEventSink,
  type InsertFormat,
  MemoryEventSink,
  migrate,
  type OutbidEvent,
  openEmbeddedClickHouse,
} from '../../reporting/index.ts';
import { EVENT_COLUMNS, toEventRow, toEventTsv } from '../../reporting/sink/event-row.ts';
import { fmt, markdownTable } from '../support/table.ts';

function bidEvent(n: number): OutbidEvent {
  return {
    type: 'bid',
    ts: 1_700_000_000_000 + n,
    bidId: `b-${n}`,
    requestId: 'r',
    impId: '1',
    exchange: 'default',
    lineItemId: `li-${n % 50}`,
    campaignId: `cmp-${n % 10}`,
    creativeId: 'cr',
    priceMicros: 1_500_000,
    currency: 'USD',
    dealId: undefined,
    pctr: 0.0123,
    pcvr: undefined,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * ns per emit: the median over chunks of `chunk` emits, yielding to the event loop between chunks
 * so the sink's timers flush as they would in a server (a tight synchronous loop never lets them).
 */
async function nsPerEmit(emit: (n: number) => void, ms: number, chunk = 1_000): Promise<number> {
  const samples: number[] = [];
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < chunk; i++) emit(n++);
    samples.push(Number(process.hrtime.bigint() - t0) / chunk);
    await turn();
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Emits `count` events (yielding every 1,000, like a server between requests) and waits until delivered. */
async function ingest(
  ch: ClickHouse,
  dataDir: string,
  count: number,
): Promise<{ perSec: number; loopDelay: string }> {
  const sink = await ClickHouseEventSink.open({ ch, dataDir });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  for (let n = 0; n < count; n++) {
    sink.emit(bidEvent(n));
    if (n % 1_000 === 999) await turn();
  }
  await sink.whenDelivered();
  const perSec = count / ((performance.now() - t0) / 1000);
  loop.disable();
  await sink.close();
  return { perSec, loopDelay: `${fmt(loop.max / 1e6, 1)} ms (p99 ${fmt(loop.percentile(99) / 1e6, 1)} ms)` };
}

/** Runs the ClickHouse sink benchmark and returns its markdown section. */
export async function runClickHouseSinkBench(options: { quick?: boolean } = {}): Promise<string> {
  const measureMs = options.quick ? 150 : 1_500;
  const ingestEvents = options.quick ? 20_000 : 300_000;
  const dir = mkdtempSync(join(tmpdir(), 'outbid-bench-sink-'));
  const ch = await openEmbeddedClickHouse({ dataDir: join(dir, 'clickhouse') });
  try {
    await migrate(ch, { clock: new ManualClock(0) });
    const emitRows: string[][] = [];
    const memory = new MemoryEventSink(100_000);
    await nsPerEmit((n) => memory.emit(bidEvent(n)), 200);
    const baseNs = await nsPerEmit((n) => memory.emit(bidEvent(n)), measureMs);
    emitRows.push(['MemoryEventSink (100,000, full)', fmt(baseNs), '1.0×']);
    const emitSink = await ClickHouseEventSink.open({ ch, dataDir: join(dir, 'emit') });
    await nsPerEmit((n) => emitSink.emit(bidEvent(n)), 200);
    const sinkNs = await nsPerEmit((n) => emitSink.emit(bidEvent(n)), measureMs);
    emitRows.push(['ClickHouseEventSink', fmt(sinkNs), `${fmt(sinkNs / baseNs, 1)}×`]);
    await emitSink.close();
    await ch.exec('TRUNCATE TABLE events');

    // Baselines: the engine alone, same rows, payloads built beforehand, by format and insert size.
    const formats: { name: string; format: InsertFormat; line: (n: number) => string }[] = [
      {
        name: 'JSONEachRow',
        format: { format: 'JSONEachRow' },
        line: (n) => `${JSON.stringify(toEventRow(bidEvent(n)))}\n`,
      },
      {
        name: 'TabSeparated',
        format: { format: 'TabSeparated', columns: EVENT_COLUMNS },
        line: (n) => toEventTsv(bidEvent(n)),
      },
    ];
    const rawRows: { label: string; perSec: number }[] = [];
    let t0 = 0;
    for (const { name, format, line } of formats) {
      for (const batchRows of [10_000, 100_000]) {
        const payloads: Buffer[] = [];
        for (let start = 0; start < ingestEvents; start += batchRows) {
          let text = '';
          for (let n = start; n < Math.min(ingestEvents, start + batchRows); n++) text += line(n);
          payloads.push(Buffer.from(text));
        }
        t0 = performance.now();
        for (const p of payloads) await ch.insertPayload('events', p, format);
        rawRows.push({
          label: `chDB insert of prebuilt ${name}, ${fmt(batchRows)}-row inserts`,
          perSec: ingestEvents / ((performance.now() - t0) / 1000),
        });
        await ch.exec('TRUNCATE TABLE events');
      }
    }
    const base = rawRows[0]!.perSec;

    // The sink's own ceiling: the same path with inserts acknowledged at once (nothing stored).
    const noop = { ...ch, insertPayload: async () => {} };
    const spoolOnly = await ingest(noop, join(dir, 'spool-only'), ingestEvents);
    const sinkRun = await ingest(ch, join(dir, 'ingest'), ingestEvents);
    const sinkPerSec = sinkRun.perSec;
    const [check] = await ch.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events');
    if (check?.n !== ingestEvents) throw new Error(`ingest lost events: ${check?.n} of ${ingestEvents}`);

    const ingestRows = [
      ...rawRows.map((r) => [r.label, fmt(r.perSec), `${fmt(r.perSec / base, 2)}×`, '–']),
      [
        'sink: emit → 10,000-event batches → TabSeparated spool (fsync) → chDB (spooled batches coalesced ≤ 8 MiB per insert)',
        fmt(sinkPerSec),
        `${fmt(sinkPerSec / base, 2)}×`,
        sinkRun.loopDelay,
      ],
      [
        'same, inserts acknowledged without storing (emit + serialize + spool + fsync only)',
        fmt(spoolOnly.perSec),
        `${fmt(spoolOnly.perSec / base, 2)}×`,
        spoolOnly.loopDelay,
      ],
    ];
    return [
      '### Reporting: `ClickHouseEventSink`',
      '',
      markdownTable(['emit of one bid event', 'ns/emit', 'vs memory sink'], emitRows),
      '',
      `Ingest of ${fmt(ingestEvents)} bid events into embedded chDB (events table, migrations applied):`,
      '',
      markdownTable(
        ['path', 'events/s', 'vs 10,000-row JSONEachRow inserts', 'max event-loop delay'],
        ingestRows,
      ),
    ].join('\n');
  } finally {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await runClickHouseSinkBench({ quick: process.argv.includes('--quick') })}\n`);
}
