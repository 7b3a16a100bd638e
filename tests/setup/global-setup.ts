// tsc 7 reports the `declare module 'vitest'` below as unresolvable unless the file imports vitest itself.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startRedis } from './services.ts';

/** Starts the real servers the integration tests share and hands their URLs to tests through `inject()`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the redis-server shared by the test run; give each test its own key prefix. */
    redisUrl: string;
  }
}
