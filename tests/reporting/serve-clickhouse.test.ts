import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedClickHouse } from '../../reporting/index.ts';
import { fillNotice } from '../support/gate-data.ts';
import { ServeProcesses } from '../support/serve-process.ts';

const BANNER = (i: number) =>
  JSON.stringify({
    id: `kill-${i}`,
    imp: [{ id: '1', banner: { w: 300, h: 250 } }],
    site: { domain: 'example.com', page: 'https://example.com/a' },
  });

const processes = new ServeProcesses();
afterEach(() => processes.cleanup());

describe('outbid serve with its ClickHouse sink (a real process)', () => {
  it('keeps every acknowledged billing notice and conversion across a kill -9', async () => {
    const dir = processes.dataDir();
    // No refresh during the test: the test reads the raw events itself.
    const env = { DATA_DIR: dir, OUTBID_SECRET: 's'.repeat(32), ROLLUP_REFRESH_SEC: '0' };
    const first = await processes.start(env);
    const base = `http://127.0.0.1:${first.port}`;
    const burls: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/openrtb2/bid`, { method: 'POST', body: BANNER(i) });
      const bid = ((await res.json()) as { seatbid: { bid: { burl: string }[] }[] }).seatbid[0]!.bid[0]!;
      burls.push(new URL(fillNotice(bid.burl, 1.5)).search);
    }
    // Every 200 below was sent only after the event was fsync'd in DATA_DIR/spool.
    const acks = await Promise.all(
      burls.map((q) => fetch(`${base}/notice/billing${q}`).then((r) => r.json())),
    );
    expect(acks).toEqual(burls.map(() => ({ status: 'recorded' })));
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${base}/track/conversion?user_id=u${i}&value=2&order_id=kill-${i}`, {
        method: 'POST',
      });
      expect(r.status).toBe(200);
    }
    first.child.kill('SIGKILL');
    await first.exited;

    // The next start replays the spool into ClickHouse; a graceful stop then closes chDB.
    const again = await processes.start(env);
    await new Promise((r) => setTimeout(r, 1_500));
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    const ch = await openEmbeddedClickHouse({ dataDir: join(dir, 'clickhouse') });
    try {
      const rows = await ch.query<{ type: string; n: number; spend: number; value: number }>(
        `SELECT kind AS type, count() AS n, sum(spend) AS spend, sum(value) AS value
         FROM (SELECT event_id, argMin(type, ts_ms) AS kind, argMin(spend_micros, ts_ms) AS spend,
                      argMin(value_micros, ts_ms) AS value
               FROM events GROUP BY event_id)
         WHERE kind IN ('billing', 'conversion')
         GROUP BY kind ORDER BY kind`,
      );
      expect(rows).toEqual([
        { type: 'billing', n: 20, spend: 20 * 1_500, value: 0 },
        { type: 'conversion', n: 5, spend: 0, value: 5 * 2_000_000 },
      ]);
    } finally {
      await ch.close();
    }
  }, 60_000);
});
