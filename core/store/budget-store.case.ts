import { afterEach, describe, expect, it } from 'vitest';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import type { BudgetError } from './budget-errors.ts';
import type { BudgetLimits, BudgetStore, LeaseRequest, SettleRequest } from './budget-store.ts';
import type { StoreError } from './errors.ts';

/** A budget store opened for one test, with the way its time moves forward. */
export interface OpenedBudgetStore {
  readonly store: BudgetStore;
  /** Lets `ms` pass as the store sees time: a ManualClock advance, or a real wait for Redis. */
  advance(ms: number): Promise<void>;
}

const DAY1 = '2025-03-01';
const DAY2 = '2025-03-02';
const TTL = 60_000;
/** Short enough for a real wait on Redis, long enough that scheduling jitter cannot expire it early. */
const SHORT_TTL = 300;

const limits = (totalMicros: number, dailyMicros: number, dayKey = DAY1): BudgetLimits => ({
  totalMicros,
  dailyMicros,
  dayKey,
});

const leaseReq = (holder: string, wantMicros: number, l: BudgetLimits, ttlMs = TTL): LeaseRequest => ({
  campaignId: 'cmp-1',
  holder,
  wantMicros,
  limits: l,
  ttlMs,
});

const settleReq = (
  holder: string,
  leaseId: number,
  bidId: string,
  costMicros: number,
  extra: Partial<SettleRequest> = {},
): SettleRequest => ({
  campaignId: 'cmp-1',
  holder,
  leaseId,
  dayKey: DAY1,
  bidId,
  costMicros,
  reservationId: '',
  notifyHolder: false,
  ...extra,
});

const rejection = (p: Promise<unknown>) => rejectionOf<BudgetError | StoreError>(p);

/**
 * The contract every `BudgetStore` passes, with exact amounts. `open()` returns a store on fresh,
 * empty backing; the suite closes it after each test.
 */
