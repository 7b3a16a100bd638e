import { inject } from 'vitest';
import { connectServerClickHouse } from '../../reporting/index.ts';
import { pipelineContract } from './pipeline.case.ts';

// The same HTTP → sink → ClickHouse → reports path on Debian's clickhouse-server 18.16.
pipelineContract('clickhouse-server (test run)', () =>
  connectServerClickHouse({ url: inject('clickhouseUrl'), database: `pipe_${process.pid}` }),
);
