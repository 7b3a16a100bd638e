import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { CampaignData } from '../core/index.ts';
import { RedisStateStore } from '../core/store/redis-store.ts';

/** `outbid optimize --once` as its own process against the test run's Redis and clickhouse-server. */

const ROOT = join(import.meta.dirname, '..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(command: string, env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['bin/outbid.js', command, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('outbid optimize', () => {
  it('runs one cycle from Redis and the ClickHouse server and writes the allocation', {
    timeout: 90_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outbid-optimize-'));
    dirs.push(dataDir);
    const prefix = `optimize:${process.pid}:`;
    const database = `optimize_${process.pid}`;
    const env = {
      DATA_DIR: dataDir,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      CLICKHOUSE_URL: inject('clickhouseUrl'),
      CLICKHOUSE_DATABASE: database,
    };
    const store = new RedisStateStore({ url: inject('redisUrl'), prefix, onError: () => undefined });
    await store.ready();
    try {
      const demo = JSON.parse(readFileSync(join(ROOT, 'config', 'demo-data.json'), 'utf8')) as CampaignData;
      await store.replaceAll(demo);
      const migrated = run('migrate', env);
      expect(migrated.status, migrated.stderr).toBe(0);
      const once = run('optimize', env, '--once');
      expect(once.status, once.stderr + once.stdout).toBe(0);
      expect(once.stdout).toContain('optimizer cycle');
      const allocation = await store.get('allocation', 'current');
      expect(allocation?.version).toBe(1);
      expect(Object.keys(allocation!.campaigns).sort()).toEqual(['cmp-display', 'cmp-video']);
      // No statistics yet: an even split over the display campaign's line items, said so.
      const display = allocation!.campaigns['cmp-display']!;
      expect(display.reason).toBe('fallback');
      expect(display.budgetArms.reduce((a, x) => a + x.dailyBudgetMicros, 0)).toBe(display.dailyBudgetMicros);
      // Without the shared stores it refuses with a reason.
      const alone = run('optimize', { DATA_DIR: dataDir }, '--once');
      expect(alone.status).toBe(2);
      expect(alone.stderr).toContain('needs REDIS_URL');
    } finally {
      await store.close();
    }
  });
});
