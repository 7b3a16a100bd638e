import { describe, expect, it } from 'vitest';
import { MemoryFrequencyStore } from './frequency-memory-store.ts';
import { frequencyStoreContract } from './frequency-store.case.ts';

frequencyStoreContract('MemoryFrequencyStore', async () => new MemoryFrequencyStore());

const T0 = Date.UTC(2025, 0, 1);
const hourly = { id: 'c:1', caps: [{ max: 2, windowSec: 3600 }] };

describe('MemoryFrequencyStore', () => {
  it('holds at most maxUsers, evicting the least recently written user', async () => {
    const store = new MemoryFrequencyStore({ maxUsers: 2 });
    await store.record('u1', [hourly], T0, 'a');
    await store.record('u1', [hourly], T0, 'b');
    await store.record('u2', [hourly], T0, 'a');
    await store.record('u3', [hourly], T0, 'a');
    expect(store.size).toBe(2);
    // u1 was evicted: its caps start again (the documented price of the bound).
    expect([...(await store.check('u1', [hourly], T0))]).toEqual([]);
  });

  it('drops a user once nothing of theirs can cap anything', async () => {
    const store = new MemoryFrequencyStore();
    await store.record('u1', [hourly], T0, 'a');
    await store.reserve('u2', [hourly], T0, 'h', 60_000);
    await store.check('u1', [hourly], T0 + 3600_000);
    await store.check('u2', [hourly], T0 + 60_000);
    expect(store.size).toBe(0);
  });

  it('drops expired users from the old end as writes go by, without being asked about them', async () => {
    const store = new MemoryFrequencyStore();
    for (let i = 0; i < 5; i++) await store.record(`old-${i}`, [hourly], T0, 'a');
    await store.record('new', [hourly], T0 + 3600_000, 'a');
    expect(store.size).toBe(1);
  });

  it('counts holds exactly when a short hold expires behind a longer one', async () => {
    const store = new MemoryFrequencyStore();
    const twice = { id: 'li:x', caps: [{ max: 2, windowSec: 3600 }] };
    expect([...(await store.reserve('u1', [twice], T0, 'long', 10_000))]).toEqual([]);
    expect([...(await store.reserve('u1', [twice], T0, 'short', 1_000))]).toEqual([]);
    expect([...(await store.check('u1', [twice], T0 + 999))]).toEqual(['li:x']);
    // 'short' has expired but sits behind the live 'long': one slot is free again.
    expect([...(await store.check('u1', [twice], T0 + 1_000))]).toEqual([]);
    expect([...(await store.reserve('u1', [twice], T0 + 1_000, 'next', 10_000))]).toEqual([]);
    expect([...(await store.check('u1', [twice], T0 + 1_000))]).toEqual(['li:x']);
  });

  it('refuses a maxUsers that is not a positive integer', () => {
    expect(() => new MemoryFrequencyStore({ maxUsers: 0 })).toThrow(RangeError);
    expect(() => new MemoryFrequencyStore({ maxUsers: 1.5 })).toThrow(RangeError);
  });
});
