/**
 * Child process of sink-crash.test.ts: opens a sink on DATA_DIR, awaits `emitDurable` for COUNT
 * billing events, prints `DURABLE <count>` and then idles until the parent kill -9s it.
 * Usage: node --import tsx tests/clickhouse/durable-emitter.ts <dataDir> <clickhouseUrl> <database> <count>
 */
import { connectServerClickHouse } from '../../reporting/clickhouse/server-clickhouse.ts';
import { ClickHouseEventSink } from '../../reporting/sink/clickhouse-event-sink.ts';

const [dataDir, url, database, countText] = process.argv.slice(2);
const count = Number(countText);
const ch = await connectServerClickHouse({ url: url!, database: database! });
const sink = await ClickHouseEventSink.open({
  ch,
  dataDir: dataDir!,
  flushIntervalMs: 60_000,
  // The parent leaves the table missing so nothing reaches ClickHouse: never give up on a batch.
  retry: { initialMs: 50, maxMs: 200, rejectAfterAttempts: Number.MAX_SAFE_INTEGER },
});
const T0 = Date.UTC(2026, 10, 22, 12);
const pending: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  pending.push(
    sink.emitDurable({
      type: 'billing',
      ts: T0 + i,
      bidId: `d${i}`,
      impId: '1',
      lineItemId: 'li',
      campaignId: 'c',
      creativeId: 'cr',
      clearingMicros: 1_000_000,
      lossCode: undefined,
    }),
  );
  // Several group commits, not one.
  if (i % 50 === 49) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
process.stdout.write(`DURABLE ${count}\n`);
// Keep emitting ordinary events until killed, so the kill lands mid-stream.
setInterval(() => {
  for (let i = 0; i < 100; i++) {
    sink.emit({ type: 'nobid', ts: T0, requestId: `r${Math.random()}`, reason: 'NO_MATCH' });
  }
}, 1);
