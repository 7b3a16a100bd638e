import { join } from 'node:path';
import { openEmbeddedClickHouse } from '../../reporting/index.ts';
import { pipelineContract } from './pipeline.case.ts';

pipelineContract('embedded chDB', (dir) => openEmbeddedClickHouse({ dataDir: join(dir, 'clickhouse') }));
