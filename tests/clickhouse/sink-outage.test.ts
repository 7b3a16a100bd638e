import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type OutbidError } from '../../core/index.ts';
import type { ClickHouse } from '../../reporting/clickhouse/clickhouse.ts';
import { connectServerClickHouse } from '../../reporting/clickhouse/server-clickhouse.ts';
import { migrate } from '../../reporting/migrations/migrate.ts';
import { ClickHouseEventSink } from '../../reporting/sink/clickhouse-event-sink.ts';
import type { ReportingEvent } from '../../reporting/sink/reporting-event.ts';
import { type ClickHouseServer, startClickHouse } from '../setup/services.ts';

const T0 = Date.UTC(2026, 10, 22, 12);
const TOTAL = 30_000;

function event(i: number): ReportingEvent {
  return i % 3 === 0
    ? {
        type: 'billing',
        ts: T0 + i,
        bidId: `b${i}`,
        impId: '1',
        lineItemId: `li${i % 7}`,
        campaignId: `c${i % 2}`,
        creativeId: 'cr',
        clearingMicros: 3_000_000,
        lossCode: undefined,
      }
    : {
        type: 'impression',
        ts: T0 + i,
        bidId: `b${i}`,
        impId: '1',
        lineItemId: 'li',
        campaignId: 'c',
        creativeId: 'cr',
      };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('sink under load while a private clickhouse-server goes down and comes back', () => {
  let server: ClickHouseServer;
  let ch: ClickHouse;
  let dir = '';
  beforeAll(async () => {
    server = await startClickHouse();
    ch = await connectServerClickHouse({ url: server.url, database: 'outage', requestTimeoutMs: 5_000 });
    await migrate(ch, { clock: new ManualClock(T0) });
    dir = mkdtempSync(join(tmpdir(), 'outbid-outage-'));
  });
  afterAll(async () => {
    await ch?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses 0 and duplicates 0 events across a kill -9 and restart of ClickHouse', async () => {
    const errors: OutbidError[] = [];
    const sink = await ClickHouseEventSink.open({
      ch,
      dataDir: dir,
      batchRows: 1_000,
      flushIntervalMs: 20,
      retry: { initialMs: 20, maxMs: 200 },
      onError: (e) => errors.push(e),
    });
    const durable: Promise<void>[] = [];
    for (let i = 0; i < TOTAL; i++) {
      if (i % 1_000 === 999) durable.push(sink.emitDurable(event(i)));
      else sink.emit(event(i));
      if (i % 500 === 499) await turn();
      if (i === 10_000) await server.kill9();
      if (i === 20_000) {
        // Durable events resolve from the spool while ClickHouse is down.
        await Promise.all(durable);
        expect(sink.stats().pendingBatches).toBeGreaterThan(0);
        await server.restart();
      }
    }
    await Promise.all(durable);
    await sink.whenDelivered();
    await sink.close();

    expect(errors.map((e) => e.code)).toContain('SINK_DELIVERY');
    expect(errors.filter((e) => e.code !== 'SINK_DELIVERY')).toEqual([]);
    const [all] = await ch.query(
      `SELECT count() AS rows, uniqExact(event_id) AS ids, countIf(type = 'billing') AS billed,
              sum(spend_micros) AS spend FROM events FINAL`,
    );
    expect(all).toEqual({ rows: TOTAL, ids: TOTAL, billed: TOTAL / 3, spend: (TOTAL / 3) * 3_000 });
    const byCampaign = await ch.query(
      `SELECT campaign_id, count() AS billed FROM events FINAL WHERE type = 'billing' GROUP BY campaign_id ORDER BY campaign_id`,
    );
    expect(byCampaign).toEqual([
      { campaign_id: 'c0', billed: TOTAL / 6 },
      { campaign_id: 'c1', billed: TOTAL / 6 },
    ]);
  });
});
