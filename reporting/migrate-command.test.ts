import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { migrateCommand } from './migrate-command.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('migrateCommand', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates the embedded engine under DATA_DIR, then reports it up to date', async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbid-migrate-cmd-'));
    const first = capture();
    expect(await migrateCommand([], { DATA_DIR: dir }, first.io)).toBe(0);
    expect(first.out).toEqual([
      'applied 001_events.sql\n',
      'applied 002_events_hourly_live.sql\n',
      'applied 003_events_hourly.sql\n',
      'applied 004_events_user_key.sql\n',
      'applied 005_attributions.sql\n',
      'applied 006_events_daily.sql\n',
      'applied 007_nobids.sql\n',
      `embedded ${join(dir, 'clickhouse')} database outbid: applied 7, 0 were already applied\n`,
    ]);
    const second = capture();
    expect(await migrateCommand([], { DATA_DIR: dir }, second.io)).toBe(0);
    expect(second.out).toEqual([
      `embedded ${join(dir, 'clickhouse')} database outbid: up to date (7 migrations applied earlier)\n`,
    ]);
  });

  it('migrates the server at CLICKHOUSE_URL into CLICKHOUSE_DATABASE', async () => {
    const c = capture();
    const env = { CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: `cmd_${process.pid}` };
    expect(await migrateCommand([], env, c.io)).toBe(0);
    expect(c.out.at(-1)).toMatch(/database cmd_\d+: applied 7, 0 were already applied\n$/);
  });

  it('prints the cluster DDL with --dry-run and applies nothing', async () => {
    const c = capture();
    expect(
      await migrateCommand(
        ['--dry-run', '--cluster', 'prod'],
        { CLICKHOUSE_URL: 'http://127.0.0.1:1' },
        c.io,
      ),
    ).toBe(0);
    const text = c.out.join('');
    expect(text).toContain('CREATE TABLE IF NOT EXISTS events_local ON CLUSTER prod');
    expect(text).toContain('ENGINE = Distributed(prod, outbid, events_local, sipHash64(event_id));');
  });

  it('exits 1 with the error code when ClickHouse is unreachable, 2 on a bad argument', async () => {
    const down = capture();
    expect(await migrateCommand([], { CLICKHOUSE_URL: 'http://127.0.0.1:1' }, down.io)).toBe(1);
    expect(down.err.join('')).toContain('(CH_CONNECT)');
    const bad = capture();
    expect(await migrateCommand(['--frobnicate'], {}, bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('unknown argument --frobnicate');
  });
});
