import type { Clock } from '../../core/index.ts';
import { BudgetDayKeys } from '../../core/store/budget-day-key.ts';
import { BudgetError } from '../../core/store/budget-errors.ts';
import {
  type BudgetStore,
  checkSettleRequest,
  type LeaseGrant,
  MAX_LEASE_TTL_MS,
  type SettledElsewhere,
  type SettleOutcome,
  type SettleRequest,
} from '../../core/store/budget-store.ts';

/** A campaign's budgets as the gate needs them (a `Campaign` fits). */
export interface GateCampaignBudget {
  readonly totalBudgetMicros: number;
  readonly dailyBudgetMicros: number;
  /** IANA zone of the daily budget. */
  readonly timeZone: string;
}

/** Options of `BudgetGate`. Durations are milliseconds; the defaults are argued on the class. */
export interface BudgetGateOptions {
  readonly store: BudgetStore;
  /** Lease windows, reservation expiry and spend-rate estimates run on this clock; day keys on its wall time. */
  readonly clock: Clock;
  /** This instance's holder id, unique per process start (e.g. `host-pid-startMs`); ≤ 96 characters of `[A-Za-z0-9_.:-]`. */
  readonly holder: string;
  /** The current budgets of a campaign, or undefined when it must not spend (unknown, paused, deleted). */
  readonly budgetOf: (campaignId: string) => GateCampaignBudget | undefined;
  /** Lease lifetime in the store (default 30 000). */
  readonly leaseTtlMs?: number;
  /** The gate stops spending a lease this long before the store could expire it (default 1 000). */
  readonly leaseMarginMs?: number;
  /** A store call slower than this counts as a failure (default 250). */
  readonly storeDeadlineMs?: number;
  /** Wait between attempts after a store failure, and between asks once a campaign is exhausted (default 1 000). */
  readonly retryMs?: number;
  /** Default life of a reservation whose bid is never billed nor released (default 60 000). */
  readonly reservationTtlMs?: number;
  /** A slice aims to cover this much of the instance's recent spend (default 5 000). */
  readonly sliceHorizonMs?: number;
  /** A slice covers at least this many of the largest reservation seen (default 10). */
  readonly minSliceBids?: number;
  /** A slice is at most this share of min(daily, total) budget (default 0.1). */
  readonly maxSliceShare?: number;
  /**
   * A slice is at least this share of min(daily, total) budget (default 0.01), so a burst right
   * after start (before the spend rate is known) finds budget instead of a lease on its way.
   */
  readonly minSliceShare?: number;
  /** Unreserved budget of a campaign without reservations for this long goes back to the pool (default 60 000). */
  readonly idleReleaseMs?: number;
  /** Store outages (once when it starts, once when it ends); default stderr. */
  readonly onError?: (err: BudgetError) => void;
}

/**
 * Why `tryReserve` said no: `exhausted` — the store had nothing uncommitted left (all spent, leased
 * or reserved) at the last ask; `store_down` — the store failed or was slow and the local lease
 * cannot cover the bid; `pending` — a lease is on its way (cold start, burst, new day);
 * `unknown_campaign` — `budgetOf` gave no budget.
 */
export type BudgetDenialReason = 'exhausted' | 'store_down' | 'pending' | 'unknown_campaign';

/** Every denial reason, for metrics labels. */
export const BUDGET_DENIAL_REASONS: readonly BudgetDenialReason[] = [
  'exhausted',
  'store_down',
  'pending',
  'unknown_campaign',
];

/** What identifies a reservation to whichever instance receives its billing: carry it in the notice URLs (signed). */
export interface ReservationRef {
  /** Unique per gate: `<holder>.<counter>`. */
  readonly id: string;
  readonly campaignId: string;
  readonly holder: string;
  /** The day whose budget covers the bid. */
  readonly dayKey: string;
  /** The store lease the reservation draws on. */
  readonly leaseId: number;
}

/** Budget held locally for one bid until it is billed, released or expires. */
export interface Reservation extends ReservationRef {
  /** The bid's maximum possible cost, account micros. */
  readonly reservedMicros: number;
}

/** What `BudgetGate.settle` learnt: the store's answer, or 'queued' when the store did not answer in time (it is retried). */
export type GateSettleOutcome = SettleOutcome | 'queued';

/** Counters for /metrics; monotonic except where noted. */
export interface BudgetGateCounters {
  reserved: number;
  denied: Record<BudgetDenialReason, number>;
  leaseCalls: number;
  leaseFailures: number;
  grantedMicros: number;
  releasedMicros: number;
  settled: Record<GateSettleOutcome, number>;
  settleRetries: number;
  expired: number;
  /** Σ |local − store| corrected when a quiet lease answer disagreed with the local view. */
  reconciledMicros: number;
}

