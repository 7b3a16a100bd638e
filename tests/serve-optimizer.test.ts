import { afterEach, describe, expect, it } from 'vitest';
import { ServeProcesses } from './support/serve-process.ts';

/** The optimizer on its schedule inside a real `outbid serve` (embedded state store and ClickHouse). */

const processes = new ServeProcesses();
afterEach(() => processes.cleanup());
const KEY = 'k'.repeat(24);

describe('outbid serve with the optimizer on a schedule', () => {
  it('runs cycles, writes allocations the bidder serves, and logs each decision to /api/v1/optimizer/decisions', {
    timeout: 90_000,
  }, async () => {
    const s = await processes.start({
      DATA_DIR: processes.dataDir(),
      OUTBID_ADMIN_KEY: KEY,
      OPTIMIZER_INTERVAL_SEC: '1',
    });
    const base = `http://127.0.0.1:${s.port}`;
    type Row = { campaign: string; bandit: string; why: string; details: string };
    let rows: Row[] = [];
    const from = `${new Date(Date.now() - 3_600_000).toISOString().slice(0, 19)}Z`;
    const to = `${new Date(Date.now() + 3_600_000).toISOString().slice(0, 19)}Z`;
    for (let i = 0; i < 120 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const res = await fetch(
        `${base}/api/v1/optimizer/decisions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
        { headers: { authorization: `Bearer ${KEY}` } },
      );
      if (res.status === 200) rows = ((await res.json()) as { rows: Row[] }).rows;
    }
    // The demo's two campaigns have goals; without statistics yet, both fall back to an even split and say why.
    const campaigns = [...new Set(rows.map((r) => r.campaign))].sort();
    expect(campaigns).toEqual(['cmp-display', 'cmp-video']);
    const display = rows.find((r) => r.campaign === 'cmp-display')!;
    expect(display).toMatchObject({ bandit: 'thompson-capped', why: 'fallback' });
    const payload = JSON.parse(display.details) as { written: boolean; issues: { code: string }[] };
    expect(payload.written).toBe(true);
    expect(payload.issues.map((i) => i.code)).toContain('OPT_NO_STATS');
    expect(s.stdout()).toContain('optimizer cycle');
    // The bidder still bids under the allocation (the demo line item has its share of the budget).
    const bid = await fetch(`${base}/openrtb2/bid`, {
      method: 'POST',
      body: JSON.stringify({
        id: 'o-1',
        imp: [{ id: '1', banner: { w: 300, h: 250 } }],
        site: { domain: 'a.example' },
      }),
    });
    expect(bid.status).toBe(200);
  });
});
