import { inject } from 'vitest';
import { connectServerClickHouse } from '../../reporting/index.ts';
import { attributionContract } from './attribution.case.ts';

// The same SQL on Debian's clickhouse-server 18.16 (client-side parameter binding).
attributionContract('clickhouse-server (test run)', () =>
  connectServerClickHouse({ url: inject('clickhouseUrl'), database: `attr_${process.pid}` }),
);
