import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { MemoryBudgetStore } from './budget-memory-store.ts';
import { budgetStoreContract } from './budget-store.case.ts';

budgetStoreContract('MemoryBudgetStore', async () => {
  const clock = new ManualClock(Date.UTC(2025, 2, 1, 12));
  return { store: new MemoryBudgetStore({ clock }), advance: async (ms) => clock.advance(ms) };
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function journalPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'outbid-budget-journal-'));
  dirs.push(d);
  return join(d, 'budget-journal.jsonl');
}

budgetStoreContract('MemoryBudgetStore with a journal', async () => {
  const clock = new ManualClock(Date.UTC(2025, 2, 1, 12));
  return {
    store: new MemoryBudgetStore({ clock, journalPath: journalPath() }),
    advance: async (ms) => clock.advance(ms),
  };
});

describe('MemoryBudgetStore journal', () => {
  const dayKey = '2025-03-01';
  const settle = (store: MemoryBudgetStore, bidId: string, costMicros: number, campaignId = 'c') =>
    store.settle({
      campaignId,
      holder: 'h1',
      leaseId: 0,
      dayKey,
      bidId,
      costMicros,
      reservationId: '',
      notifyHolder: false,
    });

  it('has every acknowledged settlement on disk: a second store on the file sees it while the first still runs', async () => {
    const clock = new ManualClock(Date.UTC(2025, 2, 1, 12));
    const path = journalPath();
    const first = new MemoryBudgetStore({ clock, journalPath: path });
    await Promise.all([settle(first, 'b1', 100), settle(first, 'b2', 250), settle(first, 'b3', 5, 'd')]);
    // No close(): as after a kill -9 right after the answers.
    const second = new MemoryBudgetStore({ clock, journalPath: path });
    expect(await second.spend('c', dayKey)).toMatchObject({ totalMicros: 350, dayMicros: 350 });
    expect(await second.spend('d', dayKey)).toMatchObject({ totalMicros: 5 });
    // Retried billings are still recognised after the restart.
    expect(await settle(second, 'b2', 250)).toBe('duplicate');
    expect(await settle(second, 'b4', 1)).toBe('recorded');
    await second.close();
    // Compacted on open: one line per budget, then the new settlement.
    const third = new MemoryBudgetStore({ clock, journalPath: path });
    expect((await third.spend('c', dayKey)).totalMicros).toBe(351);
    await third.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('skips a torn last line (a crash mid-write) and refuses damage elsewhere', async () => {
    const clock = new ManualClock(Date.UTC(2025, 2, 1, 12));
    const path = journalPath();
    const store = new MemoryBudgetStore({ clock, journalPath: path });
    await settle(store, 'b1', 100);
    await store.close();
    appendFileSync(path, '{"k":"s","campaignId":"c","dayKey":"2025-03-01","bidId":"b2","cost');
    const after = new MemoryBudgetStore({ clock, journalPath: path });
    expect((await after.spend('c', dayKey)).totalMicros).toBe(100);
    await after.close();
    writeFileSync(path, `not json\n${readFileSync(path, 'utf8')}`);
    const broken = new MemoryBudgetStore({ clock, journalPath: path });
    await expect(broken.ready()).rejects.toMatchObject({ code: 'STORE_SNAPSHOT_INVALID' });
  });

  it('forgets billed ids past their TTL and old days when it compacts', async () => {
    const clock = new ManualClock(Date.UTC(2025, 2, 1, 12));
    const path = journalPath();
    const store = new MemoryBudgetStore({ clock, journalPath: path, billedTtlMs: 1_000 });
    await settle(store, 'b1', 100);
    await store.close();
    clock.advance(1_000);
    const later = new MemoryBudgetStore({ clock, journalPath: path, billedTtlMs: 1_000 });
    await later.close();
    const line = JSON.parse(readFileSync(path, 'utf8').trim()) as { billed: object; spentMicros: number };
    expect(line).toMatchObject({ spentMicros: 100, billed: {} });
  });
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