/** A campaign's local view of one store lease (one per day; a new one when the store lost the old). */
interface DayLease {
  readonly dayKey: string;
  /** 0 until the store has granted something. */
  leaseId: number;
  /** Leased and unreserved. Negative after a late billing of an expired reservation (a debt). */
  avail: number;
  /** Σ reserved of live reservations drawing on it. */
  inflight: number;
  /** The store no longer has it: nothing more is drawn from it, nothing returns to it. */
  dead: boolean;
}

interface Held {
  readonly ref: Reservation;
  readonly lease: DayLease;
  readonly state: CampaignState;
  readonly expiresAtMono: number;
}

interface Closed {
  kind: 'settled' | 'expired';
  readonly lease: DayLease;
  readonly atMono: number;
}

interface CampaignState {
  readonly id: string;
  budget: GateCampaignBudget;
  /** `budgetOf` answered undefined at the last tick: no new reservations, no new leases. */
  disabled: boolean;
  current: DayLease;
  /** Earlier-day or dead leases with reservations still in flight. */
  readonly old: Set<DayLease>;
  /** The holder's leases on this campaign are usable before this (monotonic). */
  usableUntil: number;
  renewAt: number;
  leaseCallsInFlight: number;
  /** No lease call before this (exhausted campaign). */
  askAfter: number;
  exhausted: boolean;
  /** Own settle/release calls not yet answered, or queued for retry. */
  pendingOps: number;
  /** Bumped when an own settle/release starts, so a lease answer knows whether it raced one. */
  opEpoch: number;
  /** Reserved micros per ms, exponentially decayed over `sliceHorizonMs`. */
  rate: number;
  rateAt: number;
  maxBidMicros: number;
  lastReserveAt: number;
}

interface QueuedSettle {
  readonly state: CampaignState;
  readonly request: SettleRequest;
}

const HOLDER = /^[A-Za-z0-9_.:-]{1,96}$/;

const defaultOnError = (err: BudgetError) => console.error(`[outbid budget] ${err.code}: ${err.message}`);

/**
 * The hot-path side of budgets, one per bidder instance. `tryReserve` is synchronous and answers
 * from locally leased balances, so a bid costs no Redis round trip; leases are refilled in the
 * background (one call in flight per campaign, never awaited by a bid) when a campaign's balance
 * falls below half its target slice, and renewed at half their TTL.
 *
 * Sizing (why these defaults): a slice aims at `sliceHorizonMs` (5 s) of this instance's recent
 * demand, so refilling at half a slice costs one lease call per campaign per ~2.5 s of steady
 * spend whatever the bid rate (plus a renewal per TTL/2 = 15 s) — with a
 * floor of 10 max bids so a slow campaign does not ask for every bid, and a cap of 10% of the
 * smaller budget so one instance cannot strand much of it: at exhaustion each instance holds at
 * most one slice it may not use, and what it holds unused for `idleReleaseMs` goes back.
 *
 * Fail closed: the lease is usable until `send time + leaseTtlMs − leaseMarginMs` on this clock —
 * never later than the store expires it, since the store counts its TTL from when the call ran,
 * after it was sent. While the store is down or slower than `storeDeadlineMs`, renewals fail,
 * so within one TTL the gate stops granting (`store_down`); billing keeps being recorded locally
 * and queued (settles are idempotent per bid id, so retries are safe), and the first successful
 * call restores everything without a restart.
 *
 * Exactness: the local view of a lease (available + reserved) and the store's `heldMicros` move
 * together — a settle moves its cost out of both, the rest of the reservation back to available.
 * Billing that lands on another instance is settled there against this holder's lease and handed
 * back through the store (`settledElsewhere`). Whatever still drifts (a reply lost with a dropped
 * connection) is corrected from the store's figure on the next lease answer that raced no other
 * call of ours (`reconciledMicros`).
 *
 * Call `tick()` every 100–1000 ms (or `start()`): it expires reservations, renews, refills idle
 * campaigns, retries queued settlements and rolls daily leases over at midnight.
 */
