import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openEmbeddedClickHouse } from '../../reporting/index.ts';
import { attributionContract } from './attribution.case.ts';

// One chDB data directory per process (libchdb), opened once for the file.
const root = mkdtempSync(join(tmpdir(), 'outbid-attr-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

attributionContract('embedded chDB', () => openEmbeddedClickHouse({ dataDir: join(root, 'ch') }));
