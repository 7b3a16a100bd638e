import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import { migrate, openEmbeddedClickHouse } from '../../reporting/index.ts';
import { MIGRATIONS_DIR } from '../../reporting/migrations/migrate.ts';

const root = mkdtempSync(join(tmpdir(), 'outbid-addcol-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ALTER TABLE … ADD COLUMN IF NOT EXISTS in a migration (18.16 lacks the clause)', () => {
  it('is safe to repeat after a run that died between the ALTER and its schema_migrations row', async () => {
    const ch = await openEmbeddedClickHouse({ dataDir: join(root, 'ch') });
    const clock = new ManualClock(Date.UTC(2026, 10, 22));
    try {
      const dir = join(root, 'migrations');
      cpSync(MIGRATIONS_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
      // The first three files applied, then 004's first column added by hand: the crash case.
      for (const f of readdirSync(dir)) if (f >= '004') rmSync(join(dir, f));
      await migrate(ch, { clock, dir });
      await ch.exec('ALTER TABLE events ADD COLUMN user_key String');
      cpSync(join(MIGRATIONS_DIR, '004_events_user_key.sql'), join(dir, '004_events_user_key.sql'));
      writeFileSync(
        join(dir, '099_more.sql'),
        'ALTER TABLE events ADD COLUMN IF NOT EXISTS extra_col UInt8;\n',
      );
      const run = await migrate(ch, { clock, dir });
      expect(run.applied.map((m) => m.name)).toEqual(['events_user_key', 'more']);
      const cols = await ch.query<{ name: string; type: string }>(
        `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events'
         AND name IN ('user_key', 'conversion_id', 'extra_col') ORDER BY name`,
      );
      expect(cols).toEqual([
        { name: 'conversion_id', type: 'String' },
        { name: 'extra_col', type: 'UInt8' },
        { name: 'user_key', type: 'String' },
      ]);
    } finally {
      await ch.close();
    }
  });
});
