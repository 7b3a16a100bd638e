import { Redis } from 'ioredis';
import { afterAll, afterEach } from 'vitest';

/**
 * The scaffolding every Redis-backed store test shares, registered in the calling `describe`: a raw
 * client for inspecting keys (connects on first use), and `open` for stores that are closed after
 * each test.
 */
export function redisStoreKit<S extends { close(): Promise<void> }, O>(
  url: string,
  make: (options: Partial<O>) => S,
): { raw: Redis; open: (options?: Partial<O>) => S } {
  const raw = new Redis(url, { lazyConnect: true });
  const stores: S[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    if (raw.status === 'ready') await raw.quit();
    else raw.disconnect();
  });
  return {
    raw,
    open: (options = {}) => {
      const store = make(options);
      stores.push(store);
      return store;
    },
  };
}
