import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openEmbeddedClickHouse } from '../../reporting/index.ts';
import { reportQueriesContract } from './report-queries.case.ts';

const root = mkdtempSync(join(tmpdir(), 'outbid-reports-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

reportQueriesContract('embedded chDB', () => openEmbeddedClickHouse({ dataDir: join(root, 'ch') }));