export class BudgetGate {
  readonly #store: BudgetStore;
  readonly #clock: Clock;
  readonly #holder: string;
  readonly #budgetOf: (campaignId: string) => GateCampaignBudget | undefined;
  readonly #leaseTtlMs: number;
  readonly #leaseMarginMs: number;
  readonly #deadlineMs: number;
  readonly #retryMs: number;
  readonly #reservationTtlMs: number;
  readonly #horizonMs: number;
  readonly #minSliceBids: number;
  readonly #maxSliceShare: number;
  readonly #minSliceShare: number;
  readonly #idleReleaseMs: number;
  readonly #onError: (err: BudgetError) => void;
  readonly #dayKeys = new BudgetDayKeys();
  readonly #campaigns = new Map<string, CampaignState>();
  readonly #held = new Map<string, Held>();
  /** Recently settled or expired reservation ids, so late or repeated billing is applied right. */
  readonly #closed = new Map<string, Closed>();
  readonly #queue: QueuedSettle[] = [];
  /** Lease calls in flight, for `warm`. */
  readonly #leaseCalls = new Set<Promise<unknown>>();
  #seq = 0;
  #storeDown = false;
  #storeRetryAt = 0;
  #flushing = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #counters: BudgetGateCounters = {
    reserved: 0,
    denied: { exhausted: 0, store_down: 0, pending: 0, unknown_campaign: 0 },
    leaseCalls: 0,
    leaseFailures: 0,
    grantedMicros: 0,
    releasedMicros: 0,
    settled: { recorded: 0, duplicate: 0, queued: 0 },
    settleRetries: 0,
    expired: 0,
    reconciledMicros: 0,
  };

  constructor(o: BudgetGateOptions) {
    if (!HOLDER.test(o.holder)) {
      throw new BudgetError('BUDGET_INVALID_ARGUMENT', `holder must match ${HOLDER.source}, got ${o.holder}`);
    }
    this.#store = o.store;
    this.#clock = o.clock;
    this.#holder = o.holder;
    this.#budgetOf = o.budgetOf;
    this.#leaseTtlMs = positive('leaseTtlMs', o.leaseTtlMs ?? 30_000);
    if (!Number.isSafeInteger(this.#leaseTtlMs) || this.#leaseTtlMs > MAX_LEASE_TTL_MS) {
      throw new BudgetError('BUDGET_INVALID_ARGUMENT', `leaseTtlMs must be an integer ≤ ${MAX_LEASE_TTL_MS}`);
    }
    this.#leaseMarginMs = nonNegative('leaseMarginMs', o.leaseMarginMs ?? 1_000);
    if (this.#leaseMarginMs >= this.#leaseTtlMs) {
      throw new BudgetError('BUDGET_INVALID_ARGUMENT', 'leaseMarginMs must be below leaseTtlMs');
    }
    this.#deadlineMs = positive('storeDeadlineMs', o.storeDeadlineMs ?? 250);
    this.#retryMs = positive('retryMs', o.retryMs ?? 1_000);
    this.#reservationTtlMs = positive('reservationTtlMs', o.reservationTtlMs ?? 60_000);
    this.#horizonMs = positive('sliceHorizonMs', o.sliceHorizonMs ?? 5_000);
    this.#minSliceBids = positive('minSliceBids', o.minSliceBids ?? 10);
    this.#maxSliceShare = o.maxSliceShare ?? 0.1;
    this.#minSliceShare = nonNegative('minSliceShare', o.minSliceShare ?? 0.01);
    if (this.#minSliceShare > this.#maxSliceShare) {
      throw new BudgetError('BUDGET_INVALID_ARGUMENT', 'minSliceShare must not exceed maxSliceShare');
    }
    if (!(this.#maxSliceShare > 0 && this.#maxSliceShare <= 1)) {
      throw new BudgetError('BUDGET_INVALID_ARGUMENT', 'maxSliceShare must be in (0, 1]');
    }
    this.#idleReleaseMs = positive('idleReleaseMs', o.idleReleaseMs ?? 60_000);
    this.#onError = o.onError ?? defaultOnError;
  }

  /** This instance's holder id. */
  get holder(): string {
    return this.#holder;
  }

  /**
   * Reserves `maxCostMicros` (the bid's highest possible cost) from the local lease, or answers
   * undefined and counts the reason. Synchronous, no I/O; may start a background refill.
   * `expiresInMs` (e.g. from `bid.exp`) overrides the default reservation life.
   */
  tryReserve(
    campaignId: string,
    maxCostMicros: number,
    options?: { readonly expiresInMs?: number },
  ): Reservation | undefined {
    if (!Number.isSafeInteger(maxCostMicros) || maxCostMicros < 1) {
      throw new BudgetError(
        'BUDGET_INVALID_ARGUMENT',
        `maxCostMicros must be a positive integer, got ${maxCostMicros}`,
      );
    }
    const expiresInMs = options?.expiresInMs ?? this.#reservationTtlMs;
    if (!(expiresInMs > 0 && Number.isFinite(expiresInMs))) {
      throw new BudgetError(
        'BUDGET_INVALID_ARGUMENT',
        `expiresInMs must be a positive number, got ${expiresInMs}`,
      );
    }
    const state = this.#stateOf(campaignId);
    if (state === undefined || state.disabled) return this.#deny('unknown_campaign');
    const now = this.#clock.monotonic();
    this.#track(state, maxCostMicros, now);
    const lease = state.current;
    if (now < state.usableUntil && !lease.dead && lease.leaseId !== 0 && lease.avail >= maxCostMicros) {
      const ref: Reservation = {
        id: `${this.#holder}.${(++this.#seq).toString(36)}`,
        campaignId,
        holder: this.#holder,
        dayKey: lease.dayKey,
        leaseId: lease.leaseId,
        reservedMicros: maxCostMicros,
      };
      lease.avail -= maxCostMicros;
      lease.inflight += maxCostMicros;
      this.#held.set(ref.id, {
        ref,
        lease,
        state,
        expiresAtMono: now + expiresInMs,
      });
      state.lastReserveAt = now;
      this.#counters.reserved += 1;
      this.#maybeRefill(state, now);
      return ref;
    }
    this.#maybeRefill(state, now);
    if (this.#storeDown) return this.#deny('store_down');
    if (state.exhausted) return this.#deny('exhausted');
    return this.#deny('pending');
  }

  /**
   * What `tryReserve(campaignId, maxCostMicros)` would answer now, without reserving or counting:
   * undefined when the local lease covers it, else the reason. Like `tryReserve` it starts a
   * refill when the balance runs low, so a campaign first seen here gets a lease. The decision
   * screens candidates with it, then reserves for the bids it keeps.
   */
  peek(campaignId: string, maxCostMicros: number): BudgetDenialReason | undefined {
    const state = this.#stateOf(campaignId);
    if (state === undefined || state.disabled) return 'unknown_campaign';
    const now = this.#clock.monotonic();
    if (maxCostMicros > state.maxBidMicros) state.maxBidMicros = maxCostMicros;
    const lease = state.current;
    this.#maybeRefill(state, now);
    if (now < state.usableUntil && !lease.dead && lease.leaseId !== 0 && lease.avail >= maxCostMicros)
      return undefined;
    if (this.#storeDown) return 'store_down';
    if (state.exhausted) return 'exhausted';
    return 'pending';
  }

  /**
   * Asks for leases on these campaigns now (sized for bids of up to `maxCostMicros` each) and
   * resolves once every lease call in flight has answered or failed: a process about to take
   * traffic calls it so its first bids find budget instead of a lease on its way.
   */
  async warm(campaigns: Iterable<{ readonly id: string; readonly maxCostMicros: number }>): Promise<void> {
    for (const c of campaigns) this.peek(c.id, c.maxCostMicros);
    await Promise.allSettled([...this.#leaseCalls]);
  }

  /**
   * Records the billing of a reserved bid at its clearing price, on whichever instance the notice
   * reached: locally at once (the unused rest of the reservation becomes available again), in the
   * store once per `bidId`. Resolves with the store's answer, or 'queued' past the deadline.
   */
  async settle(ref: ReservationRef, bidId: string, costMicros: number): Promise<GateSettleOutcome> {
    if (!Number.isSafeInteger(costMicros) || costMicros < 0) {
      throw new BudgetError(
        'BUDGET_INVALID_ARGUMENT',
        `costMicros must be a non-negative integer, got ${costMicros}`,
      );
    }
    const own = ref.holder === this.#holder;
    const request: SettleRequest = {
      campaignId: ref.campaignId,
      holder: ref.holder,
      leaseId: ref.leaseId,
      dayKey: ref.dayKey,
      bidId,
      costMicros,
      reservationId: ref.id,
      // Another instance's reservation: the store hands the settlement to it on its next lease call.
      notifyHolder: !own,
    };
    checkSettleRequest(request); // a malformed id is a caller bug: thrown, never queued for ever
    if (own) {
      const held = this.#held.get(ref.id);
      if (held !== undefined) this.#close(held, 'settled', costMicros);
      else {
        const closed = this.#closed.get(ref.id);
        if (closed?.kind === 'expired') {
          // Billed after we gave its reservation back: the cost is a debt on the lease it came from.
          if (!closed.lease.dead && closed.lease.leaseId === ref.leaseId) closed.lease.avail -= costMicros;
          closed.kind = 'settled';
        }
        // 'settled': a retried billing, counted once by the store. Unknown (closed long ago): the
        // store still takes the cost from our live lease, and reconciliation catches up locally.
      }
    }
    // Only a campaign this instance bids on is tracked; billing for others must not start leasing.
    return this.#sendSettle(this.#campaigns.get(ref.campaignId), request);
  }

  /** Gives a reservation back at once (bid lost or never sent). Unknown or already closed ids are ignored. */
  release(ref: ReservationRef): void {
    const held = this.#held.get(ref.id);
    if (held !== undefined) this.#close(held, 'expired', 0);
  }

  /**
   * Periodic work, never on a bid: expires reservations, rolls leases over at midnight, renews and
   * refills, releases idle budget, retries queued settlements.
   */
  tick(): void {
    const now = this.#clock.monotonic();
    for (const held of this.#held.values()) {
      if (held.expiresAtMono <= now) {
        this.#close(held, 'expired', 0);
        this.#counters.expired += 1;
      }
    }
    for (const state of this.#campaigns.values()) {
      const budget = this.#budgetOf(state.id);
      if (budget === undefined) {
        state.disabled = true;
        void this.#releaseAvail(state, state.current);
        if (state.current.inflight === 0 && state.old.size === 0 && state.pendingOps === 0) {
          this.#campaigns.delete(state.id);
        } else {
          this.#renewIfDue(state, now); // keep the lease alive for the bids still in flight
        }
        continue;
      }
      if (
        state.exhausted &&
        (budget.dailyBudgetMicros > state.budget.dailyBudgetMicros ||
          budget.totalBudgetMicros > state.budget.totalBudgetMicros)
      ) {
        // A raised budget (a buyer's edit, a new allocation) is worth asking about now.
        state.exhausted = false;
        state.askAfter = 0;
      }
      state.budget = budget;
      state.disabled = false;
      this.#rollover(state);
      if (now - state.lastReserveAt >= this.#idleReleaseMs) {
        void this.#releaseAvail(state, state.current);
        if (state.current.inflight === 0 && state.old.size === 0 && state.pendingOps === 0) {
          // Idle and empty: forget it; the empty store lease expires by itself.
          this.#campaigns.delete(state.id);
        } else {
          this.#renewIfDue(state, now);
        }
        continue;
      }
      this.#maybeRefill(state, now);
    }
    this.#sweepClosed(now);
    this.#flushQueue(now);
  }

  /** Calls `tick()` every `intervalMs` on a timer that does not keep the process alive. */
  start(intervalMs = 250): void {
    this.stop();
    this.#timer = setInterval(() => this.tick(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the `start()` timer. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Stops the timer, returns every unreserved balance to the store and sends the queued
   * settlements once (best effort, each within the deadline). Answers how many settlements could
   * not be sent: their spend is missing from the store, so the caller should log them.
   */
  async close(): Promise<{ unsentSettlements: number }> {
    this.stop();
    const work: Promise<unknown>[] = [];
    for (const state of this.#campaigns.values()) {
      for (const lease of [state.current, ...state.old]) work.push(this.#releaseAvail(state, lease));
    }
    const queued = this.#queue.splice(0);
    let unsent = 0;
    for (const q of queued) {
      work.push(
        this.#withDeadline(this.#store.settle(q.request)).then(
          (outcome) => {
            this.#counters.settled[outcome] += 1;
          },
          () => {
            unsent += 1;
          },
        ),
      );
    }
    await Promise.all(work);
    return { unsentSettlements: unsent };
  }

  /** The local balance of a campaign (for metrics, the pacing controller and tests). */
  balance(campaignId: string): {
    availableMicros: number;
    reservedMicros: number;
    usableForMs: number;
    exhausted: boolean;
  } {
    const state = this.#campaigns.get(campaignId);
    if (state === undefined)
      return { availableMicros: 0, reservedMicros: 0, usableForMs: 0, exhausted: false };
    let reserved = state.current.inflight;
    for (const lease of state.old) reserved += lease.inflight;
    return {
      availableMicros: state.current.dead ? 0 : state.current.avail,
      reservedMicros: reserved,
      usableForMs: Math.max(0, state.usableUntil - this.#clock.monotonic()),
      exhausted: state.exhausted,
    };
  }

  /** True while the last store call failed or timed out. */
  get storeDown(): boolean {
    return this.#storeDown;
  }

  /** Settlements waiting for the store. */
  get queuedSettlements(): number {
    return this.#queue.length;
  }

  /** A snapshot of the counters. */
  counters(): BudgetGateCounters {
    return structuredClone(this.#counters);
  }

  #deny(reason: BudgetDenialReason): undefined {
    this.#counters.denied[reason] += 1;
    return undefined;
  }

  #stateOf(campaignId: string): CampaignState | undefined {
    const known = this.#campaigns.get(campaignId);
    if (known !== undefined) {
      this.#rollover(known);
      return known;
    }
    const budget = this.#budgetOf(campaignId);
    if (budget === undefined) return undefined;
    const state: CampaignState = {
      id: campaignId,
      budget,
      disabled: false,
      current: newLease(this.#dayKeys.at(budget.timeZone, this.#clock.now())),
      old: new Set(),
      usableUntil: 0,
      renewAt: 0,
      leaseCallsInFlight: 0,
      askAfter: 0,
      exhausted: false,
      pendingOps: 0,
      opEpoch: 0,
      rate: 0,
      rateAt: this.#clock.monotonic(),
      maxBidMicros: 0,
      lastReserveAt: this.#clock.monotonic(),
    };
    this.#campaigns.set(campaignId, state);
    return state;
  }

  /** At midnight in the campaign's zone: the old day's lease keeps its reservations; its rest goes back. */
  #rollover(state: CampaignState): void {
    const dayKey = this.#dayKeys.at(state.budget.timeZone, this.#clock.now());
    if (dayKey === state.current.dayKey) return;
    const old = state.current;
    state.current = newLease(dayKey);
    state.exhausted = false;
    state.askAfter = 0;
    void this.#releaseAvail(state, old);
    if (old.inflight > 0) state.old.add(old);
  }

  /** Updates the decayed spend rate and the largest bid seen, which size the slices. */
  #track(state: CampaignState, micros: number, now: number): void {
    state.rate = state.rate * Math.exp(-(now - state.rateAt) / this.#horizonMs) + micros / this.#horizonMs;
    state.rateAt = now;
    if (micros > state.maxBidMicros) state.maxBidMicros = micros;
  }

  #targetMicros(state: CampaignState, now: number): number {
    const rate = state.rate * Math.exp(-(now - state.rateAt) / this.#horizonMs);
    const smaller = Math.min(state.budget.dailyBudgetMicros, state.budget.totalBudgetMicros);
    const cap = Math.floor(this.#maxSliceShare * smaller);
    const wanted = Math.max(
      Math.ceil(rate * this.#horizonMs),
      this.#minSliceBids * state.maxBidMicros,
      Math.floor(this.#minSliceShare * smaller),
    );
    return Math.max(state.maxBidMicros, Math.min(cap, wanted));
  }

  #maybeRefill(state: CampaignState, now: number): void {
    if (state.leaseCallsInFlight > 0 || state.disabled) return;
    if (this.#storeDown && now < this.#storeRetryAt) return;
    const lease = state.current;
    const target = this.#targetMicros(state, now);
    const low = lease.dead || lease.avail < target / 2;
    if (low && now >= state.askAfter) {
      this.#startLease(state, target - Math.max(0, lease.dead ? 0 : lease.avail), now);
    } else {
      this.#renewIfDue(state, now);
    }
  }

  /** A renewal (want 0) when half the lease TTL has passed, at most one call in flight, none while the store is in back-off. */
  #renewIfDue(state: CampaignState, now: number): void {
    if (state.leaseCallsInFlight > 0 || (this.#storeDown && now < this.#storeRetryAt)) return;
    if (now >= state.renewAt || now >= state.usableUntil) this.#startLease(state, 0, now);
  }

  #startLease(state: CampaignState, wantMicros: number, now: number): void {
    if (state.leaseCallsInFlight > 0) return;
    const lease = state.current;
    const quiet = state.pendingOps === 0;
    const epoch = state.opEpoch;
    state.leaseCallsInFlight += 1;
    this.#counters.leaseCalls += 1;
    let timedOut = false;
    const timer = setTimeout(() => {
      // Slow counts as down: the call may still answer, and its grant is applied when it does.
      timedOut = true;
      state.leaseCallsInFlight -= 1;
      this.#failed(new BudgetError('BUDGET_STORE_TIMEOUT', `lease call slower than ${this.#deadlineMs} ms`));
    }, this.#deadlineMs);
    timer.unref();
    let call: Promise<LeaseGrant>;
    try {
      call = this.#store.lease({
        campaignId: state.id,
        holder: this.#holder,
        wantMicros: Math.max(0, Math.floor(wantMicros)),
        limits: {
          totalMicros: state.budget.totalBudgetMicros,
          dailyMicros: state.budget.dailyBudgetMicros,
          dayKey: lease.dayKey,
        },
        ttlMs: this.#leaseTtlMs,
      });
    } catch (err) {
      call = Promise.reject(err);
    }
    const done = call.then(
      (grant) => {
        clearTimeout(timer);
        const raced =
          timedOut || state.leaseCallsInFlight !== 1 || state.pendingOps !== 0 || state.opEpoch !== epoch;
        if (!timedOut) state.leaseCallsInFlight -= 1;
        this.#applyGrant(state, lease, grant, wantMicros, now, quiet && !raced);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (timedOut) return;
        state.leaseCallsInFlight -= 1;
        this.#counters.leaseFailures += 1;
        if (err instanceof BudgetError && err.code === 'BUDGET_INVALID_ARGUMENT') {
          // Bad campaign data (an id or budget the store refuses), not an outage: report, retry later.
          state.askAfter = this.#clock.monotonic() + this.#retryMs;
          state.renewAt = state.askAfter;
          this.#onError(err);
          return;
        }
        this.#failed(err);
      },
    );
    this.#leaseCalls.add(done);
    void done.finally(() => this.#leaseCalls.delete(done));
  }

  #applyGrant(
    state: CampaignState,
    asked: DayLease,
    grant: LeaseGrant,
    wantMicros: number,
    sentAt: number,
    quiet: boolean,
  ): void {
    this.#recovered();
    const now = this.#clock.monotonic();
    for (const entry of grant.settledElsewhere) this.#applySettledElsewhere(entry);
    let lease = asked;
    if (grant.leaseId !== lease.leaseId) {
      if (lease.leaseId !== 0) {
        // The store let our lease expire (an outage longer than its TTL): what it held is back in
        // the pool, so nothing may be drawn from or returned to it any more.
        lease.dead = true;
        lease.avail = 0;
        if (lease.inflight > 0) state.old.add(lease);
        lease = newLease(lease.dayKey);
        if (state.current === asked) state.current = lease;
      }
      lease.leaseId = grant.leaseId;
    }
    lease.avail += grant.grantedMicros;
    this.#counters.grantedMicros += grant.grantedMicros;
    if (quiet && lease.leaseId !== 0) {
      const drift = grant.heldMicros - (lease.avail + lease.inflight);
      if (drift !== 0) {
        lease.avail += drift;
        this.#counters.reconciledMicros += Math.abs(drift);
      }
    }
    // The store counts the TTL from when the script ran, which is after `sentAt`.
    state.usableUntil = Math.max(state.usableUntil, sentAt + this.#leaseTtlMs - this.#leaseMarginMs);
    state.renewAt = sentAt + this.#leaseTtlMs / 2;
    if (wantMicros > 0) {
      state.exhausted = grant.remainingMicros === 0 && grant.grantedMicros < wantMicros;
      // Exhausted: ask again now and then (budgets get raised, other instances release), not per bid.
      state.askAfter = state.exhausted ? now + this.#retryMs : 0;
    } else if (grant.remainingMicros > 0) {
      state.exhausted = false;
      state.askAfter = 0;
    }
    if (lease !== state.current) void this.#releaseAvail(state, lease);
    // A renewal may reveal a lost lease, or bids may have drained the balance meanwhile: refill now.
    else this.#maybeRefill(state, now);
  }

  #applySettledElsewhere(entry: SettledElsewhere): void {
    const held = this.#held.get(entry.reservationId);
    if (held !== undefined) {
      this.#close(held, 'settled', entry.costMicros);
      return;
    }
    const closed = this.#closed.get(entry.reservationId);
    if (closed?.kind === 'expired') {
      if (!closed.lease.dead && closed.lease.leaseId === entry.leaseId)
        closed.lease.avail -= entry.costMicros;
      closed.kind = 'settled';
    }
    // 'settled': we settled it ourselves too (a retried billing raced); the store counted it once.
  }

  /** Ends a reservation: billed at `costMicros`, or given back whole (`expired`). */
  #close(held: Held, kind: 'settled' | 'expired', costMicros: number): void {
    const { ref, lease, state } = held;
    this.#held.delete(ref.id);
    lease.inflight -= ref.reservedMicros;
    if (!lease.dead) lease.avail += ref.reservedMicros - (kind === 'settled' ? costMicros : 0);
    this.#closed.set(ref.id, { kind, lease, atMono: this.#clock.monotonic() });
    if (lease !== state.current) {
      void this.#releaseAvail(state, lease);
      if (lease.inflight === 0) state.old.delete(lease);
    }
  }

  /** Returns a lease's unreserved balance to the store; a failed release is left for reconciliation (releases are not idempotent). */
  async #releaseAvail(state: CampaignState, lease: DayLease): Promise<void> {
    const micros = lease.avail;
    if (micros <= 0 || lease.dead || lease.leaseId === 0) return;
    lease.avail = 0;
    this.#counters.releasedMicros += micros;
    state.pendingOps += 1;
    state.opEpoch += 1;
    try {
      await this.#withDeadline(
        this.#store.release({
          campaignId: state.id,
          holder: this.#holder,
          leaseId: lease.leaseId,
          dayKey: lease.dayKey,
          micros,
        }),
      );
    } catch (err) {
      this.#failed(err);
    } finally {
      state.pendingOps -= 1;
    }
  }

  #sendSettle(state: CampaignState | undefined, request: SettleRequest): Promise<GateSettleOutcome> {
    if (state !== undefined) {
      state.pendingOps += 1;
      state.opEpoch += 1;
    }
    let call: Promise<SettleOutcome>;
    try {
      call = this.#store.settle(request);
    } catch (err) {
      call = Promise.reject(err);
    }
    // Until the store answers, our view and the store's differ: no reconciliation meanwhile.
    const done = call.finally(() => {
      if (state !== undefined) state.pendingOps -= 1;
    });
    return this.#withDeadline(done).then(
      (outcome) => {
        this.#recovered();
        this.#counters.settled[outcome] += 1;
        return outcome;
      },
      (err: unknown) => {
        this.#failed(err);
        // Retried until the store answers; the bid id makes a repeat harmless.
        if (state !== undefined) state.pendingOps += 1;
        this.#queue.push({ state: state ?? detachedState(request.campaignId), request });
        this.#counters.settled.queued += 1;
        return 'queued' as const;
      },
    );
  }

  #flushQueue(now: number): void {
    if (this.#flushing || this.#queue.length === 0) return;
    if (this.#storeDown && now < this.#storeRetryAt) return;
    this.#flushing = true;
    const batch = this.#queue.splice(0);
    this.#counters.settleRetries += batch.length;
    void Promise.all(
      batch.map(async (q) => {
        try {
          const outcome = await this.#withDeadline(this.#store.settle(q.request));
          this.#recovered();
          this.#counters.settled[outcome] += 1;
          q.state.pendingOps -= 1;
          q.state.opEpoch += 1;
        } catch (err) {
          this.#failed(err);
          this.#queue.push(q);
        }
      }),
    ).finally(() => {
      this.#flushing = false;
    });
  }

  #withDeadline<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new BudgetError('BUDGET_STORE_TIMEOUT', `store call slower than ${this.#deadlineMs} ms`)),
        this.#deadlineMs,
      );
      timer.unref();
      call.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  #failed(err: unknown): void {
    this.#storeRetryAt = this.#clock.monotonic() + this.#retryMs;
    if (this.#storeDown) return;
    this.#storeDown = true;
    const message = err instanceof Error ? err.message : String(err);
    this.#onError(
      new BudgetError('BUDGET_STORE_DOWN', `budget store unavailable: ${message}`, { cause: err }),
    );
  }

  #recovered(): void {
    if (!this.#storeDown) return;
    this.#storeDown = false;
    this.#storeRetryAt = 0;
    this.#onError(new BudgetError('BUDGET_STORE_RECOVERED', 'budget store reachable again'));
  }

  #sweepClosed(now: number): void {
    // Kept as long as a reservation may live, so late billing of an expired one is still recognised.
    for (const [id, closed] of this.#closed) {
      if (now - closed.atMono < this.#reservationTtlMs) return;
      this.#closed.delete(id);
    }
  }
}

function newLease(dayKey: string): DayLease {
  return { dayKey, leaseId: 0, avail: 0, inflight: 0, dead: false };
}

/** Bookkeeping for a settlement of a campaign this gate does not track (billing of a campaign since removed). */
function detachedState(campaignId: string): CampaignState {
  return {
    id: campaignId,
    budget: { totalBudgetMicros: 0, dailyBudgetMicros: 0, timeZone: 'UTC' },
    disabled: true,
    current: newLease('1970-01-01'),
    old: new Set(),
    usableUntil: 0,
    renewAt: 0,
    leaseCallsInFlight: 0,
    askAfter: 0,
    exhausted: false,
    pendingOps: 1,
    opEpoch: 0,
    rate: 0,
    rateAt: 0,
    maxBidMicros: 0,
    lastReserveAt: 0,
  };
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new BudgetError('BUDGET_INVALID_ARGUMENT', `${name} must be a positive number, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new BudgetError('BUDGET_INVALID_ARGUMENT', `${name} must be a non-negative number, got ${value}`);
  }
  return value;
}