export function budgetStoreContract(name: string, open: () => Promise<OpenedBudgetStore>): void {
  describe(`${name} (BudgetStore contract)`, () => {
    const opened: BudgetStore[] = [];
    const openStore = async () => {
      const o = await open();
      opened.push(o.store);
      await o.store.ready();
      return o;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('grants what is asked while the daily and total budgets allow it', async () => {
      const { store } = await openStore();
      const grant = await store.lease(leaseReq('h1', 150_000, limits(1_000_000, 400_000)));
      expect(grant).toEqual({
        grantedMicros: 150_000,
        leaseId: grant.leaseId,
        heldMicros: 150_000,
        remainingMicros: 250_000,
        settledElsewhere: [],
      });
      expect(grant.leaseId).toBeGreaterThan(0);
      expect(await store.spend('cmp-1', DAY1)).toEqual({
        totalMicros: 0,
        dayMicros: 0,
        leasedMicros: 150_000,
        dayLeasedMicros: 150_000,
      });
    });

    it('never grants more than remains: the second holder gets the rest, the third nothing', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 400_000);
      expect((await store.lease(leaseReq('h1', 300_000, l))).grantedMicros).toBe(300_000);
      const b = await store.lease(leaseReq('h2', 300_000, l));
      expect([b.grantedMicros, b.heldMicros, b.remainingMicros]).toEqual([100_000, 100_000, 0]);
      const c = await store.lease(leaseReq('h3', 1, l));
      expect([c.grantedMicros, c.leaseId, c.heldMicros, c.remainingMicros]).toEqual([0, 0, 0, 0]);
    });

    it('bounds grants by the total budget minus all spend, whatever the daily budget', async () => {
      const { store } = await openStore();
      const l = limits(500_000, 1_000_000);
      const a = await store.lease(leaseReq('h1', 200_000, l));
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 200_000))).toBe('recorded');
      const b = await store.lease(leaseReq('h2', 1_000_000, l));
      expect([b.grantedMicros, b.remainingMicros]).toEqual([300_000, 0]);
    });

    it('shares one budget among concurrent holders without over-granting', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 1_000_000);
      const calls = Array.from({ length: 20 }, (_, i) => store.lease(leaseReq(`h${i % 4}`, 70_000, l)));
      const grants = await Promise.all(calls);
      expect(grants.reduce((sum, g) => sum + g.grantedMicros, 0)).toBe(1_000_000);
      for (const g of grants) expect(g.grantedMicros).toBeLessThanOrEqual(70_000);
      const held = new Map<number, number>();
      for (const g of grants) held.set(g.leaseId, Math.max(held.get(g.leaseId) ?? 0, g.heldMicros));
      expect(held.size).toBe(4);
      expect([...held.values()].reduce((a, b) => a + b, 0)).toBe(1_000_000);
      expect((await store.spend('cmp-1', DAY1)).leasedMicros).toBe(1_000_000);
    });

    it('adds a holder’s later grants to the same lease', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 1_000_000);
      const a = await store.lease(leaseReq('h1', 100_000, l));
      const b = await store.lease(leaseReq('h1', 50_000, l));
      expect(b.leaseId).toBe(a.leaseId);
      expect([b.grantedMicros, b.heldMicros, b.remainingMicros]).toEqual([50_000, 150_000, 850_000]);
    });

    it('settles the clearing price out of the holder’s lease into spend', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 400_000);
      const a = await store.lease(leaseReq('h1', 100_000, l));
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 30_000))).toBe('recorded');
      expect(await store.spend('cmp-1', DAY1)).toEqual({
        totalMicros: 30_000,
        dayMicros: 30_000,
        leasedMicros: 70_000,
        dayLeasedMicros: 70_000,
      });
      const renewed = await store.lease(leaseReq('h1', 0, l));
      expect([renewed.leaseId, renewed.heldMicros, renewed.remainingMicros]).toEqual([
        a.leaseId,
        70_000,
        300_000,
      ]);
    });

    it('counts a retried billing once, whatever cost the retry carries', async () => {
      const { store } = await openStore();
      const a = await store.lease(leaseReq('h1', 100_000, limits(1_000_000, 1_000_000)));
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 30_000))).toBe('recorded');
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 30_000))).toBe('duplicate');
      expect(await store.settle(settleReq('h2', 0, 'bid-1', 99_000))).toBe('duplicate');
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, () => store.settle(settleReq('h1', a.leaseId, 'bid-2', 10_000))),
      );
      expect(concurrent.filter((o) => o === 'recorded')).toHaveLength(1);
      expect(await store.spend('cmp-1', DAY1)).toMatchObject({ totalMicros: 40_000, leasedMicros: 60_000 });
    });

    it('records spend but leaves leases alone when the lease id is not the holder’s live lease', async () => {
      const { store } = await openStore();
      const a = await store.lease(leaseReq('h1', 100_000, limits(1_000_000, 1_000_000)));
      expect(await store.settle(settleReq('h1', 0, 'bid-1', 10_000))).toBe('recorded');
      expect(await store.settle(settleReq('h1', a.leaseId + 1, 'bid-2', 10_000))).toBe('recorded');
      expect(await store.settle(settleReq('h2', a.leaseId, 'bid-3', 10_000))).toBe('recorded');
      expect(await store.spend('cmp-1', DAY1)).toMatchObject({ totalMicros: 30_000, leasedMicros: 100_000 });
    });

    it('takes at most what the lease holds, and never lets it go negative', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 1_000_000);
      const a = await store.lease(leaseReq('h1', 10_000, l));
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 25_000))).toBe('recorded');
      expect(await store.spend('cmp-1', DAY1)).toMatchObject({ totalMicros: 25_000, leasedMicros: 0 });
      const again = await store.lease(leaseReq('h1', 0, l));
      expect([again.leaseId, again.heldMicros, again.remainingMicros]).toEqual([a.leaseId, 0, 975_000]);
    });

    it('releases at most what the lease holds, only from the named live lease', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 200_000);
      const a = await store.lease(leaseReq('h1', 200_000, l));
      const release = (leaseId: number, micros: number) =>
        store.release({ campaignId: 'cmp-1', holder: 'h1', leaseId, dayKey: DAY1, micros });
      expect(await release(a.leaseId + 1, 50_000)).toBe(0);
      expect(await release(a.leaseId, 50_000)).toBe(50_000);
      expect((await store.lease(leaseReq('h2', 80_000, l))).grantedMicros).toBe(50_000);
      expect(await release(a.leaseId, 500_000)).toBe(150_000);
      expect(await release(a.leaseId, 1)).toBe(0);
      expect((await store.spend('cmp-1', DAY1)).leasedMicros).toBe(50_000);
    });

    it('counts a new day against its own daily budget and the remaining total', async () => {
      const { store } = await openStore();
      const a = await store.lease(leaseReq('h1', 100_000, limits(250_000, 100_000, DAY1)));
      expect(a.grantedMicros).toBe(100_000);
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 100_000))).toBe('recorded');
      expect((await store.lease(leaseReq('h2', 1, limits(250_000, 100_000, DAY1)))).grantedMicros).toBe(0);
      const b = await store.lease(leaseReq('h1', 100_000, limits(250_000, 100_000, DAY2)));
      expect([b.grantedMicros, b.heldMicros, b.remainingMicros]).toEqual([100_000, 100_000, 0]);
      expect(b.leaseId).not.toBe(a.leaseId);
      const c = await store.lease(leaseReq('h2', 100_000, limits(250_000, 200_000, DAY2)));
      expect(c.grantedMicros).toBe(50_000); // the total binds: 250k − 100k spent − 100k leased
      expect(await store.spend('cmp-1', DAY1)).toMatchObject({ totalMicros: 100_000, dayMicros: 100_000 });
      expect(await store.spend('cmp-1', DAY2)).toEqual({
        totalMicros: 100_000,
        dayMicros: 0,
        leasedMicros: 150_000,
        dayLeasedMicros: 150_000,
      });
    });

    it('keeps a holder’s earlier-day lease alive while it renews, for bids still in flight', async () => {
      const { store, advance } = await openStore();
      const a = await store.lease(leaseReq('h1', 60_000, limits(1_000_000, 100_000, DAY1), SHORT_TTL));
      await advance(SHORT_TTL * 0.6);
      await store.lease(leaseReq('h1', 10_000, limits(1_000_000, 100_000, DAY2), SHORT_TTL));
      await advance(SHORT_TTL * 0.6);
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 20_000))).toBe('recorded');
      expect(await store.spend('cmp-1', DAY1)).toMatchObject({ dayMicros: 20_000, dayLeasedMicros: 40_000 });
    });

    it('recovers the slice of a holder that stops renewing, and never lets it draw on the slice again', async () => {
      const { store, advance } = await openStore();
      const l = limits(1_000_000, 400_000);
      const crashed = await store.lease(leaseReq('h1', 400_000, l, SHORT_TTL));
      expect((await store.lease(leaseReq('h2', 100_000, l))).grantedMicros).toBe(0);
      await advance(SHORT_TTL + 100);
      const b = await store.lease(leaseReq('h2', 400_000, l));
      expect(b.grantedMicros).toBe(400_000);
      // A late billing of the crashed holder's bid is spend, but takes nothing from h2's lease.
      expect(await store.settle(settleReq('h1', crashed.leaseId, 'bid-1', 5_000))).toBe('recorded');
      expect(await store.spend('cmp-1', DAY1)).toEqual({
        totalMicros: 5_000,
        dayMicros: 5_000,
        leasedMicros: 400_000,
        dayLeasedMicros: 400_000,
      });
      const back = await store.lease(leaseReq('h1', 0, l));
      expect([back.leaseId, back.heldMicros, back.grantedMicros]).toEqual([0, 0, 0]);
    });

    it('keeps a lease that is renewed before it expires', async () => {
      const { store, advance } = await openStore();
      const l = limits(1_000_000, 1_000_000);
      const a = await store.lease(leaseReq('h1', 100_000, l, SHORT_TTL));
      await advance(SHORT_TTL * 0.6);
      expect((await store.lease(leaseReq('h1', 0, l, SHORT_TTL))).leaseId).toBe(a.leaseId);
      await advance(SHORT_TTL * 0.6);
      const c = await store.lease(leaseReq('h1', 0, l, SHORT_TTL));
      expect([c.leaseId, c.heldMicros]).toEqual([a.leaseId, 100_000]);
    });

    it('hands a holder its reservations settled by other instances, once', async () => {
      const { store } = await openStore();
      const l = limits(1_000_000, 1_000_000);
      const a = await store.lease(leaseReq('h1', 100_000, l));
      const elsewhere = { reservationId: 'h1.r7', notifyHolder: true };
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 12_000, elsewhere))).toBe('recorded');
      expect(await store.settle(settleReq('h1', a.leaseId, 'bid-1', 12_000, elsewhere))).toBe('duplicate');
      // Not the live lease: nobody to tell.
      expect(await store.settle(settleReq('h1', a.leaseId + 5, 'bid-2', 1_000, elsewhere))).toBe('recorded');
      const next = await store.lease(leaseReq('h1', 0, l));
      expect(next.settledElsewhere).toEqual([
        { reservationId: 'h1.r7', costMicros: 12_000, dayKey: DAY1, leaseId: a.leaseId },
      ]);
      expect(next.heldMicros).toBe(88_000);
      expect((await store.lease(leaseReq('h1', 0, l))).settledElsewhere).toEqual([]);
    });

    it('grants nothing when the budget was lowered below what is committed', async () => {
      const { store } = await openStore();
      const a = await store.lease(leaseReq('h1', 300_000, limits(1_000_000, 1_000_000)));
      const b = await store.lease(leaseReq('h1', 10_000, limits(200_000, 200_000)));
      expect([b.grantedMicros, b.leaseId, b.heldMicros, b.remainingMicros]).toEqual([
        0,
        a.leaseId,
        300_000,
        0,
      ]);
    });

    it('refuses malformed amounts, ids and day keys with BUDGET_INVALID_ARGUMENT', async () => {
      const { store } = await openStore();
      const l = limits(1_000, 1_000);
      const bad: Promise<unknown>[] = [
        store.lease(leaseReq('h1', -1, l)),
        store.lease(leaseReq('h1', 1.5, l)),
        store.lease(leaseReq('h|1', 1, l)),
        store.lease(leaseReq('h1', 1, limits(-1, 1_000))),
        store.lease(leaseReq('h1', 1, limits(1_000, 1_000, '2025-3-1'))),
        store.lease(leaseReq('h1', 1, l, 0)),
        store.settle(settleReq('h1', 1, 'bid 1', 1)),
        store.settle(settleReq('h1', 1, 'bid-1', -5)),
        store.settle(settleReq('h1', -1, 'bid-1', 5)),
        store.settle(settleReq('h1', 1, 'bid-1', 5, { notifyHolder: true })),
        store.release({ campaignId: 'cmp-1', holder: 'h1', leaseId: 1, dayKey: DAY1, micros: Number.NaN }),
        store.spend('{cmp}', DAY1),
      ];
      for (const p of bad) expect((await rejection(p)).code).toBe('BUDGET_INVALID_ARGUMENT');
      expect(await store.spend('cmp-1', DAY1)).toEqual({
        totalMicros: 0,
        dayMicros: 0,
        leasedMicros: 0,
        dayLeasedMicros: 0,
      });
    });

    it('rejects calls after close() with STORE_CLOSED', async () => {
      const { store } = await openStore();
      await store.close();
      expect((await rejection(store.lease(leaseReq('h1', 1, limits(1, 1))))).code).toBe('STORE_CLOSED');
      expect((await rejection(store.spend('cmp-1', DAY1))).code).toBe('STORE_CLOSED');
    });
  });
}
