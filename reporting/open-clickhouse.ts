import { join } from 'node:path';
import type { ClickHouse } from './clickhouse/clickhouse.ts';
import { openEmbeddedClickHouse } from './clickhouse/embedded-clickhouse.ts';
import { connectServerClickHouse } from './clickhouse/server-clickhouse.ts';

/** Which ClickHouse to use (config CLICKHOUSE_* and DATA_DIR). */
export interface ClickHouseSettings {
  /** Server URL; undefined: the embedded engine under `<dataDir>/clickhouse`. */
  url: string | undefined;
  user: string;
  password: string;
  database: string;
  dataDir: string;
}

/** Opens the server at `url`, else the embedded engine in `<dataDir>/clickhouse` (one per process). */
export async function openClickHouse(s: ClickHouseSettings): Promise<ClickHouse> {
  if (s.url !== undefined) {
    return connectServerClickHouse({
      url: s.url,
      username: s.user,
      password: s.password,
      database: s.database,
    });
  }
  return openEmbeddedClickHouse({ dataDir: join(s.dataDir, 'clickhouse'), database: s.database });
}
