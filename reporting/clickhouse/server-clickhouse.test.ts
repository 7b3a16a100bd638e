import { describe, expect, inject, it } from 'vitest';
import { clickhouseContract } from './clickhouse.case.ts';
import { connectServerClickHouse } from './server-clickhouse.ts';

const url = inject('clickhouseUrl');

describe('server ClickHouse (@clickhouse/client)', () => {
  clickhouseContract('server (test run clickhouse-server)', (database) =>
    connectServerClickHouse({ url, database: `s${database}` }),
  );

  it('fails to connect with CH_CONNECT when nothing listens', async () => {
    await expect(
      connectServerClickHouse({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2_000 }),
    ).rejects.toMatchObject({ code: 'CH_CONNECT' });
  });

  it('rejects a database name that is not an identifier', async () => {
    await expect(connectServerClickHouse({ url, database: 'x; DROP' })).rejects.toMatchObject({
      code: 'CH_CONNECT',
    });
  });
});
