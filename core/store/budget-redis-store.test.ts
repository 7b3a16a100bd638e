import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it, vi } from 'vitest';
import { startRedis } from '../../tests/setup/services.ts';
import { redisStoreKit } from '../../tests/support/redis-store-kit.ts';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import { redisKeys } from '../keys.ts';
import { RedisBudgetStore, type RedisBudgetStoreOptions } from './budget-redis-store.ts';
import { budgetStoreContract } from './budget-store.case.ts';

const url = inject('redisUrl');
// Test files run in parallel against one server: every key of this file starts with its own run id.
const run = randomUUID().slice(0, 8);
let prefixes = 0;
const newPrefix = () => {
  prefixes += 1;
  return `test:${run}:${prefixes}:`;
};

budgetStoreContract('RedisBudgetStore', async () => ({
  store: new RedisBudgetStore({ url, prefix: newPrefix() }),
  // Leases expire on the Redis server's clock: only a real wait shows it.
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

const rejection = (p: Promise<unknown>) => rejectionOf<{ code: string }>(p);

describe('RedisBudgetStore', () => {
  const { raw, open: openStore } = redisStoreKit(
    url,
    (options: Partial<RedisBudgetStoreOptions>) => new RedisBudgetStore({ url, ...options }),
  );
  const limits = { totalMicros: 1_000_000, dailyMicros: 1_000_000, dayKey: '2025-03-01' };

  it('keeps every key of a campaign in one Cluster slot, under the shared key builders', async () => {
    const prefix = newPrefix();
    const store = openStore({ prefix, billedTtlMs: 60_000 });
    const grant = await store.lease({
      campaignId: 'c-9',
      holder: 'h1',
      wantMicros: 500,
      limits,
      ttlMs: 10_000,
    });
    await store.settle({
      campaignId: 'c-9',
      holder: 'h1',
      leaseId: grant.leaseId,
      dayKey: limits.dayKey,
      bidId: 'b1',
      costMicros: 200,
      reservationId: 'r1',
      notifyHolder: true,
    });
    const keys = [
      redisKeys.budget(prefix, 'c-9'),
      redisKeys.budgetLeases(prefix, 'c-9'),
      redisKeys.budgetInbox(prefix, 'c-9', 'h1'),
      redisKeys.budgetBilled(prefix, 'c-9', 'b1'),
    ];
    expect(keys[0]).toBe(`${prefix}{c:c-9}:budget`);
    const slots = await Promise.all(
      keys.map((k) => raw.call('CLUSTER', 'KEYSLOT', k).catch(() => undefined)),
    );
    // CLUSTER KEYSLOT answers on a non-cluster server too (Redis ≥ 3).
    expect(new Set(slots).size).toBe(1);
    expect(await raw.hgetall(keys[0]!)).toEqual({ spent: '200', 'spent:2025-03-01': '200', seq: '1' });
    const [amount, expiresAt, leaseId] = (await raw.hget(keys[1]!, 'h1|2025-03-01'))!.split('|');
    expect([amount, leaseId]).toEqual(['300', '1']);
    expect(Number(expiresAt)).toBeGreaterThan(Date.now());
    expect(await raw.lrange(keys[2]!, 0, -1)).toEqual(['r1|200|2025-03-01|1']);
    const billedTtl = await raw.pttl(keys[3]!);
    expect(billedTtl).toBeGreaterThan(59_000);
    expect(billedTtl).toBeLessThanOrEqual(60_000);
  });

  it('keeps amounts above 1e14 micros exact (Lua prints them without an exponent)', async () => {
    const store = openStore({ prefix: newPrefix() });
    const big = {
      totalMicros: 9_000_000_000_000_000,
      dailyMicros: 9_000_000_000_000_000,
      dayKey: '2025-03-01',
    };
    const grant = await store.lease({
      campaignId: 'c',
      holder: 'h1',
      wantMicros: 123_456_789_012_345,
      limits: big,
      ttlMs: 10_000,
    });
    expect(grant.heldMicros).toBe(123_456_789_012_345);
    const again = await store.lease({
      campaignId: 'c',
      holder: 'h1',
      wantMicros: 1,
      limits: big,
      ttlMs: 10_000,
    });
    expect(again.heldMicros).toBe(123_456_789_012_346);
  });

  it('answers BUDGET_BAD_STATE for a lease value it did not write', async () => {
    const prefix = newPrefix();
    const store = openStore({ prefix });
    await raw.hset(redisKeys.budgetLeases(prefix, 'c'), 'h2|2025-03-01', 'garbage');
    const err = await rejection(
      store.lease({ campaignId: 'c', holder: 'h1', wantMicros: 1, limits, ttlMs: 1_000 }),
    );
    expect(err.code).toBe('BUDGET_BAD_STATE');
  });

  it('fails fast with STORE_UNAVAILABLE while Redis is down, and recovers by itself', async () => {
    const server = await startRedis();
    try {
      const store = openStore({ url: server.url, onError: () => undefined });
      await store.lease({ campaignId: 'c', holder: 'h1', wantMicros: 1, limits, ttlMs: 1_000 });
      await server.stop('SIGKILL');
      expect(
        (await rejection(store.lease({ campaignId: 'c', holder: 'h1', wantMicros: 1, limits, ttlMs: 1_000 })))
          .code,
      ).toBe('STORE_UNAVAILABLE');
      await server.restart();
      // The restarted server is empty: the scripts are loaded again (NOSCRIPT → EVAL) by ioredis.
      const grant = await vi.waitFor(
        () => store.lease({ campaignId: 'c', holder: 'h1', wantMicros: 5, limits, ttlMs: 1_000 }),
        { timeout: 15_000 },
      );
      expect(grant.grantedMicros).toBe(5);
    } finally {
      await server.stop();
    }
  });
});
