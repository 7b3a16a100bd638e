import { inject } from 'vitest';
import { connectServerClickHouse } from '../../reporting/index.ts';
import { reportQueriesContract } from './report-queries.case.ts';

// The same report SQL on Debian's clickhouse-server 18.16 (client-side parameter binding).
reportQueriesContract('clickhouse-server (test run)', () =>
  connectServerClickHouse({ url: inject('clickhouseUrl'), database: `rq_${process.pid}` }),
);
