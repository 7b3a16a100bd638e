import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations, type MigrationFile, planMigrations } from './migrate.ts';

const file = (version: number, name: string, sql: string): MigrationFile => ({
  version,
  name,
  checksum: 'x',
  sql,
});

describe('loadMigrations', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('orders the shipped NNN_name.sql files and checksums their bytes', () => {
    const files = loadMigrations();
    expect(files.map((f) => [f.version, f.name])).toEqual([
      [1, 'events'],
      [2, 'events_hourly_live'],
      [3, 'events_hourly'],
      [4, 'events_user_key'],
      [5, 'attributions'],
      [6, 'events_daily'],
      [7, 'nobids'],
    ]);
    for (const f of files) expect(f.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a badly named file and a repeated version with CH_MIGRATION_INVALID', () => {
    dir = mkdtempSync(join(tmpdir(), 'outbid-mig-'));
    writeFileSync(join(dir, '1_short.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(expect.objectContaining({ code: 'CH_MIGRATION_INVALID' }));
    rmSync(join(dir, '1_short.sql'));
    writeFileSync(join(dir, '002_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '002_b.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(expect.objectContaining({ code: 'CH_MIGRATION_INVALID' }));
  });
});

describe('planMigrations', () => {
  it('runs the files as written on a single node, comments dropped, split on statement ends', () => {
    const plan = planMigrations(
      [
        file(
          1,
          'a',
          '-- why\nCREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = MergeTree ORDER BY x;\n\nSELECT 1;\n',
        ),
      ],
      { database: 'db' },
    );
    expect(plan[1]).toEqual({
      version: 1,
      statements: ['CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = MergeTree ORDER BY x', 'SELECT 1'],
    });
  });

  it('generates ON CLUSTER, Replicated*MergeTree, Distributed and local-table views for a cluster', () => {
    const plan = planMigrations(loadMigrations(), { cluster: 'prod', database: 'outbid' });
    const all = plan.flatMap((p) => p.statements);
    expect(all.filter((s) => s.startsWith('CREATE TABLE')).map((s) => s.split('\n')[0])).toEqual([
      'CREATE TABLE IF NOT EXISTS schema_migrations_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER prod AS schema_migrations_local',
      'CREATE TABLE IF NOT EXISTS events_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS events ON CLUSTER prod AS events_local',
      'CREATE TABLE IF NOT EXISTS events_hourly_live_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS events_hourly_live ON CLUSTER prod AS events_hourly_live_local',
      'CREATE TABLE IF NOT EXISTS events_hourly_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS events_hourly ON CLUSTER prod AS events_hourly_local',
      'CREATE TABLE IF NOT EXISTS attributions_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS attributions ON CLUSTER prod AS attributions_local',
      'CREATE TABLE IF NOT EXISTS events_daily_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS events_daily ON CLUSTER prod AS events_daily_local',
      'CREATE TABLE IF NOT EXISTS nobids_hourly_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS nobids_hourly ON CLUSTER prod AS nobids_hourly_local',
      'CREATE TABLE IF NOT EXISTS nobids_daily_local ON CLUSTER prod',
      'CREATE TABLE IF NOT EXISTS nobids_daily ON CLUSTER prod AS nobids_daily_local',
    ]);
    // Every version of a rollup group must land on one shard for FINAL to keep only the newest.
    expect(plan[6]!.statements[1]).toBe(
      'CREATE TABLE IF NOT EXISTS events_daily ON CLUSTER prod AS events_daily_local\n' +
        'ENGINE = Distributed(prod, outbid, events_daily_local, cityHash64(day, campaign_id, line_item_id, creative_id, segment, exchange))',
    );
    expect(plan[7]!.statements.filter((s) => s.includes('Distributed'))).toEqual([
      'CREATE TABLE IF NOT EXISTS nobids_hourly ON CLUSTER prod AS nobids_hourly_local\n' +
        'ENGINE = Distributed(prod, outbid, nobids_hourly_local, cityHash64(hour, reason, exchange))',
      'CREATE TABLE IF NOT EXISTS nobids_daily ON CLUSTER prod AS nobids_daily_local\n' +
        'ENGINE = Distributed(prod, outbid, nobids_daily_local, cityHash64(day, reason, exchange))',
    ]);
    expect(plan[7]!.statements[2]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/outbid/nobids_daily_local', '{replica}', version)",
    );
    // A column added to a clustered table goes on the local and the Distributed table.
    expect(plan[4]!.statements).toEqual([
      'ALTER TABLE events_local ON CLUSTER prod ADD COLUMN IF NOT EXISTS user_key String',
      'ALTER TABLE events ON CLUSTER prod ADD COLUMN IF NOT EXISTS user_key String',
      'ALTER TABLE events_local ON CLUSTER prod ADD COLUMN IF NOT EXISTS conversion_id String',
      'ALTER TABLE events ON CLUSTER prod ADD COLUMN IF NOT EXISTS conversion_id String',
    ]);
    const events = plan[1]!.statements;
    expect(events[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/outbid/events_local', '{replica}')\nPARTITION BY toYYYYMM(ts)\nORDER BY event_id",
    );
    // Copies of one event must meet on one shard to be deduplicated.
    expect(events[1]).toBe(
      'CREATE TABLE IF NOT EXISTS events ON CLUSTER prod AS events_local\n' +
        'ENGINE = Distributed(prod, outbid, events_local, sipHash64(event_id))',
    );
    expect(plan[3]!.statements[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/outbid/events_hourly_local', '{replica}', version)",
    );
    const view = plan[2]!.statements[2]!;
    expect(view.split('\n')[0]).toBe(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_live_mv ON CLUSTER prod TO events_hourly_live_local AS',
    );
    expect(view).toContain('\nFROM events_local\n');
  });

  it('refuses to cluster a statement it cannot rewrite (CH_MIGRATION_INVALID)', () => {
    expect(() =>
      planMigrations([file(1, 'alter', 'ALTER TABLE events ADD COLUMN x UInt8;')], {
        cluster: 'c',
        database: 'd',
      }),
    ).toThrow(expect.objectContaining({ code: 'CH_MIGRATION_INVALID' }));
  });
});
