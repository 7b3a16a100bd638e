import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { ManualClock, type OutbidError } from '../../core/index.ts';
import { type ClickHouse, RefreshScheduler } from '../../reporting/index.ts';

describe('ClickHouse and attribution configuration', () => {
  it('defaults to the embedded engine, 7 d / 1 d windows and a 60 s refresh', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      eventSink: 'clickhouse',
      clickhouseUrl: undefined,
      clickhouseUser: 'default',
      clickhouseDatabase: 'outbid',
      rollupRefreshSec: 60,
      rollupLookbackHours: 3,
      attribution: { defaults: { clickSec: 604_800, viewSec: 86_400 }, campaigns: {} },
    });
  });

  it('reads per-campaign windows, a missing field taking the default', () => {
    const c = loadConfig({
      ATTRIBUTION_CLICK_WINDOW_SEC: '3600',
      ATTRIBUTION_WINDOWS: '{"cmp-1":{"viewSec":60},"cmp-2":{"clickSec":7200,"viewSec":0}}',
    });
    expect(c.attribution).toEqual({
      defaults: { clickSec: 3_600, viewSec: 86_400 },
      campaigns: { 'cmp-1': { clickSec: 3_600, viewSec: 60 }, 'cmp-2': { clickSec: 7_200, viewSec: 0 } },
    });
  });

  it('lists every bad ClickHouse or attribution setting at once, hiding the password', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({
        CLICKHOUSE_URL: 'tcp://ch:9000',
        CLICKHOUSE_DATABASE: 'x; DROP',
        CLICKHOUSE_PASSWORD: 'hunter2',
        EVENT_SINK: 'kafka',
        ATTRIBUTION_WINDOWS: '{"c":{"clickSec":-1,"other":1}}',
      });
    } catch (err) {
      problems = (err as { problems: readonly string[] }).problems;
    }
    expect(problems.some((p) => p.startsWith('CLICKHOUSE_URL'))).toBe(true);
    expect(problems.some((p) => p.startsWith('CLICKHOUSE_DATABASE'))).toBe(true);
    expect(problems.some((p) => p.startsWith('EVENT_SINK'))).toBe(true);
    expect(problems.filter((p) => p.startsWith('ATTRIBUTION_WINDOWS.c'))).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

describe('RefreshScheduler', () => {
  /** A ClickHouse that records statements, failing while `down`. */
  function recording() {
    const state = { down: false, statements: [] as string[], queries: 0 };
    const ch = {
      driver: 'embedded',
      database: 'outbid',
      version: 'test',
      async exec(sql: string) {
        if (state.down) throw new Error('connection refused');
        state.statements.push(sql.split('\n')[0]!);
      },
      // backfillRollups' checks: the rollups are all filled already.
      async query() {
        if (state.down) throw new Error('connection refused');
        state.queries++;
        return [{ daily: 1, nobids: 1, nobids_daily: 1 }];
      },
    } as unknown as ClickHouse;
    return { ch, state };
  }

  it('runs attribution before the rollups (hourly before daily), one refresh at a time, and reports failures without stopping', async () => {
    const { ch, state } = recording();
    const errors: OutbidError[] = [];
    const s = new RefreshScheduler({
      ch,
      clock: new ManualClock(Date.UTC(2026, 10, 22, 12, 30)),
      attribution: { defaults: { clickSec: 60, viewSec: 60 }, campaigns: {} },
      intervalMs: 10,
      lookbackHours: 2,
      onError: (e) => errors.push(e),
    });
    await Promise.all([s.runOnce(), s.runOnce()]);
    expect(s.runs).toBe(1);
    expect(state.statements).toEqual([
      'INSERT INTO attributions',
      'INSERT INTO events_hourly',
      'INSERT INTO nobids_hourly',
      'INSERT INTO events_daily',
      'INSERT INTO nobids_daily',
    ]);
    state.down = true;
    await s.runOnce();
    expect(errors.map((e) => e.code)).toEqual(['CH_QUERY']);
    state.down = false;
    s.start();
    await new Promise((r) => setTimeout(r, 60));
    await s.stop();
    expect(s.runs).toBeGreaterThanOrEqual(2);
    expect(state.queries).toBe(1); // the backfill check: once per process
    const after = s.runs;
    await new Promise((r) => setTimeout(r, 30));
    expect(s.runs).toBe(after);
  });
});
