import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it, vi } from 'vitest';
import { freePort, startRedis } from '../../tests/setup/services.ts';
import { redisStoreKit } from '../../tests/support/redis-store-kit.ts';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import { redisKeys } from '../keys.ts';
import type { StoreError } from './errors.ts';
import { RedisFrequencyStore, type RedisFrequencyStoreOptions } from './frequency-redis-store.ts';
import { frequencyStoreContract } from './frequency-store.case.ts';
import type { FrequencyRecordOutcome, FrequencyScope } from './frequency-store.ts';

const rejection = (p: Promise<unknown>) => rejectionOf<StoreError>(p);

const url = inject('redisUrl');
// Test files run in parallel against one server: every key of this file starts with its own run id.
const run = randomUUID().slice(0, 8);
let prefixes = 0;
const newPrefix = () => {
  prefixes += 1;
  return `test:${run}:${prefixes}:`;
};

frequencyStoreContract(
  'RedisFrequencyStore',
  async () => new RedisFrequencyStore({ url, prefix: newPrefix() }),
);

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

const count = (
  outcomes: readonly (readonly FrequencyRecordOutcome[])[],
  scope: number,
  what: FrequencyRecordOutcome,
) => outcomes.filter((o) => o[scope] === what).length;

describe('RedisFrequencyStore', () => {
  const { raw, open: openStore } = redisStoreKit(
    url,
    (options: Partial<RedisFrequencyStoreOptions>) => new RedisFrequencyStore({ url, ...options }),
  );

  it('keeps one sorted set per user and scope under the shared key builder, expiring with the longest window', async () => {
    const prefix = newPrefix();
    const store = openStore({ prefix });
    const s: FrequencyScope = {
      id: 'c:1',
      caps: [
        { max: 3, windowSec: 60 },
        { max: 5, windowSec: 7200 },
      ],
    };
    await store.record('abc', [s], T0, 'imp-1');
    await store.reserve('abc', [s], T0, 'bid-9', 30_000);
    const imps = redisKeys.frequencyImpressions(prefix, 'abc', 'c:1');
    const holds = redisKeys.frequencyHolds(prefix, 'abc', 'c:1');
    expect(imps).toBe(`${prefix}outbid:freq:{abc}:imp:c:1`);
    expect(holds).toBe(`${prefix}outbid:freq:{abc}:hold:c:1`);
    expect(await raw.zrange(imps, '0', '-1', 'WITHSCORES')).toEqual(['imp-1', String(T0)]);
    expect(await raw.zrange(holds, '0', '-1', 'WITHSCORES')).toEqual(['bid-9', String(T0 + 30_000)]);
    const impTtl = await raw.pttl(imps);
    expect(impTtl).toBeGreaterThan(7200_000 - 5000);
    expect(impTtl).toBeLessThanOrEqual(7200_000);
    const holdTtl = await raw.pttl(holds);
    expect(holdTtl).toBeGreaterThan(25_000);
    expect(holdTtl).toBeLessThanOrEqual(30_000);
  });

  it('holds caps exactly when 4 store instances (as 4 processes) record for one user at once', async () => {
    const prefix = newPrefix();
    const instances = [0, 1, 2, 3].map(() => openStore({ prefix }));
    await Promise.all(instances.map((s) => s.ready()));
    const camp: FrequencyScope = {
      id: 'c:1',
      caps: [
        { max: 5, windowSec: 3600 },
        { max: 8, windowSec: 86_400 },
      ],
    };
    const line: FrequencyScope = { id: 'li:1', caps: [{ max: 3, windowSec: 3600 }] };
    // 400 distinct impressions plus a retry of each, interleaved over the 4 connections.
    const burst = (at: number, tag: string) =>
      Promise.all(
        Array.from({ length: 800 }, (_, i) =>
          instances[i % 4]!.record('user', [camp, line], at + (i % 7), `${tag}-${i >> 1}`),
        ),
      );
    const first = await burst(T0, 'a');
    expect(count(first, 0, 'recorded')).toBe(5);
    expect(count(first, 1, 'recorded')).toBe(3);
    // An hour later only the daily window limits the campaign: 3 more of its 8.
    const second = await burst(T0 + HOUR + 10, 'b');
    expect(count(second, 0, 'recorded')).toBe(3);
    expect(count(second, 1, 'recorded')).toBe(3);
    expect(await raw.zcard(redisKeys.frequencyImpressions(prefix, 'user', 'c:1'))).toBe(8);
    expect([...(await instances[2]!.check('user', [camp, line], T0 + HOUR + 20))].sort()).toEqual([
      'c:1',
      'li:1',
    ]);
  });

  it('grants exactly the free slots when 4 instances reserve for one user at once, and no held impression is refused', async () => {
    const prefix = newPrefix();
    const instances = [0, 1, 2, 3].map(() => openStore({ prefix }));
    await Promise.all(instances.map((s) => s.ready()));
    const camp: FrequencyScope = { id: 'c:1', caps: [{ max: 4, windowSec: 3600 }] };
    const line: FrequencyScope = { id: 'li:1', caps: [{ max: 6, windowSec: 3600 }] };
    await instances[0]!.record('user', [camp], T0, 'earlier');
    const bids = Array.from({ length: 200 }, (_, i) => `bid-${i}`);
    const granted = await Promise.all(
      bids.map((id, i) => instances[i % 4]!.reserve('user', [camp, line], T0 + 1, id, 60_000)),
    );
    const winners = bids.filter((_, i) => granted[i]!.size === 0);
    expect(winners).toHaveLength(3);
    // Every bid that got a hold wins and is billed, concurrently with stray impressions without hold.
    const outcomes = await Promise.all([
      ...winners.map((id, i) => instances[i % 4]!.record('user', [camp, line], T0 + 2, id)),
      ...Array.from({ length: 50 }, (_, i) =>
        instances[i % 4]!.record('user', [camp, line], T0 + 2, `stray-${i}`),
      ),
    ]);
    expect(outcomes.slice(0, 3)).toEqual([
      ['recorded', 'recorded'],
      ['recorded', 'recorded'],
      ['recorded', 'recorded'],
    ]);
    expect(count(outcomes.slice(3), 0, 'recorded')).toBe(0);
    expect(await raw.zcard(redisKeys.frequencyImpressions(prefix, 'user', 'c:1'))).toBe(4);
  });

  it('rejects with STORE_UNREACHABLE, naming the URL without its password, when nothing listens', {
    timeout: 5000,
  }, async () => {
    const port = await freePort();
    const store = openStore({ url: `redis://outbid:s3cret@127.0.0.1:${port}`, connectTimeoutMs: 300 });
    const err = await rejection(store.check('u1', [{ id: 'c:1', caps: [{ max: 1, windowSec: 60 }] }], T0));
    expect(err.code).toBe('STORE_UNREACHABLE');
    expect(err.message).toContain(`redis://outbid@127.0.0.1:${port}`);
    expect(err.message).not.toContain('s3cret');
  });

  it('fails fast with STORE_UNAVAILABLE while Redis is down, and recovers by itself (scripts reloaded)', async () => {
    const server = await startRedis();
    const s: FrequencyScope = { id: 'c:1', caps: [{ max: 1, windowSec: 60 }] };
    try {
      const store = openStore({ url: server.url, onError: () => undefined });
      expect(await store.record('u1', [s], T0, 'a')).toEqual(['recorded']);
      await server.stop('SIGKILL');
      // Without the fail-fast settings these would wait for the reconnect and time the test out.
      expect((await rejection(store.check('u1', [s], T0))).code).toBe('STORE_UNAVAILABLE');
      expect((await rejection(store.record('u1', [s], T0, 'b'))).code).toBe('STORE_UNAVAILABLE');
      await server.restart();
      // A restarted server has an empty script cache: EVALSHA's NOSCRIPT must fall back to EVAL.
      await vi.waitFor(() => store.check('u1', [s], T0), { timeout: 15_000 });
      expect(await store.record('u1', [s], T0, 'c')).toEqual(['recorded']);
    } finally {
      await server.stop();
    }
  });
});
