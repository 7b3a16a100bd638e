import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import type { BudgetError } from '../../core/store/budget-errors.ts';
import { MemoryBudgetStore } from '../../core/store/budget-memory-store.ts';
import type {
  BudgetSpend,
  BudgetStore,
  LeaseGrant,
  LeaseRequest,
  ReleaseRequest,
  SettleOutcome,
  SettleRequest,
} from '../../core/store/budget-store.ts';
import {
  BudgetGate,
  type BudgetGateOptions,
  type GateCampaignBudget,
  type Reservation,
} from './budget-gate.ts';

type Mode = 'ok' | 'fail' | 'hang' | 'lose-reply';

/**
 * A real MemoryBudgetStore behind a switch: 'fail' rejects at once (Redis refused), 'hang' holds
 * each call until `release()` then runs it (a slow Redis), 'lose-reply' runs the call and then
 * rejects (a connection dropped after the script ran). Counts lease calls.
 */
class SwitchableStore implements BudgetStore {
  mode: Mode = 'ok';
  leaseCalls = 0;
  readonly inner: MemoryBudgetStore;
  readonly #held: (() => void)[] = [];
  constructor(clock: ManualClock) {
    this.inner = new MemoryBudgetStore({ clock });
  }
  lease(r: LeaseRequest): Promise<LeaseGrant> {
    this.leaseCalls += 1;
    return this.#call(() => this.inner.lease(r));
  }
  settle(r: SettleRequest): Promise<SettleOutcome> {
    return this.#call(() => this.inner.settle(r));
  }
  release(r: ReleaseRequest): Promise<number> {
    return this.#call(() => this.inner.release(r));
  }
  spend(campaignId: string, dayKey: string): Promise<BudgetSpend> {
    return this.inner.spend(campaignId, dayKey);
  }
  ready(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** Lets every held call run now. */
  releaseHeld(): void {
    for (const run of this.#held.splice(0)) run();
  }
  #call<T>(run: () => Promise<T>): Promise<T> {
    switch (this.mode) {
      case 'ok':
        return run();
      case 'fail':
        return Promise.reject(new Error('connect ECONNREFUSED'));
      case 'lose-reply':
        return run().then(() => Promise.reject(new Error('connection lost')));
      case 'hang':
        return new Promise<T>((resolve, reject) => this.#held.push(() => run().then(resolve, reject)));
    }
  }
}

const DAY1 = '2025-03-01';
const START = Date.UTC(2025, 2, 1, 12); // noon UTC on DAY1
const settleIn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(
  budgets: Record<string, GateCampaignBudget> = {
    c1: { totalBudgetMicros: 10_000_000, dailyBudgetMicros: 1_000_000, timeZone: 'UTC' },
  },
  options: Partial<BudgetGateOptions> = {},
) {
  const clock = new ManualClock(START);
  const store = new SwitchableStore(clock);
  const errors: BudgetError[] = [];
  const gate = new BudgetGate({
    store,
    clock,
    holder: 'i1',
    budgetOf: (id) => budgets[id],
    leaseTtlMs: 30_000,
    leaseMarginMs: 1_000,
    storeDeadlineMs: 20,
    retryMs: 1_000,
    onError: (err) => errors.push(err),
    ...options,
  });
  return { clock, store, gate, errors, budgets };
}

/** Reserves until granted, letting background refills land in between (at most `tries`). */
async function reserve(
  gate: BudgetGate,
  campaignId: string,
  micros: number,
  tries = 5,
): Promise<Reservation> {
  for (let i = 0; i < tries; i++) {
    const r = gate.tryReserve(campaignId, micros);
    if (r !== undefined) return r;
    await settleIn();
  }
  throw new Error('no reservation granted');
}

describe('BudgetGate', () => {
  it('starts with no balance, leases a slice in the background, then reserves locally', async () => {
    const { gate, store } = setup();
    expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    expect(gate.counters().denied.pending).toBe(1);
    expect(store.leaseCalls).toBe(1);
    await settleIn();
    // Slice: 10 bids of the largest reservation seen (10 × 1 000), under 10% of the daily budget.
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 10_000, reservedMicros: 0 });
    const r = gate.tryReserve('c1', 1_000);
    expect(r).toMatchObject({
      campaignId: 'c1',
      holder: 'i1',
      dayKey: DAY1,
      leaseId: 1,
      reservedMicros: 1_000,
    });
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_000, reservedMicros: 1_000 });
    expect(await store.spend('c1', DAY1)).toMatchObject({ totalMicros: 0, leasedMicros: 10_000 });
  });

  it('refills below half a slice with one lease call in flight, however many bids arrive', async () => {
    const { gate, store } = setup();
    await reserve(gate, 'c1', 1_000);
    for (let i = 0; i < 4; i++) expect(gate.tryReserve('c1', 1_000)).toBeDefined();
    expect(store.leaseCalls).toBe(1); // 5 000 left of a 10 000 slice: not below half yet
    store.mode = 'hang';
    for (let i = 0; i < 5; i++) expect(gate.tryReserve('c1', 1_000)).toBeDefined();
    expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    expect(store.leaseCalls).toBe(2); // one refill, started at 4 000 left, still in flight
    store.mode = 'ok';
    store.releaseHeld();
    await settleIn();
    expect(gate.tryReserve('c1', 1_000)).toBeDefined();
    await settleIn(); // a refill started by that grant or bid lands
    const { availableMicros, reservedMicros } = gate.balance('c1');
    expect(availableMicros + reservedMicros).toBe((await store.spend('c1', DAY1)).leasedMicros);
  });

  it('settles at the clearing price: cost to spend, the rest of the reservation back to the balance', async () => {
    const { gate, store } = setup();
    const r = await reserve(gate, 'c1', 1_000);
    expect(await gate.settle(r, 'bid-1', 400)).toBe('recorded');
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_600, reservedMicros: 0 });
    expect(await store.spend('c1', DAY1)).toMatchObject({
      totalMicros: 400,
      dayMicros: 400,
      leasedMicros: 9_600,
    });
    expect(gate.counters().settled).toEqual({ recorded: 1, duplicate: 0, queued: 0 });
  });

  it('counts a retried billing once, on this instance or another', async () => {
    const { gate, store, clock } = setup();
    const other = new BudgetGate({
      store,
      clock,
      holder: 'i2',
      budgetOf: () => undefined,
      storeDeadlineMs: 20,
      onError: () => undefined,
    });
    const r = await reserve(gate, 'c1', 1_000);
    expect(await gate.settle(r, 'bid-1', 700)).toBe('recorded');
    expect(await gate.settle(r, 'bid-1', 700)).toBe('duplicate');
    expect(await other.settle(r, 'bid-1', 700)).toBe('duplicate');
    expect(gate.balance('c1').availableMicros).toBe(9_300);
    expect(await store.spend('c1', DAY1)).toMatchObject({ totalMicros: 700, leasedMicros: 9_300 });
  });

  it('takes billing received by another instance out of this one’s reservation on its next lease call', async () => {
    const { gate, store, clock } = setup();
    const other = new BudgetGate({
      store,
      clock,
      holder: 'i2',
      budgetOf: () => undefined,
      storeDeadlineMs: 20,
    });
    const r = await reserve(gate, 'c1', 1_000);
    expect(await other.settle(r, 'bid-1', 300)).toBe('recorded');
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_000, reservedMicros: 1_000 });
    clock.advance(15_000); // renewal due
    gate.tick();
    await settleIn();
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_700, reservedMicros: 0 });
    expect(await store.spend('c1', DAY1)).toMatchObject({ totalMicros: 300, leasedMicros: 9_700 });
    expect(gate.counters().reconciledMicros).toBe(0);
  });

  it('stops at the budget: exhausted, with every granted micro accounted for', async () => {
    const { gate, store } = setup({
      c1: { totalBudgetMicros: 5_500, dailyBudgetMicros: 10_000, timeZone: 'UTC' },
    });
    const granted: Reservation[] = [];
    for (let i = 0; i < 50; i++) {
      const r = gate.tryReserve('c1', 1_000);
      if (r !== undefined) granted.push(r);
      await settleIn();
    }
    expect(granted).toHaveLength(5);
    expect(gate.counters().denied.exhausted).toBeGreaterThan(0);
    expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    for (const [i, r] of granted.entries()) await gate.settle(r, `bid-${i}`, 1_000);
    expect(await store.spend('c1', DAY1)).toMatchObject({ totalMicros: 5_000, leasedMicros: 500 });
    // 500 left: too little for a 1 000 bid, enough for a 500 one.
    expect(gate.tryReserve('c1', 500)).toBeDefined();
  });

  it('asks the store at most once per retryMs while exhausted', async () => {
    const { gate, store, clock } = setup({
      c1: { totalBudgetMicros: 0, dailyBudgetMicros: 0, timeZone: 'UTC' },
    });
    expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    await settleIn();
    for (let i = 0; i < 100; i++) expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    expect(store.leaseCalls).toBe(1);
    expect(gate.counters().denied.exhausted).toBe(100);
    clock.advance(1_000);
    gate.tryReserve('c1', 1_000);
    expect(store.leaseCalls).toBe(2);
  });

  it('gives a reservation back when its bid is lost, or when it expires unbilled (bid.exp aware)', async () => {
    const { gate, clock, store } = setup();
    const lost = await reserve(gate, 'c1', 1_000);
    gate.release(lost);
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 10_000, reservedMicros: 0 });
    const short = gate.tryReserve('c1', 1_000, { expiresInMs: 5_000 });
    const long = gate.tryReserve('c1', 1_000);
    expect(short && long).toBeDefined();
    clock.advance(4_999);
    gate.tick();
    expect(gate.balance('c1').reservedMicros).toBe(2_000);
    clock.advance(1);
    gate.tick();
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_000, reservedMicros: 1_000 });
    expect(gate.counters().expired).toBe(1);
    // Billed after all: spend counts, and the cost comes out of the balance it went back to.
    expect(await gate.settle(short!, 'bid-late', 600)).toBe('recorded');
    expect(gate.balance('c1').availableMicros).toBe(8_400);
    const spend = await store.spend('c1', DAY1);
    expect([spend.totalMicros, spend.leasedMicros]).toEqual([600, 9_400]);
  });

  it('fails closed while the store is down: no grant once the lease window ends, then recovers by itself', async () => {
    const { gate, store, clock, errors } = setup();
    const before = await reserve(gate, 'c1', 1_000);
    store.mode = 'fail';
    expect(await gate.settle(before, 'bid-1', 500)).toBe('queued');
    expect(gate.storeDown).toBe(true);
    // Still inside the window of the lease we hold: spending it is safe.
    expect(gate.tryReserve('c1', 1_000)).toBeDefined();
    for (let t = 0; t < 29_000; t += 500) {
      clock.advance(500);
      gate.tick();
      await settleIn();
    }
    // 30 s TTL − 1 s margin after the lease was sent: the store may reclaim it soon, so stop.
    expect(gate.balance('c1').usableForMs).toBe(0);
    expect(gate.balance('c1').availableMicros).toBeGreaterThanOrEqual(1_000);
    for (let i = 0; i < 10; i++) expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    expect(gate.counters().denied.store_down).toBe(10);
    expect(gate.queuedSettlements).toBe(1);
    store.mode = 'ok';
    clock.advance(1_000);
    gate.tick();
    await settleIn();
    expect(gate.storeDown).toBe(false);
    expect(gate.tryReserve('c1', 1_000)).toBeDefined();
    await settleIn();
    expect(gate.queuedSettlements).toBe(0);
    expect((await store.spend('c1', DAY1)).totalMicros).toBe(500);
    expect(errors.map((e) => e.code)).toEqual(['BUDGET_STORE_DOWN', 'BUDGET_STORE_RECOVERED']);
  });

  it('treats a store slower than the deadline as down, and applies its late grant when it comes', async () => {
    const { gate, store, clock } = setup();
    await reserve(gate, 'c1', 1_000);
    store.mode = 'hang';
    clock.advance(15_000);
    gate.tick(); // renewal, which hangs
    await sleep(40);
    expect(gate.storeDown).toBe(true);
    clock.advance(14_500); // past the window of the last answered lease call
    expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    expect(gate.counters().denied.store_down).toBe(1);
    store.mode = 'ok';
    store.releaseHeld(); // both slow calls land; the later one, sent at 29.5 s, sets the window
    await settleIn();
    expect(gate.storeDown).toBe(false);
    expect(gate.balance('c1').usableForMs).toBe(29_000);
    expect(gate.tryReserve('c1', 1_000)).toBeDefined();
  });

  it('writes off a lease the store let expire during an outage, and spends only the new one', async () => {
    const { gate, store, clock } = setup();
    const old = await reserve(gate, 'c1', 1_000);
    store.mode = 'fail';
    clock.advance(31_000); // beyond the store's TTL: the 10 000 slice went back to the pool
    gate.tick();
    await settleIn();
    store.mode = 'ok';
    clock.advance(1_000);
    gate.tick();
    await settleIn();
    const fresh = await reserve(gate, 'c1', 1_000);
    expect(fresh.leaseId).toBe(2);
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_000, reservedMicros: 2_000 });
    // The old bid is billed: spend counts, but neither the dead lease nor the new one pays twice.
    expect(await gate.settle(old, 'bid-old', 800)).toBe('recorded');
    expect(gate.balance('c1')).toMatchObject({ availableMicros: 9_000, reservedMicros: 1_000 });
    expect(await store.spend('c1', DAY1)).toMatchObject({ totalMicros: 800, leasedMicros: 10_000 });
  });

  it('corrects its balance from the store after a lost reply, on the next quiet lease call', async () => {
    const { gate, store, clock } = setup();
    const r = await reserve(gate, 'c1', 1_000);
    store.mode = 'lose-reply';
    expect(await gate.settle(r, 'bid-1', 1_000)).toBe('queued'); // ran, but we could not know
    store.mode = 'ok';
    clock.advance(1_000);
    gate.tick(); // the retry answers 'duplicate'
    await settleIn();
    expect(gate.counters().settled).toMatchObject({ recorded: 0, duplicate: 1, queued: 1 });
    // A refill whose reply is lost (at 4 000 left, asking 6 000): the store holds 6 000 more for
    // us than we know of.
    store.mode = 'lose-reply';
    for (let i = 0; i < 6; i++) expect(gate.tryReserve('c1', 1_000)).toBeDefined();
    await settleIn();
    store.mode = 'ok';
    const known = gate.balance('c1');
    const held = (await store.spend('c1', DAY1)).leasedMicros;
    expect(held - (known.availableMicros + known.reservedMicros)).toBe(6_000);
    clock.advance(15_000);
    gate.tick();
    await settleIn();
    const after = gate.balance('c1');
    expect(after.availableMicros + after.reservedMicros).toBe((await store.spend('c1', DAY1)).leasedMicros);
    expect(gate.counters().reconciledMicros).toBe(6_000);
  });

  it('rolls over at midnight in the campaign’s zone: the new day leases afresh, the old day’s rest goes back', async () => {
    const { gate, store, clock } = setup({
      c1: { totalBudgetMicros: 10_000_000, dailyBudgetMicros: 100_000, timeZone: 'America/New_York' },
    });
    clock.set(Date.UTC(2025, 2, 2, 4, 59, 50)); // 23:59:50 on Mar 1 in New York (UTC−5)
    const late = await reserve(gate, 'c1', 1_000);
    expect(late.dayKey).toBe(DAY1);
    clock.advance(10_000); // midnight in New York
    const early = await reserve(gate, 'c1', 1_000);
    expect(early.dayKey).toBe('2025-03-02');
    expect(early.leaseId).not.toBe(late.leaseId);
    await settleIn();
    // Mar 1 keeps only the bid in flight; its unreserved 9 000 went back.
    expect(await store.spend('c1', DAY1)).toMatchObject({ dayLeasedMicros: 1_000 });
    expect(await gate.settle(late, 'bid-late', 1_000)).toBe('recorded');
    expect(await store.spend('c1', DAY1)).toMatchObject({ dayMicros: 1_000, dayLeasedMicros: 0 });
    expect(await store.spend('c1', '2025-03-02')).toMatchObject({ dayMicros: 0, dayLeasedMicros: 10_000 });
  });

  it('denies campaigns without a budget and returns the balance of one that loses it', async () => {
    const { gate, store, clock, budgets } = setup();
    expect(gate.tryReserve('nope', 1_000)).toBeUndefined();
    expect(gate.counters().denied.unknown_campaign).toBe(1);
    await reserve(gate, 'c1', 1_000);
    delete budgets.c1;
    clock.advance(100);
    gate.tick();
    await settleIn();
    expect(gate.tryReserve('c1', 1_000)).toBeUndefined();
    expect(gate.counters().denied.unknown_campaign).toBe(2);
    expect(await store.spend('c1', DAY1)).toMatchObject({ leasedMicros: 1_000 }); // the bid in flight only
  });

  it('returns a campaign’s unused balance after idleReleaseMs without bids, and on close()', async () => {
    const { gate, store, clock } = setup(undefined, { idleReleaseMs: 10_000 });
    const r = await reserve(gate, 'c1', 1_000);
    await gate.settle(r, 'bid-1', 1_000);
    clock.advance(10_000);
    gate.tick();
    await settleIn();
    expect(await store.spend('c1', DAY1)).toMatchObject({ totalMicros: 1_000, leasedMicros: 0 });
    await reserve(gate, 'c1', 1_000);
    expect(await gate.close()).toEqual({ unsentSettlements: 0 });
    expect(await store.spend('c1', DAY1)).toMatchObject({ leasedMicros: 1_000 });
  });

  it('refuses malformed amounts and ids with BUDGET_INVALID_ARGUMENT', async () => {
    const { gate } = setup();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as BudgetError).code;
      }
      return 'no error';
    };
    expect(code(() => gate.tryReserve('c1', 0))).toBe('BUDGET_INVALID_ARGUMENT');
    expect(code(() => gate.tryReserve('c1', 1.5))).toBe('BUDGET_INVALID_ARGUMENT');
    const r = await reserve(gate, 'c1', 1_000);
    await expect(gate.settle(r, 'bid 1', 5)).rejects.toMatchObject({ code: 'BUDGET_INVALID_ARGUMENT' });
    await expect(gate.settle(r, 'bid-1', -5)).rejects.toMatchObject({ code: 'BUDGET_INVALID_ARGUMENT' });
    expect(gate.balance('c1').reservedMicros).toBe(1_000);
    expect(code(() => new BudgetGate({ ...baseOptions(), holder: 'a|b' }))).toBe('BUDGET_INVALID_ARGUMENT');
  });
});

function baseOptions(): BudgetGateOptions {
  const clock = new ManualClock(START);
  return { store: new MemoryBudgetStore({ clock }), clock, holder: 'i1', budgetOf: () => undefined };
}
