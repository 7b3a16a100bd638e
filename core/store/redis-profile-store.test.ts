import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it, vi } from 'vitest';
import { freePort, startRedis } from '../../tests/setup/services.ts';
import { redisStoreKit } from '../../tests/support/redis-store-kit.ts';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import { redisKeys } from '../keys.ts';
import type { StoreError } from './errors.ts';
import { profileStoreContract } from './profile-store.case.ts';
import { RedisProfileStore, type RedisProfileStoreOptions } from './redis-profile-store.ts';

const rejection = (p: Promise<unknown>) => rejectionOf<StoreError>(p);

const url = inject('redisUrl');
// Test files run in parallel against one server: every key of this file starts with its own run id.
const run = randomUUID().slice(0, 8);
let prefixes = 0;
const newPrefix = () => {
  prefixes += 1;
  return `test:${run}:${prefixes}:`;
};

profileStoreContract('RedisProfileStore', async () => ({
  store: new RedisProfileStore({ url, prefix: newPrefix() }),
  // Redis expires keys on its own clock: only a real wait shows that EX was set.
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

describe('RedisProfileStore', () => {
  const { raw, open: openStore } = redisStoreKit(
    url,
    (options: Partial<RedisProfileStoreOptions>) => new RedisProfileStore({ url, ...options }),
  );

  it('stores one JSON string per profile under the shared key builder, with its TTL', async () => {
    const prefix = newPrefix();
    const store = openStore({ prefix });
    await store.put('abc', [{ id: 'crm:gold', value: '3' }], 3600);
    const key = redisKeys.profile(prefix, 'abc');
    expect(key).toBe(`${prefix}outbid:profile:abc`);
    expect(await raw.get(key)).toBe('[{"id":"crm:gold","value":"3"}]');
    const ttl = await raw.ttl(key);
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('skips and reports a stored value that is not a segment list, answering from the next key', async () => {
    const prefix = newPrefix();
    const errors: StoreError[] = [];
    const store = openStore({ prefix, onError: (err) => errors.push(err) });
    await raw.set(redisKeys.profile(prefix, 'not-json'), '[{"id":');
    await raw.set(redisKeys.profile(prefix, 'not-segments'), '[{"name":"x"}]');
    await store.put('good', [{ id: 'g' }], 60);
    expect(await store.get(['not-json', 'not-segments', 'good'])).toEqual([{ id: 'g' }]);
    expect(errors.map((e) => e.code)).toEqual(['STORE_BAD_ROW', 'STORE_BAD_ROW']);
    expect(errors[0]?.message).toContain(redisKeys.profile(prefix, 'not-json'));
    expect(errors[1]?.message).toContain(redisKeys.profile(prefix, 'not-segments'));
  });

  it('rejects with STORE_UNREACHABLE, naming the URL without its password, when nothing listens', {
    timeout: 5000,
  }, async () => {
    const port = await freePort();
    const store = openStore({ url: `redis://outbid:s3cret@127.0.0.1:${port}`, connectTimeoutMs: 300 });
    const err = await rejection(store.get(['u1']));
    expect(err.code).toBe('STORE_UNREACHABLE');
    expect(err.message).toContain(`redis://outbid@127.0.0.1:${port}`);
    expect(err.message).not.toContain('s3cret');
  });

  it('fails fast with STORE_UNAVAILABLE while Redis is down, and recovers by itself', async () => {
    const server = await startRedis();
    try {
      const store = openStore({ url: server.url, onError: () => undefined });
      await store.put('u1', [{ id: 'a' }], 60);
      await server.stop('SIGKILL');
      // Without the fail-fast settings these would wait for the reconnect and time the test out.
      expect((await rejection(store.get(['u1']))).code).toBe('STORE_UNAVAILABLE');
      expect((await rejection(store.put('u2', [], 60))).code).toBe('STORE_UNAVAILABLE');
      await server.restart();
      await vi.waitFor(() => store.put('u2', [{ id: 'b' }], 60), { timeout: 15_000 });
      expect(await store.get(['u1', 'u2'])).toEqual([{ id: 'b' }]);
    } finally {
      await server.stop();
    }
  });
});
