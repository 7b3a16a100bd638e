import { afterEach, describe, expect, it } from 'vitest';
import { connectServerClickHouse } from '../../reporting/index.ts';
import { type ClickHouseServer, startClickHouse } from '../setup/services.ts';
import { fillNotice } from '../support/gate-data.ts';
import { ServeProcesses } from '../support/serve-process.ts';

const BANNER = (i: number) =>
  JSON.stringify({
    id: `down-${i}`,
    imp: [{ id: '1', banner: { w: 300, h: 250 } }],
    site: { domain: 'example.com', page: 'https://example.com/a' },
  });

const processes = new ServeProcesses();
let server: ClickHouseServer | undefined;
afterEach(async () => {
  await processes.cleanup();
  await server?.stop();
});

describe('outbid serve with CLICKHOUSE_URL (a real process and its own clickhouse-server 18.16)', () => {
  it('starts, bids and acknowledges billing while ClickHouse is down, and delivers all once it is up', async () => {
    server = await startClickHouse();
    await server.down();
    const database = `serve_down_${process.pid}`;
    const s = await processes.start({
      DATA_DIR: processes.dataDir(),
      OUTBID_SECRET: 's'.repeat(32),
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_DATABASE: database,
      ROLLUP_REFRESH_SEC: '0',
    });
    const base = `http://127.0.0.1:${s.port}`;
    const acks: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${base}/openrtb2/bid`, { method: 'POST', body: BANNER(i) });
      const bid = ((await res.json()) as { seatbid: { bid: { burl: string }[] }[] }).seatbid[0]!.bid[0]!;
      acks.push(
        await (await fetch(`${base}/notice/billing${new URL(fillNotice(bid.burl, 1.5)).search}`)).json(),
      );
    }
    expect(acks).toEqual(Array.from({ length: 10 }, () => ({ status: 'recorded' })));
    await server.restart();
    const ch = await connectServerClickHouse({ url: server.url, database });
    try {
      let billed = { n: 0, spend: 0 };
      for (let i = 0; i < 100 && billed.n < 10; i++) {
        await new Promise((r) => setTimeout(r, 300));
        const rows = await ch
          .query<{ n: number; spend: number }>(
            `SELECT count() AS n, sum(spend) AS spend FROM
               (SELECT event_id, argMin(spend_micros, ts_ms) AS spend FROM events WHERE type = 'billing' GROUP BY event_id)`,
          )
          .catch(() => [{ n: 0, spend: 0 }]); // the table appears once serve has migrated
        billed = rows[0]!;
      }
      expect(billed).toEqual({ n: 10, spend: 10 * 1_500 });
    } finally {
      await ch.close();
    }
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 60_000);
});
