// tsc 7 reports the `declare module 'vitest'` below as unresolvable unless the file imports vitest itself.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startClickHouse, startRedis } from './services.ts';

/** Starts the real servers the integration tests share and hands their URLs to tests through `inject()`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  // One after the other: on a fresh machine both may apt-get install, and dpkg takes one lock.
  const clickhouse = await startClickHouse().catch(async (err: unknown) => {
    await redis.stop();
    throw err;
  });
  project.provide('redisUrl', redis.url);
  project.provide('clickhouseUrl', clickhouse.url);
  return async () => {
    await Promise.all([redis.stop(), clickhouse.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the redis-server shared by the test run; give each test its own key prefix. */
    redisUrl: string;
    /** HTTP URL of the clickhouse-server shared by the test run; give each test its own database. */
    clickhouseUrl: string;
  }
}
