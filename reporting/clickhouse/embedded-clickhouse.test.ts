import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { clickhouseContract } from './clickhouse.case.ts';
import { openEmbeddedClickHouse } from './embedded-clickhouse.ts';

// libchdb holds one data directory per process: every test opens (and closes) its own session on
// its own directory, one at a time.
const root = mkdtempSync(join(tmpdir(), 'outbid-chdb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('embedded ClickHouse (chDB)', () => {
  clickhouseContract('embedded, native binding', (database) =>
    openEmbeddedClickHouse({ dataDir: join(root, database), database }),
  );
  clickhouseContract('embedded, client-side binding (the 18.16 escaper on a modern engine)', (database) =>
    openEmbeddedClickHouse({ dataDir: join(root, `${database}_c`), database, binding: 'client' }),
  );
});
