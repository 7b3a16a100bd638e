import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { MemoryBudgetStore } from './budget-memory-store.ts';
import { budgetStoreContract } from './budget-store.case.ts';

budgetStoreContract('MemoryBudgetStore', async () => {
  const clock = new ManualClock(Date.UTC(2025, 2, 1, 12));
  return { store: new MemoryBudgetStore({ clock }), advance: async (ms) => clock.advance(ms) };
});

describe('MemoryBudgetStore', () => {
  const limits = { totalMicros: 1_000_000, dailyMicros: 1_000_000, dayKey: '2025-03-01' };

  it('expires a lease exactly ttlMs after the last lease call, by the injected clock', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryBudgetStore({ clock });
    await store.lease({ campaignId: 'c', holder: 'h1', wantMicros: 500, limits, ttlMs: 1_000 });
    clock.advance(999);
    expect((await store.spend('c', limits.dayKey)).leasedMicros).toBe(500);
    clock.advance(1);
    expect((await store.spend('c', limits.dayKey)).leasedMicros).toBe(0);
  });

  it('forgets a billed bid id after billedTtlMs, and not before', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryBudgetStore({ clock, billedTtlMs: 10_000 });
    const settle = () =>
      store.settle({
        campaignId: 'c',
        holder: 'h1',
        leaseId: 0,
        dayKey: limits.dayKey,
        bidId: 'b1',
        costMicros: 7,
        reservationId: '',
        notifyHolder: false,
      });
    expect(await settle()).toBe('recorded');
    clock.advance(9_999);
    expect(await settle()).toBe('duplicate');
    clock.advance(1);
    expect(await settle()).toBe('recorded');
    expect((await store.spend('c', limits.dayKey)).totalMicros).toBe(14);
  });
});
