import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { freePort, type RedisServer, startRedis } from '../../tests/setup/services.ts';
import { redisStoreKit } from '../../tests/support/redis-store-kit.ts';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import type { Advertiser } from '../campaign.ts';
import { redisKeys } from '../keys.ts';
import type { StoreError } from './errors.ts';
import { RedisStateStore, type RedisStateStoreOptions } from './redis-store.ts';
import { stateStoreContract } from './state-store.case.ts';

const rejection = (p: Promise<unknown>) => rejectionOf<StoreError>(p);

const url = inject('redisUrl');
// Test files run in parallel against one server: every key of this file starts with its own run id.
const run = randomUUID().slice(0, 8);
let prefixes = 0;
const newPrefix = () => {
  prefixes += 1;
  return `test:${run}:${prefixes}:`;
};

stateStoreContract(
  'RedisStateStore',
  async (backing) => new RedisStateStore({ url, prefix: `test:${run}:contract:${backing}:` }),
  { concurrentInstances: true },
);

const advertiser = (id: string, name = 'Acme'): Advertiser => ({
  id,
  name,
  domain: 'acme.example',
  status: 'active',
});

describe('RedisStateStore', () => {
  const { raw, open: openStore } = redisStoreKit(
    url,
    (options: Partial<RedisStateStoreOptions>) => new RedisStateStore({ url, ...options }),
  );

  it('writes through the shared key builders and publishes each new version', async () => {
    const prefix = newPrefix();
    const store = openStore({ prefix });
    await store.ready();
    const listener = raw.duplicate();
    const messages: string[] = [];
    listener.on('message', (channel: string, message: string) => messages.push(`${channel} ${message}`));
    await listener.subscribe(redisKeys.changes(prefix));
    try {
      expect(await store.put('advertiser', advertiser('a1'))).toBe(1);
      expect(
        await store.replaceAll({
          advertisers: [advertiser('a2')],
          campaigns: [],
          lineItems: [],
          creatives: [],
          scoreTables: [],
        }),
      ).toBe(2);
      expect(await raw.hgetall(redisKeys.entities(prefix, 'advertiser'))).toEqual({
        a2: JSON.stringify(advertiser('a2')),
      });
      expect(await raw.get(redisKeys.version(prefix))).toBe('2');
      await vi.waitFor(() =>
        expect(messages).toEqual([`${redisKeys.changes(prefix)} 1`, `${redisKeys.changes(prefix)} 2`]),
      );
    } finally {
      await listener.quit();
    }
  });

  it('skips bad rows, reports each through onError, and keeps serving the good ones', async () => {
    const prefix = newPrefix();
    const errors: StoreError[] = [];
    const store = openStore({ prefix, onError: (err) => errors.push(err) });
    await store.put('advertiser', advertiser('good'));
    const hash = redisKeys.entities(prefix, 'advertiser');
    await raw.hset(
      hash,
      'not-json',
      '{"id":',
      'not-an-advertiser',
      JSON.stringify({ id: 'not-an-advertiser' }),
    );
    await raw.hset(hash, 'wrong-id', JSON.stringify(advertiser('other')));
    expect(await store.load()).toEqual({
      version: 1,
      data: {
        advertisers: [advertiser('good')],
        campaigns: [],
        lineItems: [],
        creatives: [],
        scoreTables: [],
        allocations: [],
      },
    });
    expect(await store.get('advertiser', 'not-json')).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual([
      'STORE_BAD_ROW',
      'STORE_BAD_ROW',
      'STORE_BAD_ROW',
      'STORE_BAD_ROW',
    ]);
    const notJson = `skipped ${hash} field "not-json" is not valid JSON (Unexpected end of JSON input)`;
    expect(errors.map((e) => e.message).sort()).toEqual([
      `skipped ${hash} field "not-an-advertiser" is not a valid advertiser: advertiser: must have required properties name, domain, status`,
      notJson,
      notJson,
      `skipped ${hash} field "wrong-id" holds advertiser id "other"`,
    ]);
  });

  it('ready() rejects with STORE_UNREACHABLE, naming the URL without its password, when nothing listens', {
    timeout: 5000,
  }, async () => {
    const port = await freePort();
    const store = openStore({ url: `redis://outbid:s3cret@127.0.0.1:${port}`, connectTimeoutMs: 300 });
    const err = await rejection(store.ready());
    expect(err.code).toBe('STORE_UNREACHABLE');
    expect(err.message).toContain(`redis://outbid@127.0.0.1:${port}`);
    expect(err.message).not.toContain('s3cret');
    expect((await rejection(store.load())).code).toBe('STORE_UNREACHABLE');
  });

  describe('when Redis goes down', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis();
    });
    afterAll(async () => {
      await server.stop();
    });

    it('calls fail fast, then the store recovers and subscribers catch up by themselves', async () => {
      const prefix = newPrefix();
      const reported: string[] = [];
      const onError = (err: StoreError) => reported.push(err.code);
      const writer = openStore({ url: server.url, prefix, onError });
      const reader = openStore({ url: server.url, prefix, onError });
      const seen: number[] = [];
      reader.subscribe((v) => seen.push(v));
      await Promise.all([writer.ready(), reader.ready()]);
      expect(await writer.put('advertiser', advertiser('a1'))).toBe(1);
      await vi.waitFor(() => expect(seen).toEqual([1]));

      await server.stop('SIGKILL');
      // Without the fail-fast settings these would wait for the reconnect and time the test out.
      expect((await rejection(writer.put('advertiser', advertiser('a2')))).code).toBe('STORE_UNAVAILABLE');
      expect((await rejection(reader.load())).code).toBe('STORE_UNAVAILABLE');

      await server.restart();
      // The restarted server is empty: the reader learns that from its catch-up read, not from a message.
      await vi.waitFor(() => expect(seen).toEqual([1, 0]), { timeout: 15_000 });
      const version = await vi.waitFor(() => writer.put('advertiser', advertiser('a3')), { timeout: 15_000 });
      expect(version).toBe(1);
      await vi.waitFor(() => expect(seen).toEqual([1, 0, 1]));
      expect(await reader.get('advertiser', 'a3')).toEqual(advertiser('a3'));
      // Whether ioredis reports the outage as an error depends on timing; nothing else may be reported.
      expect(reported.filter((code) => code !== 'STORE_CONNECTION_ERROR')).toEqual([]);
    });
  });
});
