import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import type { ClickHouse } from '../../reporting/clickhouse/clickhouse.ts';
import { connectServerClickHouse } from '../../reporting/clickhouse/server-clickhouse.ts';
import { migrate } from '../../reporting/migrations/migrate.ts';
import { ClickHouseEventSink } from '../../reporting/sink/clickhouse-event-sink.ts';

const EMITTER = join(import.meta.dirname, 'durable-emitter.ts');
const COUNT = 300;

/** Runs the emitter until it reports its durable events, then kill -9s it. */
function runAndKill(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', EMITTER, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out.trim());
      else reject(new Error(`emitter exited with ${code}: ${err}`));
    });
  });
}

describe('durable events survive kill -9 of the sink process', () => {
  let dir = '';
  let ch: ClickHouse | undefined;
  afterEach(async () => {
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a new sink on the same DATA_DIR delivers every event whose emitDurable had resolved, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbid-crash-'));
    const url = inject('clickhouseUrl');
    const database = `crash_${process.pid}`;
    ch = await connectServerClickHouse({ url, database });
    // No tables yet: the child's inserts all fail, so its events exist only in its spool.
    expect(await runAndKill([dir, url, database, String(COUNT)])).toBe(`DURABLE ${COUNT}`);
    expect(readdirSync(join(dir, 'spool')).filter((n) => n.endsWith('.log')).length).toBeGreaterThan(0);

    await migrate(ch, { clock: new ManualClock(Date.UTC(2026, 10, 22)) });
    const sink = await ClickHouseEventSink.open({ ch, dataDir: dir, retry: { initialMs: 10, maxMs: 50 } });
    await sink.whenDelivered();
    await sink.close();
    const [billing] = await ch.query<{ rows: number; ids: number; spend: number }>(
      `SELECT count() AS rows, uniqExact(event_id) AS ids, sum(spend_micros) AS spend
       FROM events FINAL WHERE type = 'billing'`,
    );
    expect(billing).toEqual({ rows: COUNT, ids: COUNT, spend: COUNT * 1_000 });
    const missing = await ch.query(
      `SELECT number FROM numbers(${COUNT})
       WHERE concat('billing:d', toString(number)) NOT IN (SELECT event_id FROM events)`,
    );
    expect(missing).toEqual([]);
    expect(readdirSync(join(dir, 'spool')).filter((n) => n.endsWith('.log'))).toEqual([]);
  });
});
